package sqlite

import (
	"context"
	"testing"
	"time"
)

// TestPageJobs: a page job is recorded running, linked to its import job
// and finished with its result; one left running by a server that is
// gone (another runner in this process, as after a restart) is marked
// interrupted when the next server starts, one of the running server is
// not.
func TestPageJobs(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	old, err := a.CreatePageJob(ctx, "move", []byte(`{"kind":"move"}`), "old", now)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := a.CreatePageJob(ctx, "backup", []byte(`{}`), "new", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetPageJobImport(ctx, old.ID, 7); err != nil {
		t.Fatal(err)
	}
	n, err := a.InterruptOrphanedPageJobs(ctx, "new", now.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("interrupted %d (%v), want 1", n, err)
	}
	got, err := a.PageJob(ctx, old.ID)
	if err != nil || got.State != PageJobInterrupted || got.ImportJob != 7 || string(got.Spec) != `{"kind":"move"}` || !got.FinishedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("orphan: %+v %v", got, err)
	}
	if got, _ := a.PageJob(ctx, mine.ID); got.State != PageJobRunning {
		t.Errorf("the running server's job became %s", got.State)
	}
	if err := a.FinishPageJob(ctx, mine.ID, PageJobRunning, nil, now); err == nil {
		t.Error("finished as running")
	}
	if err := a.FinishPageJob(ctx, mine.ID, PageJobDone, []byte(`{"summary":"ok"}`), now); err != nil {
		t.Fatal(err)
	}
	list, err := a.PageJobs(ctx, 10)
	if err != nil || len(list) != 2 || list[0].ID != mine.ID || list[0].State != PageJobDone || string(list[0].Result) != `{"summary":"ok"}` {
		t.Errorf("list %+v %v", list, err)
	}
	if j, err := a.PageJob(ctx, 99); j != nil || err != nil {
		t.Errorf("no such job: %v %v", j, err)
	}
}
