package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	fedimarks "github.com/fedimarks/fedimarks"
)

// The tag and note forms: plain HTML forms (no script; the CSP's
// form-action 'self' keeps them here) that POST to labelsPath. A
// cross-site request must not change the archive, so a POST is accepted
// only when
//   - its Host names this loopback server (hostAllowed, as for every request),
//   - its Origin (or, lacking one, its Referer) is this server's own
//     http://Host, and Sec-Fetch-Site, when sent, is same-origin,
//   - and it carries this session's token, which only the page shows (a
//     random value made when the server starts).

const labelsPath = "/labels"

// LabelWriter is the archive's side of the forms (*sqlite.Archive has
// it). Without it the page shows no forms and refuses the POST.
type LabelWriter interface {
	SetTags(ctx context.Context, h fedimarks.Handle, uri string, tags []string) error
	SetNote(ctx context.Context, h fedimarks.Handle, uri, note string) error
	BookmarkURIs(ctx context.Context, h fedimarks.Handle, ref string) ([]string, error)
}

// formView is what a post's form needs.
type formView struct {
	Action, Token, Account, URI, Back, Tags string
}

func newFormToken() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read does not fail (Go 1.24)
	return hex.EncodeToString(b)
}

// labelForm is the form of h's bookmark for the page at back, nil when the
// archive cannot write.
func (s *Server) labelForm(h fedimarks.Hit, back string) *formView {
	if _, ok := s.archive.(LabelWriter); !ok {
		return nil
	}
	return &formView{Action: labelsPath, Token: s.formToken, Account: h.Bookmark.Account,
		URI: h.Bookmark.Status.URI, Back: back, Tags: strings.Join(h.Bookmark.Tags, " ")}
}

// sameOrigin reports whether r comes from this server's own page.
func sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	origin := r.Header.Get("Origin")
	if (origin == "" || origin == "null") && site == "same-origin" {
		// The page's referrer policy (no-referrer) has the browser send
		// "Origin: null" and no Referer with its forms; Sec-Fetch-Site,
		// which no page can set, says they came from this origin.
		return true
	}
	if origin == "" || origin == "null" {
		ref, err := url.Parse(r.Referer())
		if err != nil || ref.Host == "" {
			return false
		}
		origin = ref.Scheme + "://" + ref.Host
	}
	return origin == "http://"+r.Host
}

func (s *Server) serveLabels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	lw, ok := s.archive.(LabelWriter)
	if !ok {
		http.Error(w, "this archive cannot be changed from the page", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, fedimarks.MaxNoteLen+16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(s.formToken)) != 1 {
		http.Error(w, "refused: this form was not sent by this page (reload the page and try again)", http.StatusForbidden)
		return
	}
	h, err := fedimarks.ParseHandle(r.PostForm.Get("account"))
	if err != nil {
		http.Error(w, "bad account", http.StatusBadRequest)
		return
	}
	uri := r.PostForm.Get("uri")
	if uris, err := lw.BookmarkURIs(r.Context(), h, uri); err != nil || len(uris) != 1 || uris[0] != uri {
		http.Error(w, "no such bookmark", http.StatusNotFound)
		return
	}
	var tags []string
	for _, f := range strings.FieldsFunc(r.PostForm.Get("tags"), func(r rune) bool { return r == ' ' || r == ',' }) {
		t, err := fedimarks.ParseTag(f)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tags = append(tags, t)
	}
	note, err := fedimarks.CleanNote(r.PostForm.Get("note"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := lw.SetTags(r.Context(), h, uri, tags); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := lw.SetNote(r.Context(), h, uri, note); err != nil {
		s.serverError(w, r, err)
		return
	}
	back := r.PostForm.Get("back")
	if !strings.HasPrefix(back, "/?") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
