package sqlite

import (
	"context"
	"testing"
	"time"
)

// A full run that finishes records its start as the last full walk; an
// abandoned one or an incremental one does not. Migration 0010 finds the
// full walks an older fedimarks finished.
func TestLastFullWalk(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	last, archived, err := a.LastFullWalk(ctx, alice)
	if err != nil || !last.IsZero() || archived {
		t.Fatalf("empty archive: %v %v %v", last, archived, err)
	}
	saveBookmarks(t, a, alice, t0, status(t, "home.example", "1"))
	runAt := func(full bool, at time.Time, finish bool) {
		t.Helper()
		run, err := a.StartRun(ctx, alice, full, at)
		if err == nil {
			err = a.SavePage(ctx, run, nil, "", at.Add(time.Minute))
		}
		if err == nil && finish {
			_, err = a.FinishRun(ctx, run, at.Add(2*time.Minute))
		}
		if err == nil && !finish {
			err = a.AbandonRun(ctx, run)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	runAt(true, t0.Add(time.Hour), true)
	runAt(true, t0.Add(2*time.Hour), false)
	runAt(false, t0.Add(3*time.Hour), true)
	want := t0.Add(time.Hour)
	if last, archived, err := a.LastFullWalk(ctx, alice); err != nil || !last.Equal(want) || !archived {
		t.Fatalf("after runs: %v %v %v, want %v true", last, archived, err, want)
	}
	if last, archived, err := a.LastFullWalk(ctx, "bob@home.example"); err != nil || !last.IsZero() || archived {
		t.Fatalf("another account: %v %v %v", last, archived, err)
	}

	// An archive from before the migration.
	if _, err := a.w.ExecContext(ctx, `DROP TABLE backup_accounts; DELETE FROM schema_migrations WHERE version >= 10`); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.apply(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if last, _, err := a.LastFullWalk(ctx, alice); err != nil || !last.Equal(want) {
		t.Fatalf("after the migration: %v %v, want %v", last, err, want)
	}
}
