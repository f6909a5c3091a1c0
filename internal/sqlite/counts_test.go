package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// checkCounts fails unless Counts of each account agrees with counting its
// bookmarks one by one.
func checkCounts(t *testing.T, a *Archive, step string, hs ...fedimarks.Handle) {
	t.Helper()
	ctx := context.Background()
	for _, h := range hs {
		var want Counts
		if err := a.r.QueryRowContext(ctx, `SELECT coalesce(sum(removed_at IS NULL), 0), coalesce(sum(removed_at IS NOT NULL), 0)
			FROM bookmarks WHERE account = ?`, string(h)).Scan(&want.Active, &want.Removed); err != nil {
			t.Fatal(err)
		}
		got, err := a.Counts(ctx, h)
		if err != nil || got != want {
			t.Errorf("%s: Counts(%s) = %+v, %v; counting the bookmarks gives %+v", step, h, got, err, want)
		}
	}
}

// TestCountsKept: the kept counts follow bookmarks as backups add, remove
// and restore them, and as rows go.
func TestCountsKept(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	bob := fedimarks.Handle("bob@b.example")
	var ss []fedimarks.Status
	for i := range 10 {
		ss = append(ss, status(t, "remote.example", fmt.Sprint(i)))
	}
	now := t0
	backup := func(h fedimarks.Handle, page []fedimarks.Status) {
		t.Helper()
		now = now.Add(time.Hour)
		run, err := a.StartRun(ctx, h, true, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SavePage(ctx, run, page, "", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.FinishRun(ctx, run, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	checkCounts(t, a, "empty archive", alice, bob)
	backup(alice, ss)
	backup(bob, ss[:4])
	checkCounts(t, a, "first backups", alice, bob)
	backup(alice, ss[3:])
	checkCounts(t, a, "three removed", alice, bob)
	if c, _ := a.Counts(ctx, alice); c != (Counts{Active: 7, Removed: 3}) {
		t.Errorf("after a backup without three: %+v, want 7 active and 3 removed", c)
	}
	backup(alice, ss[1:])
	checkCounts(t, a, "two restored", alice, bob)
	if _, err := a.w.ExecContext(ctx, `DELETE FROM bookmarks WHERE account = ? AND status_id IN (SELECT id FROM statuses LIMIT 2)`, string(bob)); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, a, "rows deleted", alice, bob)
	hs, err := a.ArchivedAccounts(ctx)
	if err != nil || len(hs) != 2 || hs[0] != alice || hs[1] != bob {
		t.Errorf("ArchivedAccounts = %v, %v; want [%s %s]", hs, err, alice, bob)
	}
}
