package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// pageQueries are listings in date order whose pages typed by number
// start from page anchors: the timeline (with and without removed
// bookmarks), a word in a fifth of the posts (tested bookmark by
// bookmark), one in 2 % (walked against the list of its matches), a
// local tag, and a word with a tag.
func pageQueries() []fedimarks.Query {
	return []fedimarks.Query{
		{Account: home},
		{Account: home, IncludeRemoved: true},
		{Account: home, Text: "golang", ByDate: true},
		{Account: home, Text: "user10", ByDate: true},
		{Account: home, Tags: []string{"later"}},
		{Account: home, Text: "python", ByDate: true, NotTags: []string{"later"}},
	}
}

// checkTypedPages compares pages typed by number (an Offset) of each of
// pageQueries with the same slices of the whole listing read from the
// top: a page anchor kept from before a change must never be used after
// it.
func checkTypedPages(t *testing.T, a interface {
	Search(context.Context, fedimarks.Query) ([]fedimarks.Hit, error)
}, stage string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range pageQueries() {
		whole, err := a.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{20, 47, len(whole) - 3, len(whole) + 40} {
			if off < 0 {
				continue
			}
			p := q
			p.Offset, p.Limit = off, 9
			got, err := a.Search(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			want := whole[min(off, len(whole)):min(off+9, len(whole))]
			if !slices.Equal(uris(got), uris(want)) {
				t.Errorf("%s: %+v from offset %d: %v, want %v", stage, describe(q), off, numbers(got), numbers(want))
			}
		}
	}
}

func describe(q fedimarks.Query) string {
	return fmt.Sprintf("%q tags %v -tags %v removed %v", q.Text, q.Tags, q.NotTags, q.IncludeRemoved)
}

// numbers returns the post numbers of hits (the end of their URIs).
func numbers(hits []fedimarks.Hit) []string {
	var out []string
	for _, h := range hits {
		u := h.Bookmark.Status.URI
		out = append(out, u[strings.LastIndexByte(u, '/')+1:])
	}
	return out
}

// TestTypedPagesFollowChanges: a page typed by number shows the same
// bookmarks as the same slice of the whole listing, before and after
// every kind of change that moves bookmarks in a listing: new bookmarks
// on top, a full backup that finds some gone, one that finds them back,
// local tags and notes set and taken off, a post edited (its index entry
// written again).
func TestTypedPagesFollowChanges(t *testing.T) {
	defer sqlite.SetTimelineEvery(30)()
	ctx := context.Background()
	a, posts := buildArchive(t, 300)
	for i := 0; i < len(posts); i += 7 {
		if err := a.SetTags(ctx, home, posts[i].uri(), []string{"later"}); err != nil {
			t.Fatal(err)
		}
	}
	checkTypedPages(t, a, "built")

	run := func(full bool, ss []fedimarks.Status, at time.Time) {
		t.Helper()
		r, err := a.StartRun(ctx, home, full, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SavePage(ctx, r, ss, "", at); err != nil {
			t.Fatal(err)
		}
		if _, err := a.FinishRun(ctx, r, at); err != nil {
			t.Fatal(err)
		}
	}
	// New bookmarks on top.
	var fresh []fedimarks.Status
	for i := 1000; i < 1030; i++ {
		fresh = append(fresh, genPost(i).status(t))
	}
	slices.Reverse(fresh)
	run(false, fresh, base.Add(2*time.Hour))
	checkTypedPages(t, a, "after new bookmarks")

	// A full backup that no longer sees every third post, then one that
	// sees them all again.
	var all, some []fedimarks.Status
	for i := len(posts) - 1; i >= 0; i-- {
		s := posts[i].status(t)
		all = append(all, s)
		if i%3 != 0 {
			some = append(some, s)
		}
	}
	all = append(fresh, all...)
	run(true, append(slices.Clone(fresh), some...), base.Add(3*time.Hour))
	checkTypedPages(t, a, "after a full backup found some gone")
	run(true, all, base.Add(4*time.Hour))
	checkTypedPages(t, a, "after a full backup found them back")

	// Local tags and notes.
	for i := 0; i < len(posts); i += 5 {
		if err := a.EditTags(ctx, home, posts[i].uri(), []string{"later"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	checkTypedPages(t, a, "after tagging")
	for i := 0; i < len(posts); i += 14 {
		if err := a.SetTags(ctx, home, posts[i].uri(), nil); err != nil {
			t.Fatal(err)
		}
	}
	checkTypedPages(t, a, "after untagging")
	if err := a.SetNote(ctx, home, posts[3].uri(), "golang notes"); err != nil {
		t.Fatal(err)
	}
	checkTypedPages(t, a, "after a note")

	// Posts edited to say "golang" (a word of theirs indexed again).
	var edited []fedimarks.Status
	for i := len(posts) - 1; i >= 0; i-- {
		p := posts[i]
		if i%11 == 1 {
			p.extraHTML += " golang"
		}
		edited = append(edited, p.status(t))
	}
	run(true, append(slices.Clone(fresh), edited...), base.Add(5*time.Hour))
	checkTypedPages(t, a, "after edits")
}

// TestPagingWhileBackupWrites: while a backup adds bookmarks on top, a
// listing paged by its cursors (the older links of the page) gives every
// bookmark that was there when it began exactly once, in order, and a
// page typed by number is the slice of the listing as it was just before
// or just after the backup's page.
func TestPagingWhileBackupWrites(t *testing.T) {
	defer sqlite.SetTimelineEvery(30)()
	ctx := context.Background()
	a, _ := buildArchive(t, 160)
	for qi, q := range pageQueries()[:4] {
		before, err := a.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// The backup writes one run of three new bookmarks for each
		// page read, at any moment during it.
		tick := make(chan struct{}, 1)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for range tick {
				at := base.Add(time.Duration(10+n) * time.Hour)
				r, err := a.StartRun(ctx, home, false, at)
				if err != nil {
					t.Error(err)
					return
				}
				var ss []fedimarks.Status
				for i := range 3 {
					ss = append(ss, genPost(10_000+qi*1000+n*3+i).status(t))
				}
				if err := a.SavePage(ctx, r, ss, "", at); err != nil {
					t.Error(err)
					return
				}
				if _, err := a.FinishRun(ctx, r, at); err != nil {
					t.Error(err)
					return
				}
				n++
			}
		}()
		var walked []fedimarks.Hit
		p := q
		p.Limit = 10
		typed := q
		typed.Offset, typed.Limit = 40, 7
		for pages := 0; pages < 200; pages++ {
			select {
			case tick <- struct{}{}:
			default:
			}
			hits, err := a.Search(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 {
				break
			}
			walked = append(walked, hits...)
			p.Cursor = hits[len(hits)-1].OlderCursor
			whole1, err1 := a.Search(ctx, q)
			got, err2 := a.Search(ctx, typed)
			whole2, err3 := a.Search(ctx, q)
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatal(err1, err2, err3)
			}
			// The backup may finish two runs during the three reads
			// (one ticked before, one now): the typed page is the
			// slice of the listing at one of the states in between,
			// whole2 without the d newest of what was added on top.
			slice := func(w []fedimarks.Hit, d int) []string { return uris(w[min(40+d, len(w)):min(47+d, len(w))]) }
			match := false
			for d := 0; d <= len(whole2)-len(whole1); d++ {
				match = match || slices.Equal(uris(got), slice(whole2, d))
			}
			if !match {
				t.Errorf("%s: a typed page while a backup writes: %v, want %v", describe(q), numbers(got), numbers(whole2[40:47]))
			}
		}
		close(tick)
		wg.Wait()
		// What the backup added during the walk is above where the
		// walk was: only the first page may show some of it.
		was := map[string]bool{}
		for _, h := range before {
			was[h.Bookmark.Status.URI] = true
		}
		var old []fedimarks.Hit
		for i, h := range walked {
			switch {
			case was[h.Bookmark.Status.URI]:
				old = append(old, h)
			case i >= 10:
				t.Errorf("%s: the walk shows %v, added during it, on page %d", describe(q), numbers([]fedimarks.Hit{h}), i/10+1)
			}
		}
		if !slices.Equal(uris(old), uris(before)) {
			t.Errorf("%s: paged by cursors while a backup wrote: %d bookmarks of the first listing (%d walked), want all %d once, in order",
				describe(q), len(old), len(walked), len(before))
		}
	}
}
