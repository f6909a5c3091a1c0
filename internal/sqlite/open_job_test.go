package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestOpenForJobSmallCache: an archive opened for a job gives its writer
// and its readers SQLite's default page cache; Open gives them cacheKiB.
func TestOpenForJobSmallCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "archive.db")
	for _, tc := range []struct {
		open func(context.Context, string) (*Archive, error)
		kib  int
	}{{Open, cacheKiB}, {OpenForJob, jobCacheKiB}} {
		a, err := tc.open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var w, r int
		if err := a.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&w); err != nil {
			t.Fatal(err)
		}
		if err := a.r.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&r); err != nil {
			t.Fatal(err)
		}
		if w != -tc.kib || r != -tc.kib {
			t.Errorf("cache sizes %d and %d, want %d", w, r, -tc.kib)
		}
		a.Close()
	}
}
