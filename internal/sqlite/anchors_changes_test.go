package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestSearchAnchorsFollowChanges: after a small change (a new bookmark, a
// tag, a note, an edit, a bookmark found again), a search's page
// typed by number is the slice of the listing read from the top, and its
// anchors followed the change instead of being read again in full: a
// word's not at all for a tag (tags do not move it), a tag's for its
// tags.
func TestSearchAnchorsFollowChanges(t *testing.T) {
	a, posts := buildArchive(t, 300)
	sqlite.NoOrders(a)           // the anchors of the searches a listing order cannot answer
	queries := pageQueries()[2:] // the searches (the timeline's anchors are kept by generation)
	stages := smallChanges(t, a, posts)
	if walks := checkAnchoredPages(t, a, "built", queries...); walks != int64(len(queries)) {
		t.Fatalf("built: %d listings read in full, want %d (one each)", walks, len(queries))
	}
	for _, st := range stages {
		st.change()
		want := int64(0)
		switch {
		case st.moved:
			want = int64(len(queries))
		case st.notes:
			want = 1 // the word's listing with notes: another listing
		}
		if walks := checkAnchoredPages(t, a, st.name, queries...); walks != want {
			t.Errorf("%s: %d listings read in full, want %d", st.name, walks, want)
		}
	}
}

// changeStage is one change of the archive of smallChanges.
type changeStage struct {
	name   string
	change func()
	moved  bool // every bookmark moved (a full backup)
	notes  bool // the first note that matches "golang"
	// wordStays says the change cannot move the listing of "golang"
	// (a tag, while no note says golang)
	wordStays bool
}

// smallChanges tags every 7th of posts (archived by buildArchive) "later"
// and returns the changes after which the listings of pageQueries are
// checked: new bookmarks, tags set and taken off, an edit, a full backup
// that finds two bookmarks gone, one of them found again by an
// incremental backup, notes.
func smallChanges(t *testing.T, a *sqlite.Archive, posts []post) []changeStage {
	ctx := context.Background()
	for i := 0; i < len(posts); i += 7 {
		if err := a.SetTags(ctx, home, posts[i].uri(), []string{"later"}); err != nil {
			t.Fatal(err)
		}
	}
	run := runner(t, a)
	all := func(skip ...int) []fedimarks.Status {
		var ss []fedimarks.Status
		for i := len(posts) - 1; i >= 0; i-- {
			if !slices.Contains(skip, i) {
				ss = append(ss, posts[i].status(t))
			}
		}
		return ss
	}
	note := func(i int, text string) func() {
		return func() {
			if err := a.SetNote(ctx, home, posts[i].uri(), text); err != nil {
				t.Fatal(err)
			}
		}
	}
	return []changeStage{
		{name: "a new bookmark saying golang", change: func() { run(false, genPost(1001).status(t)) }},
		{name: "a new bookmark saying python, tagged", change: func() {
			run(false, genPost(1002).status(t))
			if err := a.SetTags(ctx, home, genPost(1002).uri(), []string{"later"}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a post tagged deep down", wordStays: true, change: func() {
			if err := a.EditTags(ctx, home, posts[52].uri(), []string{"later"}, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a tag taken off", wordStays: true, change: func() {
			if err := a.SetTags(ctx, home, posts[7].uri(), nil); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a post edited to say golang", change: func() {
			p := posts[33]
			p.extraHTML = " golang"
			run(false, p.status(t))
		}},
		// A full backup positions every bookmark it sees again.
		{name: "a full backup that finds two gone", moved: true, change: func() {
			run(true, append([]fedimarks.Status{genPost(1002).status(t), genPost(1001).status(t)}, all(31, 126)...)...)
		}},
		{name: "one of them found again on top", change: func() { run(false, posts[31].status(t)) }},
		// The first note saying golang makes notes part of the word's
		// listing; later ones change it.
		{name: "a first note saying golang", notes: true, change: note(3, "golang notes")},
		{name: "another note saying golang", change: note(98, "more golang")},
		{name: "that note changed", change: note(98, "nothing to see")},
	}
}

// TestSearchAnchorsAfterPrunedLog: when more changes were logged than
// the log keeps, anchors read before them are read again in full: were
// they followed, a change pruned from the log would be missed (here a
// new bookmark saying the word, then 6,000 tags, which do not move the
// word's listing).
func TestSearchAnchorsAfterPrunedLog(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 300)
	sqlite.NoOrders(a)
	word := pageQueries()[2]
	checkAnchoredPages(t, a, "built", word)
	runner(t, a)(false, genPost(1011).status(t))
	var many []string
	for i := range 6000 {
		many = append(many, fmt.Sprintf("t%d", i))
	}
	if err := a.SetTags(ctx, home, posts[1].uri(), many); err != nil {
		t.Fatal(err)
	}
	if walks := checkAnchoredPages(t, a, "after the log was pruned", word); walks != 1 {
		t.Errorf("after the log was pruned: %d listings read in full, want 1", walks)
	}
}

// checkAnchoredPages compares pages typed by number of each of queries
// with the slices of its whole listing and returns how many listings
// were read in full to find their anchors.
func checkAnchoredPages(t *testing.T, a *sqlite.Archive, stage string, queries ...fedimarks.Query) int64 {
	t.Helper()
	ctx := context.Background()
	before := sqlite.AnchorWalks(a)
	for _, q := range queries {
		whole, err := a.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{20, 47, 61, len(whole) - 3, len(whole) + 5} {
			p := q
			p.Offset, p.Limit = max(off, 0), 9
			got, err := a.Search(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			want := whole[min(p.Offset, len(whole)):min(p.Offset+9, len(whole))]
			if !slices.Equal(uris(got), uris(want)) {
				t.Errorf("%s: %s from offset %d: %v, want %v", stage, describe(q), p.Offset, numbers(got), numbers(want))
			}
		}
	}
	return sqlite.AnchorWalks(a) - before
}

// runner returns what saves statuses as one backup run of home (full:
// a full backup), each run an hour after the one before.
func runner(t *testing.T, a *sqlite.Archive) func(full bool, ss ...fedimarks.Status) {
	ctx := context.Background()
	at := base.Add(100 * time.Hour)
	return func(full bool, ss ...fedimarks.Status) {
		t.Helper()
		at = at.Add(time.Hour)
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
}
