package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

// pageView is what templates/page.html renders.
type pageView struct {
	Title     string
	Accounts  []accountView
	Account   string
	Query     string
	Searching bool
	Error     string
	Total     int
	More      bool // more match than are ranked: listed newest first
	Known     bool // with More: Total is how many match (else the count stopped there)
	Posts     []postView
	Page      int
	Pages     int
	NewerURL  string
	OlderURL  string
	Message   string // for error pages
	// Context are the thread posts a search found (see context.go); One
	// says the page shows one bookmark (?post=URI).
	Context []postView
	One     bool
	Manage  bool // the accounts page is there (a link to it)
	// JobsPage says the job pages are there (a link to them).
	JobsPage bool
}

type accountView struct {
	Handle  handleView
	Count   int
	Current bool
	URL     string
}

type postView struct {
	AuthorName   string
	AuthorHandle handleView
	AuthorURL    string
	AvatarURL    string // local copy, "" for the placeholder
	Initial      string
	TimeISO      string
	TimeText     string
	Spoiler      []fedimarks.Fragment // the search's words marked
	Content      template.HTML        // sanitized, the search's words marked
	Snippet      []fedimarks.Fragment // shown when the marks are nowhere else
	Vis          *visMark             // followers-only or direct
	MarkedISO    string               // by when it was bookmarked, when known
	MarkedText   string
	Media        []mediaView
	Sensitive    bool // the media are hidden until opened
	Link         string
	Removed      bool
	BoostedBy    string
	Extra        // local tags and note, the kept thread
	// ContextOf is set for a thread post a search found: the bookmark
	// whose thread holds it.
	ContextOf *contextRef
}

type mediaView struct {
	Kind        string // image, video, audio, or link
	LocalURL    string
	RemoteURL   string
	Description string
	Loop        bool   // a gifv: plays muted in a loop, as Mastodon does
	Note        string // says what a preview stands for ("Video ...")
}

// servePage renders the timeline or search results of one account.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := r.URL.Query()
	v := pageView{Title: "fedimarks", Query: strings.TrimSpace(form.Get("q")), Page: 1}
	handles, err := s.archive.ArchivedAccounts(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	switch {
	case len(handles) == 0 && s.accounts != nil:
		http.Redirect(w, r, accountsPath, http.StatusSeeOther) // add one there
		return
	case len(handles) == 0:
		v.Message = "The archive is empty. Run: fedimarks backup"
		s.render(w, http.StatusOK, v)
		return
	}
	current, err := s.pageAccounts(ctx, form.Get("account"), handles, &v)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	if p, err := strconv.Atoi(form.Get("page")); err == nil && p > 1 {
		v.Page = p
	}
	if uri := form.Get("post"); uri != "" {
		s.serveOnePost(w, r, v, current, uri)
		return
	}
	q, err := fedimarks.ParseQuery(v.Query)
	if err != nil {
		s.refuse(w, r, v, &pageRefusal{code: http.StatusBadRequest, msg: err.Error()})
		return
	}
	q.Account = current
	v.Searching = v.Query != ""
	if err := s.countListing(ctx, &q, &v); err != nil {
		s.refuse(w, r, v, err)
		return
	}
	hits, older, err := s.listPage(ctx, form.Get("cursor"), &q, &v)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.fillPage(ctx, r, &v, q, hits, older)
	s.render(w, http.StatusOK, v)
}

// pageRefusal ends a page early: code 404 (a page or an account the
// archive does not have) or 400 (a search that cannot be read: the page
// says msg), else a server error (err).
type pageRefusal struct {
	code int
	msg  string
	err  error
}

func (e *pageRefusal) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return e.msg
}

// refuse answers a request that a step of servePage ended with err.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, v pageView, err error) {
	var p *pageRefusal
	switch {
	case errors.As(err, &p) && p.code == http.StatusNotFound:
		s.notFound(w, r, p.msg)
	case errors.As(err, &p) && p.code == http.StatusBadRequest:
		v.Error = p.msg
		s.render(w, http.StatusBadRequest, v)
	default:
		s.serverError(w, r, err)
	}
}

// pageAccounts fills v's account list from handles (each with its
// count, which the archive keeps) and returns the account shown: the
// one named (a 404 when the archive holds none of it), else the first.
func (s *Server) pageAccounts(ctx context.Context, named string, handles []fedimarks.Handle, v *pageView) (fedimarks.Handle, error) {
	current := handles[0]
	if named != "" {
		h, err := fedimarks.ParseHandle(named)
		if err != nil || !contains(handles, h) {
			return "", &pageRefusal{code: http.StatusNotFound, msg: fmt.Sprintf("The archive holds no bookmarks of %q.", named)}
		}
		current = h
	}
	v.Account = string(current)
	v.Title = string(current) + " · fedimarks"
	for _, h := range handles {
		n, err := s.archive.SearchCountAtMost(ctx, fedimarks.Query{Account: h}, 0)
		if err != nil {
			return "", err
		}
		v.Accounts = append(v.Accounts, accountView{Handle: handleOf(string(h)), Count: n, Current: h == current,
			URL: pageURL(h, "", 1, "")})
	}
	return current, nil
}

// countListing counts q's listing into v: the timeline's count is kept
// and costs nothing; a search's matches are counted up to a limit, up to
// which they are ranked by relevance (which reads every match). Past it
// they are listed newest first (q.ByDate), which reads only what a page
// needs, and the page says how many match when the archive can tell at
// that cost, else "more than". A page past the last known is a 404.
func (s *Server) countListing(ctx context.Context, q *fedimarks.Query, v *pageView) error {
	limit, upTo := 0, 0 // the timeline: all
	if v.Searching {
		limit = s.countLimit
		if limit <= 0 {
			limit = fedimarks.RankLimit
		}
		upTo = limit + 1
	}
	n, err := s.archive.SearchCountAtMost(ctx, *q, upTo)
	if err != nil {
		return err
	}
	v.Total = n
	if v.Searching && n > limit {
		v.Total, v.More, q.ByDate = limit, true, true
		if t, ok := s.archive.(SearchTotaler); ok {
			total, known, err := t.SearchTotal(ctx, *q)
			if err != nil {
				return err
			}
			if known {
				v.Total, v.Known = total, true
			}
		}
	}
	v.Pages = max(1, (v.Total+s.pageSize-1)/s.pageSize)
	if v.Page > v.Pages && (!v.More || v.Known) {
		return &pageRefusal{code: http.StatusNotFound, msg: fmt.Sprintf("There is no page %d: the last is %d.", v.Page, v.Pages)}
	}
	if v.More && !v.Known {
		v.Pages = 0 // unknown
	}
	return nil
}

// listPage reads v's page of q's listing: its hits, and whether a page
// comes after it (older). A listing by date goes on from the cursor the
// link carries, so that a deep page costs what the first does; one more
// post than the page shows says whether there is a page beyond.
func (s *Server) listPage(ctx context.Context, cursor string, q *fedimarks.Query, v *pageView) (hits []fedimarks.Hit, older bool, err error) {
	q.Limit, q.Offset = s.pageSize+1, (v.Page-1)*s.pageSize
	newer := false
	if cursor != "" && v.byDate() && v.Page > 1 {
		q.Cursor, newer = cursor, strings.HasPrefix(cursor, "n:")
	}
	hits, err = s.archive.Search(ctx, *q)
	if fedimarks.ErrorCode(err) == fedimarks.EInvalid {
		return nil, false, &pageRefusal{code: http.StatusBadRequest, msg: err.Error()}
	}
	if err != nil {
		return nil, false, err
	}
	older = len(hits) > s.pageSize
	switch {
	case newer && older:
		hits, older = hits[1:], true // the extra one is the newest
	case newer:
		older = true // the page the link came from
	default:
		hits = hits[:min(len(hits), s.pageSize)]
	}
	if len(hits) == 0 && v.Page > 1 {
		return nil, false, &pageRefusal{code: http.StatusNotFound, msg: fmt.Sprintf("There is no page %d of this listing.", v.Page)}
	}
	return hits, older, nil
}

// byDate reports whether the page lists by date (the timeline, or a
// search past the ranking's limit), which pages by cursors.
func (v *pageView) byDate() bool { return !v.Searching || v.More }

// fillPage puts hits into v as posts, with the thread posts a search's
// first page found and the links to the newer and older pages.
func (s *Server) fillPage(ctx context.Context, r *http.Request, v *pageView, q fedimarks.Query, hits []fedimarks.Hit, older bool) {
	current := fedimarks.Handle(v.Account)
	since := s.bookmarkedSince(ctx, current)
	for _, h := range hits {
		v.Posts = append(v.Posts, s.withThread(ctx, s.postView(ctx, h, len(q.Terms()) > 0, since), h, r.URL.RequestURI()))
	}
	if v.Searching && v.Page == 1 {
		v.Context = s.contextPosts(ctx, q)
	}
	if v.Page > 1 {
		cursor := ""
		if v.byDate() && v.Page > 2 {
			cursor = hits[0].NewerCursor
		}
		v.NewerURL = pageURL(current, v.Query, v.Page-1, cursor)
	}
	if older {
		cursor := ""
		if v.byDate() {
			cursor = hits[len(hits)-1].OlderCursor
		}
		v.OlderURL = pageURL(current, v.Query, v.Page+1, cursor)
	}
}

func contains(hs []fedimarks.Handle, h fedimarks.Handle) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

// pageURL is the address of one page of an account's timeline or search,
// with the cursor that continues the listing to it ("" for none).
func pageURL(h fedimarks.Handle, query string, page int, cursor string) string {
	v := url.Values{"account": {string(h)}}
	if query != "" {
		v.Set("q", query)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	return "/?" + v.Encode()
}

// postView prepares one hit for the template: the boosted post for a
// boost, sanitized content (with the search's words marked when
// searching), local copies of avatar and media where the archive has them
// and they are of a kind the page shows inline, and by when it was
// bookmarked when it was first seen after since.
func (s *Server) postView(ctx context.Context, h fedimarks.Hit, searching bool, since time.Time) postView {
	st := h.Bookmark.Status
	o := st.Original()
	local := map[string]LocalFile{}
	if s.media != nil {
		// A failed lookup only costs the local copies: the page still
		// shows the post, with links to the originals.
		if files, err := s.media.LocalFiles(ctx, st.URI); err == nil {
			for _, f := range files {
				if f.RemoteURL != "" && f.Path != "" {
					local[f.RemoteURL] = f
				}
			}
		}
	}
	// localOf returns the page's address of the local copy of u, if
	// there is one of a media type the page shows as kind.
	localOf := func(u, kind string) (string, bool) {
		f, ok := local[u]
		if u == "" || !ok || inlineKind(f) != kind {
			return "", false
		}
		return localURL(st.URI, u), true
	}
	// A server gives its own users' acct without a host: the host is that
	// of the server that returned the stored copy.
	handle := o.AuthorHandle(fedimarks.Handle(h.Bookmark.Account).Host())
	name := o.Account.DisplayName
	if strings.TrimSpace(name) == "" {
		name = o.Account.Username
	}
	p := postView{
		AuthorName:   name,
		AuthorHandle: handleOf(handle),
		AuthorURL:    fedimarks.WebURL(o.Account.URL),
		Initial:      initial(name),
		Link:         st.WebLink(),
		Removed:      h.Bookmark.RemovedAt != nil,
		Sensitive:    o.Sensitive,
		Vis:          visMarkOf(st),
	}
	// The search's words are marked where the post shows them; an
	// extract is shown only when they are nowhere to be seen.
	var words map[string]bool
	if searching {
		words = matchedWords(h.Snippet)
	}
	var inText, inCW int
	p.Content, inText = markHTML(posthtml.Sanitize(o.Content), words) // sanitized: safe to insert
	p.Spoiler, inCW = markText(o.SpoilerText, words)
	if len(words) > 0 && inText+inCW == 0 {
		p.Snippet = fedimarks.Fragments(h.Snippet)
	}
	if fs := h.Bookmark.FirstSeen; !since.IsZero() && fs.After(since) {
		p.MarkedISO = fs.UTC().Format(time.RFC3339)
		p.MarkedText = timeText(fs, s.loc)
	}
	if st.Reblog != nil {
		p.BoostedBy = st.Account.Acct
	}
	for _, u := range []string{o.Account.AvatarStatic, o.Account.Avatar} {
		if l, ok := localOf(u, "image"); ok {
			p.AvatarURL = l
			break
		}
	}
	if !o.CreatedAt.IsZero() {
		p.TimeISO = o.CreatedAt.UTC().Format(time.RFC3339)
		p.TimeText = timeText(o.CreatedAt, s.loc)
	}
	for _, m := range o.Media {
		p.Media = append(p.Media, mediaViewOf(m, localOf))
	}
	return p
}

// mediaViewOf shows one attachment: its original from the local copy when
// that is of the attachment's kind, else its local preview (a still, also
// for a video, then marked as one), else a link to it.
func mediaViewOf(m fedimarks.Media, localOf func(u, kind string) (string, bool)) mediaView {
	mv := mediaView{Kind: "link", RemoteURL: fedimarks.WebURL(m.URL, m.RemoteURL, m.PreviewURL), Description: m.Description}
	kind := map[string]string{"image": "image", "gifv": "video", "video": "video", "audio": "audio"}[m.Type]
	if kind == "" {
		return mv
	}
	for _, u := range []string{m.URL, m.RemoteURL} {
		if l, ok := localOf(u, kind); ok {
			mv.Kind, mv.LocalURL, mv.Loop = kind, l, m.Type == "gifv"
			return mv
		}
	}
	if l, ok := localOf(m.PreviewURL, "image"); ok {
		mv.Kind, mv.LocalURL = "image", l
		switch m.Type {
		case "video":
			mv.Note = "Video (only its preview is kept)"
		case "gifv":
			mv.Note = "GIF (only its preview is kept)"
		case "audio":
			mv.Note = "Audio (only its preview is kept)"
		}
	}
	return mv
}

// inlineKind is how the page may show a local file inline: "image" for
// raster images (never SVG, which can hold scripts and links), "video",
// "audio", or "" for a file the page only links to.
func inlineKind(f LocalFile) string {
	ct := f.ContentType
	if ct == "" {
		ct = mime.TypeByExtension(filepath.Ext(f.Path))
	}
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "image/svg+xml":
		return ""
	case strings.HasPrefix(mt, "image/"):
		return "image"
	case strings.HasPrefix(mt, "video/"):
		return "video"
	case strings.HasPrefix(mt, "audio/"):
		return "audio"
	}
	return ""
}

func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

// localURL is where the page serves the local copy of remote, a file of
// the post statusURI.
func localURL(statusURI, remote string) string {
	return "/local?" + url.Values{"status": {statusURI}, "url": {remote}}.Encode()
}

// serveLocal serves a local copy named by the status it belongs to and
// the remote URL it copies; only files the MediaSource lists are served,
// so no path ever comes from the request. Only images, video and audio
// are served inline; anything else is a download.
func (s *Server) serveLocal(w http.ResponseWriter, r *http.Request) {
	status, remote := r.URL.Query().Get("status"), r.URL.Query().Get("url")
	if s.media == nil || status == "" || remote == "" {
		s.notFound(w, r, "No such file.")
		return
	}
	files, err := s.media.LocalFiles(r.Context(), status)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, f := range files {
		if f.RemoteURL != remote || f.Path == "" {
			continue
		}
		fh, err := os.Open(f.Path)
		if err != nil {
			s.notFound(w, r, "The local copy of this file is missing.")
			return
		}
		defer fh.Close()
		fi, err := fh.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			s.notFound(w, r, "The local copy of this file is missing.")
			return
		}
		ct := f.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(filepath.Ext(f.Path))
		}
		mt, _, _ := mime.ParseMediaType(ct)
		switch inlineKind(f) {
		case "image", "video", "audio":
			w.Header().Set("Content-Type", mt)
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", "attachment")
		}
		w.Header().Set("Cache-Control", "private, max-age=86400")
		http.ServeContent(w, r, "", fi.ModTime(), fh)
		return
	}
	s.notFound(w, r, "No such file.")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	s.render(w, http.StatusNotFound, pageView{Title: "Not found · fedimarks", Message: msg})
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the browser went away
	}
	s.render(w, http.StatusInternalServerError, pageView{Title: "Error · fedimarks", Message: "Could not read the archive: " + err.Error()})
}

// render executes the page template into a buffer first, so that a
// template error never leaves half a page.
func (s *Server) render(w http.ResponseWriter, code int, v pageView) {
	v.Manage = s.accounts != nil
	v.JobsPage = s.jobs != nil
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "page.html", v); err != nil {
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}
