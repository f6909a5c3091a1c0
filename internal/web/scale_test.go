package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/web"
)

// walk follows the page's older links from path to the end and returns
// the numbers of the posts shown, page by page.
func walk(t *testing.T, base, path string) (pages [][]int, paths []string) {
	t.Helper()
	for path != "" && len(pages) < 100 {
		r := get(t, base, path, "")
		if r.code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, r.code, summaryOf(r.body))
		}
		var nums []int
		for _, m := range postNumber.FindAllStringSubmatch(r.body, -1) {
			n, _ := strconv.Atoi(m[1])
			nums = append(nums, n)
		}
		pages, paths = append(pages, nums), append(paths, path)
		path = ""
		if m := olderLink.FindStringSubmatch(r.body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	return pages, paths
}

var (
	postNumber = regexp.MustCompile(`class="time" href="[^"]*/(\d+)"`)
	olderLink  = regexp.MustCompile(`href="([^"]*)" id="older"`)
	newerLink  = regexp.MustCompile(`href="([^"]*)" id="newer"`)
)

// TestSearchPastCountLimit: a search with more matches than the page
// ranks lists them newest first and says how many match, with numbered
// pages, when the archive can tell at the cost of a page (a listing order
// answers the search), else "more than" (true, and cheap); its older
// links (cursors, like the timeline's) walk every match once in that
// order; a newer link goes back a page; a page past the last is refused.
func TestSearchPastCountLimit(t *testing.T) {
	f := newFixture(t)
	n, err := f.archive.SearchCount(context.Background(), fedimarks.Query{Account: alice, Text: "ordinary"})
	if err != nil || n <= 12 {
		t.Fatalf("the fixture has %d (%v) ordinary posts, want more than 12", n, err)
	}
	for _, c := range []struct {
		name    string
		archive web.Archive
		summary []string
		absent  string
	}{
		{"counted", f.archive, []string{fmt.Sprintf("%d bookmarks match", n), "newest first", fmt.Sprintf("page 1 of %d", (n+9)/10)}, "more than"},
		// An archive that cannot count cheaply (a search no listing
		// order answers).
		{"uncounted", struct{ web.Archive }{f.archive}, []string{"more than 12 bookmarks match", "newest first"}, "page 1 of"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := web.New(web.Options{Archive: c.archive, PageSize: 10, CountLimit: 12})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			r := get(t, srv.URL, "/?q=ordinary", "")
			sum := summaryOf(r.body)
			for _, want := range c.summary {
				if r.code != http.StatusOK || !strings.Contains(sum, want) || strings.Contains(sum, c.absent) {
					t.Errorf("first page of a search past the count limit: %d, want %q and not %q\n%s", r.code, want, c.absent, sum)
				}
			}
			walkBothWays(t, srv.URL, n)
			if r := get(t, srv.URL, "/?q=ordinary&page=99", ""); r.code != http.StatusNotFound {
				t.Errorf("page 99 of a search: %d, want 404", r.code)
			}
			if r := get(t, srv.URL, "/?q=ordinary&page=2&cursor=o:bad", ""); r.code != http.StatusBadRequest {
				t.Errorf("a bad cursor: %d, want 400", r.code)
			}
			// The timeline's count is exact (kept counts cost nothing).
			if r := get(t, srv.URL, "/", ""); !strings.Contains(r.body, "45 bookmarks, newest first") {
				t.Errorf("timeline: %s", summaryOf(r.body))
			}
		})
	}
}

// walkBothWays follows the older links of the search "ordinary" (n
// matches) and of the timeline from their first page, checking that they
// list every post once, newest first, 10 a page, each link past the
// second with a cursor, and that each page's newer link shows the page
// before.
func walkBothWays(t *testing.T, base string, n int) {
	t.Helper()
	for start, want := range map[string]int{"/?q=ordinary": n, "/": 45} {
		wantPages := (want + 9) / 10
		pages, paths := walk(t, base, start)
		var all []int
		for _, p := range pages {
			all = append(all, p...)
		}
		if len(all) != want || !slices.IsSortedFunc(all, func(a, b int) int { return b - a }) || len(pages) != wantPages {
			t.Errorf("%s: older links walked %d posts on %d pages %v, want %d newest first, once each, on %d pages",
				start, len(all), len(pages), pages, want, wantPages)
		}
		for i := 2; i < len(paths); i++ {
			if !strings.Contains(paths[i], "cursor=") {
				t.Errorf("%s: the link to page %d carries no cursor: %s", start, i+1, paths[i])
			}
			r := get(t, base, paths[i], "")
			m := newerLink.FindStringSubmatch(r.body)
			if m == nil {
				t.Fatalf("page %d has no newer link", i+1)
			}
			back, _ := walk(t, base, html.UnescapeString(m[1]))
			if !slices.Equal(back[0], pages[i-1]) {
				t.Errorf("%s: newer than page %d shows %v, want %v", start, i+1, back[0], pages[i-1])
			}
		}
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
