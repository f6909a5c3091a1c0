package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestTypedPagesMatchLinks: page N typed as ?page=N (no cursor: it starts
// from the listing's page anchors) shows the posts that the older links
// reach as page N, for the timeline and for a search listed newest first;
// a page typed past the end is refused or empty, never a repeat. So it
// stays after the archive changed under the kept anchors and counts: a
// backup run that finds a new bookmark (the search's anchors and count
// follow it), a post tagged (they stay), a post edited to no longer match.
func TestTypedPagesMatchLinks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive, PageSize: 10, CountLimit: 12})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	backup := func(ps ...postSpec) {
		run, err := f.archive.StartRun(ctx, alice, false, t0)
		if err != nil {
			t.Fatal(err)
		}
		var page []fedimarks.Status
		for _, p := range ps {
			page = append(page, p.status(t))
		}
		if err := f.archive.SavePage(ctx, run, page, "", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.archive.FinishRun(ctx, run, t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []struct {
		name   string
		change func()
	}{
		{"as built", func() {}},
		{"after a new bookmark", func() { backup(postSpec{i: 300, content: "<p>an ordinary new post</p>"}) }},
		{"after a tag", func() {
			if err := f.archive.SetTags(ctx, alice, f.posts[7].uri(), []string{"later"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"after an edit", func() {
			p := f.posts[12]
			p.content = "<p>nothing special any more</p>"
			backup(postSpec{i: 301, content: "<p>another ordinary one</p>"}, p)
		}},
	} {
		st.change()
		checkTypedPagesMatchLinks(t, srv.URL, st.name)
	}
}

// checkTypedPagesMatchLinks compares every page typed by number of the
// timeline and of a search with the same page reached by the older links.
func checkTypedPagesMatchLinks(t *testing.T, base, stage string) {
	t.Helper()
	for _, start := range []string{"/", "/?q=ordinary"} {
		pages, _ := walk(t, base, start)
		if len(pages) < 4 {
			t.Fatalf("%s: %s: %d pages, want at least 4", stage, start, len(pages))
		}
		sep := "?"
		if strings.Contains(start, "?") {
			sep = "&"
		}
		for i := 2; i <= len(pages); i++ {
			typed, _ := walk(t, base, start+sep+"page="+strconv.Itoa(i))
			if !slices.Equal(typed[0], pages[i-1]) {
				t.Errorf("%s: %s page %d typed: %v, want %v (by links)", stage, start, i, typed[0], pages[i-1])
			}
			if i < len(pages) && (len(typed) < 2 || !slices.Equal(typed[1], pages[i])) {
				t.Errorf("%s: %s page %d typed, then its older link: %v, want %v", stage, start, i, typed[1:], pages[i])
			}
		}
		if r := get(t, base, start+sep+"page="+strconv.Itoa(len(pages)+3), ""); r.code != http.StatusNotFound {
			t.Errorf("%s: %s: a page past the end: %d, want 404", stage, start, r.code)
		}
	}
}
