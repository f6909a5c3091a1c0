package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestTypedPageAfterOtherBackupUsesStoredAnchors: a serve process's first
// page typed by number after a backup that another process (another
// connection to the same file) ran reads the timeline's anchors as that
// backup stored them, not by walking the timeline again; and the page is
// the right slice. While a run is unfinished, the stored anchors are
// stale and the page walks the listing (and is still right).
func TestTypedPageAfterOtherBackupUsesStoredAnchors(t *testing.T) {
	defer sqlite.SetTimelineEvery(10)()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "archive.db")
	open := func() *sqlite.Archive {
		a, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	backup, serve := open(), open()
	next := 0
	save := func(n int, finish bool) {
		at := base.Add(time.Duration(next) * time.Hour)
		run, err := backup.StartRun(ctx, home, false, at)
		if err != nil {
			t.Fatal(err)
		}
		var ss []fedimarks.Status
		for range n {
			ss = append(ss, genPost(next).status(t))
			next++
		}
		slices.Reverse(ss) // newest first
		if err := backup.SavePage(ctx, run, ss, "", at); err != nil {
			t.Fatal(err)
		}
		if finish {
			if _, err := backup.FinishRun(ctx, run, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	typed := func(stage string, wantWalks int64) {
		t.Helper()
		q := fedimarks.Query{Account: home}
		whole, err := serve.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		walks := sqlite.AnchorWalks(serve)
		q.Offset, q.Limit = 45, 7
		got, err := serve.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if want := whole[45:52]; !slices.Equal(uris(got), uris(want)) {
			t.Errorf("%s: page from offset 45: %v, want %v", stage, numbers(got), numbers(want))
		}
		if n := sqlite.AnchorWalks(serve) - walks; n != wantWalks {
			t.Errorf("%s: the typed page walked the timeline %d times to find its anchors, want %d", stage, n, wantWalks)
		}
	}
	save(100, true)
	typed("after the first backup", 0)
	save(3, true)
	typed("after a backup that added 3", 0)
	save(2, false)
	typed("during a backup", 1)
	typed("again during a backup", 0) // kept in memory
}
