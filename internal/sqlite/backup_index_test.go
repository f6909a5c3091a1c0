package sqlite

import (
	"context"
	"fmt"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
)

// TestSavePageIndexOneSegment: a page of new statuses adds one segment to
// the full-text index, not one a status (each was written out on its own
// when the page's other statements came between the entries, and merging
// thousands of small segments was most of a first backup's cost), and
// every status is found.
func TestSavePageIndexOneSegment(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	run, err := a.StartRun(ctx, alice, true, t0)
	if err != nil {
		t.Fatal(err)
	}
	var page []fedimarks.Status
	for i := range 40 {
		page = append(page, status(t, "remote.example", fmt.Sprint(1000+i)))
	}
	if err := a.SavePage(ctx, run, page, "next", t0); err != nil {
		t.Fatal(err)
	}
	var segments, entries int
	if err := a.r.QueryRowContext(ctx, `SELECT count(DISTINCT segid) FROM search_fts_idx`).Scan(&segments); err != nil {
		t.Fatal(err)
	}
	if err := a.r.QueryRowContext(ctx, `SELECT count(*) FROM search_fts WHERE search_fts MATCH 'post'`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if segments != 1 || entries != 40 {
		t.Errorf("%d segments, %d entries found: want 1 and 40", segments, entries)
	}
}

// A finished backup run leaves the search index in one segment, however
// many pages wrote to it (each page's entries are a segment of their own,
// and every word lookup reads every segment); a run that indexed nothing
// leaves it as it is.
func TestFinishRunMergesTheIndex(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	segments := func() int {
		t.Helper()
		var n int
		if err := a.r.QueryRowContext(ctx, `SELECT count(DISTINCT segid) FROM search_fts_idx`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	run, err := a.StartRun(ctx, alice, true, t0)
	if err != nil {
		t.Fatal(err)
	}
	for p := range 5 {
		var page []fedimarks.Status
		for i := range 10 {
			page = append(page, status(t, "remote.example", fmt.Sprint(1000+10*p+i)))
		}
		if err := a.SavePage(ctx, run, page, "next", t0); err != nil {
			t.Fatal(err)
		}
	}
	if n := segments(); n < 2 {
		t.Fatalf("5 pages wrote %d segments: the test needs several", n)
	}
	if _, err := a.FinishRun(ctx, run, t0); err != nil {
		t.Fatal(err)
	}
	if n := segments(); n != 1 {
		t.Errorf("after the run: %d segments, want 1", n)
	}
	var entries int
	if err := a.r.QueryRowContext(ctx, `SELECT count(*) FROM search_fts WHERE search_fts MATCH 'post'`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != 50 {
		t.Errorf("%d entries found after the merge, want 50", entries)
	}
}
