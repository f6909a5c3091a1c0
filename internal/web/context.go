package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// Thread posts in search results: the posts backup --context kept around
// the bookmarks (not bookmarks themselves) that match a search are listed
// after the bookmarks, each marked as context and linking to the
// bookmarked post whose thread holds it, which the page shows alone
// (?account=...&post=URI) with its thread.

// ContextSearcher finds matching thread posts (*sqlite.Archive has it).
type ContextSearcher interface {
	SearchContext(ctx context.Context, q fedimarks.Query) ([]fedimarks.Hit, error)
}

// BookmarkFinder reads one bookmark by its post's URI, nil when the
// account has none (*sqlite.Archive has it).
type BookmarkFinder interface {
	BookmarkOf(ctx context.Context, h fedimarks.Handle, uri string) (*fedimarks.Bookmark, error)
}

// contextRef is what a thread post found by a search says of the
// bookmarked post whose thread holds it.
type contextRef struct {
	URL    string // the page showing that bookmark
	Author string
}

// maxContextHits bounds the thread posts a page lists.
const maxContextHits = 20

// contextPosts lists the thread posts matching q (a search with words, on
// its first page). A failed read costs only them.
func (s *Server) contextPosts(ctx context.Context, q fedimarks.Query) []postView {
	cs, ok := s.archive.(ContextSearcher)
	if !ok || len(q.Terms()) == 0 {
		return nil
	}
	q.Limit, q.Offset, q.Cursor = maxContextHits, 0, ""
	hits, err := cs.SearchContext(ctx, q)
	if err != nil {
		return nil
	}
	bf, _ := s.archive.(BookmarkFinder)
	var out []postView
	for _, h := range hits {
		p := s.postView(ctx, h, true, time.Time{})
		ref := &contextRef{URL: postPageURL(q.Account, h.ContextOf)}
		if bf != nil {
			if b, err := bf.BookmarkOf(ctx, q.Account, h.ContextOf); err == nil && b != nil {
				o := b.Status.Original()
				ref.Author = o.Account.DisplayName
				if ref.Author == "" {
					ref.Author = o.Account.Username
				}
			}
		}
		p.ContextOf = ref
		out = append(out, p)
	}
	return out
}

// postPageURL is the page of h's bookmark of the post uri.
func postPageURL(h fedimarks.Handle, uri string) string {
	return "/?" + url.Values{"account": {string(h)}, "post": {uri}}.Encode()
}

// serveOnePost shows h's bookmark of uri alone, with its thread.
func (s *Server) serveOnePost(w http.ResponseWriter, r *http.Request, v pageView, h fedimarks.Handle, uri string) {
	ctx := r.Context()
	bf, ok := s.archive.(BookmarkFinder)
	if !ok {
		s.notFound(w, r, "This archive cannot show one bookmark.")
		return
	}
	b, err := bf.BookmarkOf(ctx, h, uri)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if b == nil {
		s.notFound(w, r, fmt.Sprintf("%s has no bookmark of %s.", h, fedimarks.CleanText(uri)))
		return
	}
	hit := fedimarks.Hit{Bookmark: *b}
	p := s.withThread(ctx, s.postView(ctx, hit, false, s.bookmarkedSince(ctx, h)), hit, r.URL.RequestURI())
	p.Extra.Open = true
	v.Posts, v.Total, v.Pages, v.One = []postView{p}, 1, 1, true
	s.render(w, http.StatusOK, v)
}
