package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// walkAll walks and returns the fetched URLs and status ids.
func walkAll(t *testing.T, c *Client) (urls []string, ids []string) {
	t.Helper()
	err := c.WalkBookmarks(context.Background(), func(p Page) error {
		urls = append(urls, p.URL)
		for _, s := range p.Statuses {
			ids = append(ids, s.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("WalkBookmarks: %v", err)
	}
	return urls, ids
}

func TestWalkMastodonLink(t *testing.T) {
	var srv *httptest.Server
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/bookmarks" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"The access token is invalid"}`)
			return
		}
		switch r.URL.Query().Get("max_id") {
		case "":
			if r.URL.Query().Get("limit") != "40" {
				t.Errorf("first page asked limit=%q, want 40", r.URL.Query().Get("limit"))
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?limit=40&max_id=100>; rel="next", <%s/api/v1/bookmarks?limit=40&min_id=200>; rel="prev"`, srv.URL, srv.URL))
			fmt.Fprintf(w, "[%s,%s]", statusJSON("3"), statusJSON("2"))
		case "100":
			// Last page: prev only.
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?limit=40&min_id=99>; rel="prev"`, srv.URL))
			fmt.Fprintf(w, "[%s]", statusJSON("1"))
		default:
			t.Errorf("unexpected page %s", r.URL)
		}
	})
	c, _ := newTestClient(t, srv)
	urls, ids := walkAll(t, c)
	if got, want := strings.Join(ids, ","), "3,2,1"; got != want {
		t.Errorf("ids = %s, want %s", got, want)
	}
	if len(urls) != 2 || urls[0] != srv.URL+"/api/v1/bookmarks?limit=40" || urls[1] != srv.URL+"/api/v1/bookmarks?limit=40&max_id=100" {
		t.Errorf("urls = %v", urls)
	}
	if c.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2", c.Requests())
	}
}

func TestWalkGoToSocialEmptyPagesWithNext(t *testing.T) {
	var srv *httptest.Server
	h := &hits{}
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := h.inc()
		// Next always present; page 1 has posts, page 2 is empty (filtered),
		// page 3 has a post, then empty pages forever.
		w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?limit=40&max_id=P%d>; rel="next"`, srv.URL, n))
		switch n {
		case 1:
			fmt.Fprintf(w, "[%s]", statusJSON("10"))
		case 3:
			fmt.Fprintf(w, "[%s]", statusJSON("8"))
		default:
			fmt.Fprint(w, "[]")
		}
	})
	c, _ := newTestClient(t, srv)
	urls, ids := walkAll(t, c)
	if got := strings.Join(ids, ","); got != "10,8" {
		t.Errorf("ids = %s, want 10,8 (an empty page with next is not the end)", got)
	}
	// Pages 1..3, then 5 empty pages in a row end the walk.
	if len(urls) != 3+maxEmptyPages {
		t.Errorf("fetched %d pages, want %d", len(urls), 3+maxEmptyPages)
	}
}

func TestWalkPixelfedCursor(t *testing.T) {
	var srv *httptest.Server
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("cursor") {
		case "":
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?cursor=eyJpZCI6MTIzfQ%%3D%%3D&limit=40>; rel="next"`, srv.URL))
			fmt.Fprintf(w, "[%s]", statusJSON("5"))
		case `eyJpZCI6MTIzfQ==`:
			if r.URL.RawQuery != "cursor=eyJpZCI6MTIzfQ%3D%3D&limit=40" {
				t.Errorf("cursor URL not used as given: %s", r.URL.RawQuery)
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?limit=40>; rel="prev"`, srv.URL))
			fmt.Fprintf(w, "[%s]", statusJSON("4"))
		default:
			t.Errorf("unexpected cursor %q", r.URL.Query().Get("cursor"))
			fmt.Fprint(w, "[]")
		}
	})
	c, _ := newTestClient(t, srv)
	_, ids := walkAll(t, c)
	if got := strings.Join(ids, ","); got != "5,4" {
		t.Errorf("ids = %s, want 5,4", got)
	}
}

func TestWalkSnacNoLinkFallsBackToMaxID(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		// No Link header ever; 2 posts per page by max_id over ids 6..1.
		all := []string{"6", "5", "4", "3", "2", "1"}
		start := 0
		if m := r.URL.Query().Get("max_id"); m != "" {
			for i, id := range all {
				if id == m {
					start = i + 1
				}
			}
		}
		end := min(start+2, len(all))
		var parts []string
		for _, id := range all[start:end] {
			parts = append(parts, statusJSON(id))
		}
		fmt.Fprint(w, "["+strings.Join(parts, ",")+"]")
	})
	c, _ := newTestClient(t, srv)
	urls, ids := walkAll(t, c)
	if got := strings.Join(ids, ","); got != "6,5,4,3,2,1" {
		t.Errorf("ids = %s", got)
	}
	if len(urls) != 4 || urls[1] != srv.URL+"/api/v1/bookmarks?limit=40&max_id=5" {
		t.Errorf("urls = %v (want 3 full pages and an empty one, then max_id from the last id)", urls)
	}
}

func TestBookmarksPageNextRules(t *testing.T) {
	var srv *httptest.Server
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("case") {
		case "link-without-next":
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?min_id=1>; rel="prev"`, srv.URL))
			fmt.Fprintf(w, "[%s]", statusJSON("1"))
		case "no-link-empty":
			fmt.Fprint(w, "[]")
		case "no-link-numeric":
			fmt.Fprint(w, `[{"id":123,"uri":"https://x/1"},{"id":77,"uri":"https://x/2"}]`)
		case "relative-next":
			w.Header().Set("Link", `</api/v1/bookmarks?max_id=9>; rel="next"`)
			fmt.Fprint(w, "[]")
		}
	})
	c, _ := newTestClient(t, srv)
	ctx := context.Background()
	tests := []struct{ name, wantNext string }{
		{"link-without-next", ""},
		{"no-link-empty", ""},
		{"no-link-numeric", srv.URL + "/api/v1/bookmarks?limit=40&max_id=77"},
		{"relative-next", srv.URL + "/api/v1/bookmarks?max_id=9"},
	}
	for _, tt := range tests {
		p, err := c.BookmarksPage(ctx, srv.URL+"/api/v1/bookmarks?case="+tt.name)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if p.Next != tt.wantNext {
			t.Errorf("%s: Next = %q, want %q", tt.name, p.Next, tt.wantNext)
		}
	}
}

func TestWalkStopsOnRepeatedNext(t *testing.T) {
	var srv *httptest.Server
	h := &hits{}
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.inc()
		// Page A links to B, B links back to A.
		if r.URL.Query().Get("max_id") == "" {
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?limit=40&max_id=B>; rel="next"`, srv.URL))
		} else {
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?limit=40>; rel="next"`, srv.URL))
		}
		fmt.Fprintf(w, "[%s]", statusJSON("1"))
	})
	c, _ := newTestClient(t, srv)
	urls, _ := walkAll(t, c)
	if len(urls) != 2 || h.get() != 2 {
		t.Errorf("fetched %v (%d requests), want 2 pages then stop", urls, h.get())
	}
}

func TestWalkStopAndErrors(t *testing.T) {
	var srv *httptest.Server
	h := &hits{}
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := h.inc()
		w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/bookmarks?max_id=%d>; rel="next"`, srv.URL, n))
		fmt.Fprintf(w, "[%s]", statusJSON(fmt.Sprint(n)))
	})
	c, _ := newTestClient(t, srv)
	pages := 0
	err := c.WalkBookmarks(context.Background(), func(p Page) error {
		pages++
		if pages == 3 {
			return Stop
		}
		return nil
	})
	if err != nil || pages != 3 || h.get() != 3 {
		t.Errorf("Stop: err=%v pages=%d requests=%d, want nil 3 3", err, pages, h.get())
	}
	boom := errors.New("disk full")
	err = c.WalkBookmarks(context.Background(), func(p Page) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("callback error = %v, want %v", err, boom)
	}
}

func TestBookmarksPageRefusesOtherHosts(t *testing.T) {
	other := &hits{}
	otherSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		other.inc()
		fmt.Fprint(w, "[]")
	})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "[]")
	})
	c, _ := newTestClient(t, srv)
	for _, u := range []string{
		otherSrv.URL + "/api/v1/bookmarks?max_id=1",
		strings.Replace(srv.URL, "http://", "https://", 1) + "/api/v1/bookmarks",
		"/api/v1/bookmarks",
	} {
		_, err := c.BookmarksPage(context.Background(), u)
		if err == nil {
			t.Errorf("BookmarksPage(%s) succeeded, want an error", u)
		}
	}
	if other.get() != 0 {
		t.Errorf("the other host got %d requests", other.get())
	}
}

func TestRawPreservedByteForByte(t *testing.T) {
	elems := []string{
		`{"id":"1","uri":"https://r.example/s/1",  "x_unknown": {"nested": [1, 2.50, "é\u00e9"]}, "content":"<p>a</p>"}`,
		`{"id": 1234567890123456789, "uri":"https://r.example/s/2","account":{"id":42,"username":"n"},"media_attachments":[{"id":7,"type":"image","url":"https://cdn/x.png"}]}`,
		`{"id":"3","uri":"https://r.example/s/3","reblog":{"id":"4","uri":"https://r.example/s/4","pleroma":{"local":false}}}`,
	}
	body := "[\n  " + strings.Join(elems, ",\n  ") + "\n]"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})
	c, _ := newTestClient(t, srv)
	p, err := c.BookmarksPage(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Statuses) != 3 {
		t.Fatalf("got %d statuses", len(p.Statuses))
	}
	for i, s := range p.Statuses {
		if !bytes.Equal(s.Raw, []byte(elems[i])) {
			t.Errorf("status %d Raw = %s\nwant %s", i, s.Raw, elems[i])
		}
	}
	if p.Statuses[1].ID != "1234567890123456789" || p.Statuses[1].Account.ID != "42" || p.Statuses[1].Media[0].ID != "7" {
		t.Errorf("numeric ids: %q %q %q", p.Statuses[1].ID, p.Statuses[1].Account.ID, p.Statuses[1].Media[0].ID)
	}
	if p.Statuses[2].Reblog == nil || p.Statuses[2].Original().ID != "4" {
		t.Errorf("reblog not decoded: %+v", p.Statuses[2].Reblog)
	}
}

func TestBookmarksPageKeepsGoodStatusesAndSkipsBad(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<`+"http://"+r.Host+`/api/v1/bookmarks?max_id=1>; rel="next"`)
		fmt.Fprintf(w, `[%s, {"id":"2"}, %s]`, statusJSON("3"), statusJSON("1"))
	})
	c, _ := newTestClient(t, srv)
	p, err := c.BookmarksPage(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Statuses) != 2 || len(p.Skipped) != 1 || p.Len() != 3 {
		t.Fatalf("statuses=%d skipped=%d, want 2 and 1", len(p.Statuses), len(p.Skipped))
	}
	if string(p.Skipped[0].Raw) != `{"id":"2"}` || p.Skipped[0].Err == nil {
		t.Errorf("skipped = %s %v", p.Skipped[0].Raw, p.Skipped[0].Err)
	}
}

func TestBookmarksPageBadJSON(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"not":"an array"}`)
	})
	c, _ := newTestClient(t, srv)
	_, err := c.BookmarksPage(context.Background(), "")
	var se *json.UnmarshalTypeError
	if err == nil || !errors.As(err, &se) {
		t.Fatalf("err = %v, want a decode error", err)
	}
}
