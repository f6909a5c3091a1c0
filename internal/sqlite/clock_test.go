package sqlite

import (
	"context"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// TestArchiveClock: every time the archive stamps comes from its one
// clock (Now), so a fake clock decides them all: a job's creation and
// update, a listing's reading, an app kept, a lock taken (and judged).
func TestArchiveClock(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	at := time.Date(2031, 4, 5, 6, 7, 8, 0, time.UTC)
	a.Now = func() time.Time { return at }

	job, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: "k", Destination: "bob@b.example"}, []fedimarks.JobItem{{URI: "https://a.example/1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !job.CreatedAt.Equal(at) {
		t.Errorf("job created %v, want %v", job.CreatedAt, at)
	}
	items, err := a.JobItems(ctx, job.ID)
	if err != nil || len(items) != 1 || !items[0].UpdatedAt.Equal(at) {
		t.Fatalf("row stamped %v (%v), want %v", items, err, at)
	}

	at = at.Add(time.Hour)
	if err := a.SetOutcome(ctx, items[0].ID, fedimarks.Imported, "", "9"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Job(ctx, job.ID); err != nil || !got.UpdatedAt.Equal(at) {
		t.Errorf("job updated %v (%v), want %v", got.UpdatedAt, err, at)
	}
	if err := a.SaveJobListing(ctx, job.ID, fedimarks.JobListing{Rows: 1}); err != nil {
		t.Fatal(err)
	}
	if l, err := a.JobListing(ctx, job.ID); err != nil || !l.ReadAt.Equal(at) {
		t.Errorf("listing read %v (%v), want %v", l.ReadAt, err, at)
	}
	if err := a.SaveApp(ctx, fedimarks.App{Server: "https://b.example", ClientID: "c", ClientSecret: "s"}); err != nil {
		t.Fatal(err)
	}
	if app, err := a.App(ctx, "https://b.example"); err != nil || !app.CreatedAt.Equal(at) {
		t.Errorf("app kept %v (%v), want %v", app.CreatedAt, err, at)
	}
	l, err := a.LockImports(ctx, "bob@b.example")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	locks, err := a.Locks(ctx)
	if err != nil || len(locks) != 1 || !locks[0].Holder.StartedAt.Equal(at) || locks[0].Stale {
		t.Errorf("lock %+v (%v), want taken at %v, not stale", locks, err, at)
	}
	// A day later on the same clock, a lock from another host with no
	// heartbeat since is stale.
	at = at.Add(24 * time.Hour)
	if _, err := a.w.ExecContext(ctx, `UPDATE import_locks SET host = 'elsewhere.example'`); err != nil {
		t.Fatal(err)
	}
	if locks, err := a.Locks(ctx); err != nil || len(locks) != 1 || !locks[0].Stale {
		t.Errorf("a day-old lock of another host: %+v (%v), want stale", locks, err)
	}
}
