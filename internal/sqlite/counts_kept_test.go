package sqlite_test

import (
	"context"
	"testing"

	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestSearchCountsFollowChanges: a search's count, bounded or not, is
// that of its whole listing after every kind of change, and a kept count
// is not counted again when the change cannot have moved it: a word's
// after a tag (until a note says the word), any count after a new
// bookmark, a bounded count that was reached after a change of a
// bookmark that is listed now.
func TestSearchCountsFollowChanges(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 300)
	stages := smallChanges(t, a, posts)
	queries := pageQueries()[2:]
	// check compares each query's counts (bounded at 5, at 500, at its
	// count as built, and not) with its listing and returns how many of
	// the word's counts were counted again.
	tight := make([]int, len(queries))
	check := func(stage string) (wordReads int64) {
		t.Helper()
		for qi, q := range queries {
			whole, err := a.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if tight[qi] == 0 {
				tight[qi] = len(whole)
			}
			for _, max := range []int{0, 5, 500, tight[qi]} {
				before := sqlite.CountReads(a)
				n, err := a.SearchCountAtMost(ctx, q, max)
				if err != nil {
					t.Fatal(err)
				}
				if qi == 0 {
					wordReads += sqlite.CountReads(a) - before
				}
				want := len(whole)
				if max > 0 {
					want = min(want, max)
				}
				if n != want {
					t.Errorf("%s: %s counted up to %d: %d, want %d", stage, describe(q), max, n, want)
				}
			}
		}
		return wordReads
	}
	check("built")
	if reads := check("unchanged"); reads != 0 {
		t.Errorf("unchanged: the word counted %d times again, want 0", reads)
	}
	for _, st := range stages {
		before := sqlite.CountReads(a)
		st.change()
		reads := check(st.name)
		switch {
		case st.wordStays && reads != 0:
			t.Errorf("%s: the word counted %d times again, want 0 (tags do not move it)", st.name, reads)
		case st.name == "a new bookmark saying golang" && sqlite.CountReads(a) != before:
			t.Errorf("%s: %d counts counted again, want 0 (a new bookmark adds to them)", st.name, sqlite.CountReads(a)-before)
		}
	}
}
