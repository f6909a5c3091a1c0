package sqlite_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestListingOrderFollowsChanges checks that a listing order moves on
// with the archive by the bookmarks logged as changed, both the one a
// backup run stores at its end and the one a process keeps, without
// reading every bookmark again, and that searches answered from it list
// what SQL alone lists after each change: new bookmarks at the top, a
// full run that moves every bookmark and removes one, a restored one, a
// tag; and that a log pruned past the order makes it read again.
func TestListingOrderFollowsChanges(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 300)
	sql, err := sqlite.Open(ctx, a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer sql.Close()
	sqlite.NoOrders(sql)
	queries := []fedimarks.Query{
		{Account: home, Text: "golang", ByDate: true},
		{Account: home, Text: "golang"},
		{Account: home, Text: "golang", ByDate: true, IncludeRemoved: true},
		{Account: home, Tags: []string{"later"}},
		{Account: home, Text: "python", ByDate: true, NotTags: []string{"later"}},
	}
	same := func(stage string) {
		t.Helper()
		for _, q := range queries {
			for _, page := range []struct{ limit, offset int }{{0, 0}, {7, 0}, {7, 21}, {20, 40}} {
				q.Limit, q.Offset = page.limit, page.offset
				got, err := a.Search(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v: %v", stage, q, err)
				}
				want, err := sql.Search(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v: %v", stage, q, err)
				}
				if !reflect.DeepEqual(hitKeys(got), hitKeys(want)) {
					t.Fatalf("%s: %v limit %d offset %d:\n got %v\nwant %v", stage, q.String(), q.Limit, q.Offset, hitKeys(got), hitKeys(want))
				}
				n, err := a.SearchCount(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if page.limit == 0 && n != len(want) {
					t.Fatalf("%s: %v: count %d, want %d", stage, q.String(), n, len(want))
				}
			}
		}
	}
	reads := sqlite.OrderReads()
	same("built")
	run := runner(t, a)
	steps := []struct {
		name   string
		change func()
	}{
		{"a new bookmark", func() { run(false, genPost(1011).status(t)) }},
		{"two more and one seen again", func() {
			run(false, genPost(1013).status(t), genPost(1012).status(t), genPost(1011).status(t))
		}},
		{"a full run that moves all and removes one", func() {
			var all []fedimarks.Status
			for i := len(posts) - 1; i >= 0; i-- {
				if i != 40 && !removed(posts[i]) {
					all = append(all, posts[i].status(t))
				}
			}
			run(true, all...)
		}},
		{"the removed one restored", func() { run(false, posts[40].status(t)) }},
		{"a tag", func() {
			if err := a.SetTags(ctx, home, posts[7].uri(), []string{"later"}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, st := range steps {
		st.change()
		same(st.name)
	}
	if n := sqlite.OrderReads() - reads; n != 0 {
		t.Errorf("the order was read again from the bookmarks %d times, want 0 (followed)", n)
	}
	// Past what the log keeps, the order is read again.
	var many []string
	for i := range 5000 {
		many = append(many, fmt.Sprintf("t%d", i))
	}
	if err := a.SetTags(ctx, home, posts[1].uri(), many); err != nil {
		t.Fatal(err)
	}
	run(false, genPost(1014).status(t))
	same("after the log was pruned")
	if n := sqlite.OrderReads() - reads; n != 1 {
		t.Errorf("after the log was pruned: %d reads from the bookmarks, want 1 (the run's)", n)
	}
}

// hitKeys is what tells hits apart in a listing: the post, its score and
// its cursors.
func hitKeys(hs []fedimarks.Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %.6f %s %s", h.Bookmark.Status.URI, h.Rank, h.OlderCursor, h.NewerCursor))
	}
	return out
}
