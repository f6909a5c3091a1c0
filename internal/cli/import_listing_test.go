package cli

import (
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestImportRerunReadsNoListing: a rerun that only retries rows compared
// with the destination's bookmarks by the first run reads none of them
// (Mastodon allows 300 paging requests per 15 minutes); a row bookmarked
// by hand on the destination in between still ends already, without a
// bookmark request, because its search says so.
func TestImportRerunReadsNoListing(t *testing.T) {
	f := newFediverse(t)
	carol, dave, erin := f.a.AddAccount("carol"), f.b.AddAccount("dave"), f.c.AddAccount("erin")
	for i := 0; i < 100; i++ {
		f.bob.Bookmark(dave.Post(mastodontest.PostOptions{}))
	}
	var lines []string
	var down []*mastodontest.Status
	for i := 0; i < 5; i++ {
		if i%2 == 0 {
			s := erin.Post(mastodontest.PostOptions{})
			down = append(down, s)
			lines = append(lines, s.URI())
		} else {
			lines = append(lines, carol.Post(mastodontest.PostOptions{}).URI())
		}
	}
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(lines, "\n")+"\n")
	args := []string{"import", file, "--to", f.bob.Handle(), "--report-dir", f.reports}
	f.c.SetDown(true)
	mustRun(t, ExitPartial, f.home, "", args...)
	if got, _ := f.report(t); got[down[0].URI()] != "unreachable" {
		t.Fatalf("first run: %v", got)
	}
	f.c.SetDown(false)
	f.bob.Bookmark(down[1]) // by hand, between the runs
	f.b.ResetCounts()
	r := mustRun(t, ExitOK, f.home, "", args...)
	if n := f.b.Requests("GET", "/api/v1/bookmarks"); n != 0 {
		t.Errorf("the rerun read %d pages of bookmarks to retry 3 rows", n)
	}
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 2 {
		t.Errorf("%d bookmark requests, want 2 (the third was bookmarked by hand)\n%s", n, r.stderr)
	}
	got, _ := f.report(t)
	if got[down[1].URI()] != "already" || got[down[0].URI()] != "imported" || got[down[2].URI()] != "imported" {
		t.Errorf("rerun: %v", got)
	}
}

// TestMigrateRerunReadsOnlyNewBookmarks: a rerun of migrate that appends
// new bookmarks of the source reads the destination's listing only down to
// what the first run saw (its own imports and a bookmark made by hand come
// first), not the whole list; the post bookmarked by hand ends already.
func TestMigrateRerunReadsOnlyNewBookmarks(t *testing.T) {
	f := newFediverse(t)
	carol, dave := f.a.AddAccount("carol"), f.b.AddAccount("dave")
	for i := 0; i < 200; i++ {
		f.bob.Bookmark(dave.Post(mastodontest.PostOptions{}))
	}
	for i := 0; i < 10; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	args := []string{"migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports}
	mustRun(t, ExitOK, f.home, "", args...)
	if n := f.b.Requests("GET", "/api/v1/bookmarks"); n < 6 {
		t.Fatalf("the first run read %d pages of 210 bookmarks", n)
	}
	byHand, fresh := carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{})
	f.alice.Bookmark(fresh)
	f.alice.Bookmark(byHand)
	f.bob.Bookmark(byHand)
	f.b.ResetCounts()
	r := mustRun(t, ExitOK, f.home, "", args...)
	if n := f.b.Requests("GET", "/api/v1/bookmarks"); n != 1 {
		t.Errorf("the rerun read %d pages, want 1 (11 bookmarks made since the first run)", n)
	}
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 1 {
		t.Errorf("%d bookmark requests, want 1\n%s", n, r.stderr)
	}
	got, rows := f.report(t)
	if got[byHand.URI()] != "already" || got[fresh.URI()] != "imported" || len(rows) != 12 {
		t.Errorf("rerun: %d rows, %v", len(rows), got)
	}
}
