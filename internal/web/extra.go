package web

import (
	"context"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// Extra is what the page shows below a bookmarked post besides the post:
// its local tags and note, and the thread backup --context kept, folded
// in a <details> (no script): the posts it answers, then its author's own
// replies below it (the self-thread); other people's replies, kept by
// --context all, in a second fold.
type Extra struct {
	Tags   []tagLink
	Note   string
	Before []postView // the posts it replies to, oldest first
	After  []postView // its author's replies below it
	Others []postView // other people's replies (--context all)
	Form   *formView  // the tag and note form, nil when the archive is read-only
	Open   bool       // the thread is shown unfolded (the page of one bookmark)
}

// tagLink is a local tag and the search for it.
type tagLink struct{ Name, URL string }

// ThreadReader is the archive's kept threads (*sqlite.Archive has it).
type ThreadReader interface {
	ThreadOf(ctx context.Context, uri string) (ancestors, descendants []fedimarks.Status, err error)
}

// withThread adds h's labels and kept thread to p. A failed read of the
// thread only costs the thread: the page still shows the post.
func (s *Server) withThread(ctx context.Context, p postView, h fedimarks.Hit, back string) postView {
	p.Extra.Form = s.labelForm(h, back)
	for _, t := range h.Bookmark.Tags {
		p.Extra.Tags = append(p.Extra.Tags, tagLink{t, pageURL(fedimarks.Handle(h.Bookmark.Account), "tag:"+t, 1, "")})
	}
	p.Extra.Note = h.Bookmark.Note
	tr, ok := s.archive.(ThreadReader)
	if !ok {
		return p
	}
	st := h.Bookmark.Status.Original()
	anc, desc, err := tr.ThreadOf(ctx, h.Bookmark.Status.URI)
	if err != nil {
		return p
	}
	view := func(ts fedimarks.Status) postView {
		return s.postView(ctx, fedimarks.Hit{Bookmark: fedimarks.Bookmark{Account: h.Bookmark.Account, Status: ts}}, false, time.Time{})
	}
	for _, a := range anc {
		p.Extra.Before = append(p.Extra.Before, view(a))
	}
	for _, d := range desc {
		if d.Account.URL != "" && d.Account.URL == st.Account.URL {
			p.Extra.After = append(p.Extra.After, view(d))
		} else {
			p.Extra.Others = append(p.Extra.Others, view(d))
		}
	}
	return p
}
