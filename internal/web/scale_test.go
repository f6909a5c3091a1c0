package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestSearchCountStopsAtLimit: a search with more matches than the page
// counts says "more than" (true, and cheap), pages on while older posts
// exist, and refuses a page past the last.
func TestSearchCountStopsAtLimit(t *testing.T) {
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive, PageSize: 10, CountLimit: 12})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	n, err := f.archive.SearchCount(context.Background(), fedimarks.Query{Account: alice, Text: "ordinary"})
	if err != nil || n <= 12 {
		t.Fatalf("the fixture has %d (%v) ordinary posts, want more than 12", n, err)
	}
	r := get(t, srv.URL, "/?q=ordinary", "")
	if r.code != http.StatusOK || !strings.Contains(r.body, "more than 12 bookmarks match") ||
		!strings.Contains(r.body, `id="older"`) || strings.Contains(r.body, "page 1 of") {
		t.Errorf("first page of a search past the count limit: %d\n%s", r.code, summaryOf(r.body))
	}
	last := (n + 9) / 10
	r = get(t, srv.URL, "/?q=ordinary&page="+strconv.Itoa(last), "")
	if r.code != http.StatusOK || strings.Contains(r.body, `id="older"`) || !strings.Contains(r.body, `id="newer"`) ||
		strings.Count(r.body, `<article`) != n-(last-1)*10 {
		t.Errorf("last page %d: %d, %d posts, want %d and no older link\n%s", last, r.code,
			strings.Count(r.body, `<article`), n-(last-1)*10, summaryOf(r.body))
	}
	if r := get(t, srv.URL, "/?q=ordinary&page="+strconv.Itoa(last+1), ""); r.code != http.StatusNotFound {
		t.Errorf("page %d past the last: %d, want 404", last+1, r.code)
	}
	// The timeline's count is exact (kept counts cost nothing).
	if r := get(t, srv.URL, "/", ""); !strings.Contains(r.body, "45 bookmarks, newest first") {
		t.Errorf("timeline: %s", summaryOf(r.body))
	}
}

// summaryOf returns the page's summary line, for messages.
func summaryOf(body string) string {
	i := strings.Index(body, `id="summary"`)
	if i < 0 {
		return "(no summary)"
	}
	return body[i:min(len(body), i+300)]
}

// TestSearchControlCharacters: a search holding a NUL byte or another
// control character is answered with a page (no match, or a message
// saying what is wrong), never a server error.
func TestSearchControlCharacters(t *testing.T) {
	f := newFixture(t)
	base := start(t, f)
	for _, q := range []string{"%00", "quokka%00", "a%00b", "%01%02%03", "%1b%5b31m", "%7f", "%c2%80", `%22%00%22`, "from%3A%00"} {
		r := get(t, base, "/?q="+q, "")
		if r.code >= 500 {
			t.Errorf("search %s: %d\n%s", q, r.code, r.body)
			continue
		}
		if r.code == http.StatusOK && !strings.Contains(r.body, "0 bookmarks match") {
			t.Errorf("search %s: %d, want no match or a message\n%s", q, r.code, summaryOf(r.body))
		}
	}
}
