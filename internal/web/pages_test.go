package web_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/web"
)

// TestTypedPagesMatchLinks: page N typed as ?page=N (no cursor: it starts
// from the listing's page anchors) shows the posts that the older links
// reach as page N, for the timeline and for a search listed newest first;
// a page typed past the end is refused or empty, never a repeat.
func TestTypedPagesMatchLinks(t *testing.T) {
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive, PageSize: 10, CountLimit: 12})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	for _, start := range []string{"/", "/?q=ordinary"} {
		pages, _ := walk(t, srv.URL, start)
		if len(pages) < 4 {
			t.Fatalf("%s: %d pages, want at least 4", start, len(pages))
		}
		sep := "?"
		if strings.Contains(start, "?") {
			sep = "&"
		}
		for i := 2; i <= len(pages); i++ {
			typed, _ := walk(t, srv.URL, start+sep+"page="+strconv.Itoa(i))
			if !slices.Equal(typed[0], pages[i-1]) {
				t.Errorf("%s page %d typed: %v, want %v (by links)", start, i, typed[0], pages[i-1])
			}
			if i < len(pages) && (len(typed) < 2 || !slices.Equal(typed[1], pages[i])) {
				t.Errorf("%s page %d typed, then its older link: %v, want %v", start, i, typed[1:], pages[i])
			}
		}
		if r := get(t, srv.URL, start+sep+"page="+strconv.Itoa(len(pages)+3), ""); r.code != http.StatusNotFound {
			t.Errorf("%s: a page past the end: %d, want 404", start, r.code)
		}
	}
}
