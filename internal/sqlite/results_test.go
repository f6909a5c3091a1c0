package sqlite

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

func TestScheduledFailuresCountSinceTheLastSuccess(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	alice, bob := fedimarks.Handle("alice@a.example"), fedimarks.Handle("bob@b.example")
	t0 := time.Date(2026, 3, 3, 3, 17, 0, 0, time.UTC) // a Tuesday
	rec := func(h fedimarks.Handle, scheduled bool, outcome string, day int, msg string) {
		t.Helper()
		at := t0.Add(time.Duration(day) * 24 * time.Hour)
		if _, err := a.RecordResult(ctx, JobResult{Job: "backup", Account: h, Scheduled: scheduled,
			StartedAt: at, FinishedAt: at.Add(time.Minute), Outcome: outcome, Code: fedimarks.EAuth, Message: msg, Hint: "log in again"}); err != nil {
			t.Fatal(err)
		}
	}
	rec(alice, true, ResultOK, -1, "")
	rec(alice, true, ResultFailed, 0, "first")
	rec(alice, false, ResultFailed, 1, "by hand") // a person saw this one
	rec(alice, true, ResultSkipped, 1, "locked")  // neither success nor failure
	rec(alice, true, ResultFailed, 2, "second")
	rec(alice, true, ResultFailed, 3, "third")
	rec(bob, true, ResultFailed, 0, "bob failed")
	rec(bob, false, ResultOK, 1, "") // fixed by hand

	if err := a.SaveAccount(ctx, fedimarks.Account{Handle: alice, Server: "https://a.example"}); err != nil {
		t.Fatal(err)
	}
	fs, err := a.ScheduledFailures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("got %d failing jobs, want alice's only: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Last.Account != alice || f.Failures != 3 || !f.Since.Equal(t0.Add(time.Minute)) || f.Last.Message != "third" ||
		f.Last.Hint != "log in again" || f.Last.Code != fedimarks.EAuth || !f.Last.Scheduled {
		t.Fatalf("streak %+v, want alice's 3 scheduled failures since Tuesday, the last one 'third'", f)
	}
	if f.SignedInAt.IsZero() {
		t.Fatalf("streak does not say when alice signed in")
	}

	// A success ends the streak.
	rec(alice, false, ResultOK, 4, "")
	if fs, err := a.ScheduledFailures(ctx); err != nil || len(fs) != 0 {
		t.Fatalf("after a success: %+v %v, want no failure", fs, err)
	}
	last, failed, err := a.LastResults(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 2 || last[0].Account != alice || last[0].Outcome != ResultOK || last[1].Account != bob {
		t.Fatalf("last results %+v", last)
	}
	if len(failed) != 2 || failed[0].Message != "third" || failed[1].Message != "bob failed" {
		t.Fatalf("last failures %+v", failed)
	}
}

func TestRecordResultForgetsOldResultsButTheNewest(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(h fedimarks.Handle, at time.Time) {
		t.Helper()
		if _, err := a.RecordResult(ctx, JobResult{Job: "backup", Account: h, StartedAt: at, FinishedAt: at, Outcome: ResultOK}); err != nil {
			t.Fatal(err)
		}
	}
	rec("old@x.example", t0) // its only result: kept whatever its age
	for d := 0; d < 100; d++ {
		rec("daily@x.example", t0.Add(time.Duration(d)*24*time.Hour))
	}
	var n, old int
	if err := a.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(account = 'old@x.example'), 0) FROM job_results`).Scan(&n, &old); err != nil {
		t.Fatal(err)
	}
	if n != 92 || old != 1 {
		t.Fatalf("kept %d results (%d of the old account), want 91 days of the daily one and the old one's newest", n, old)
	}
	if _, err := a.RecordResult(ctx, JobResult{Job: "backup", Outcome: "maybe"}); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Fatalf("unknown outcome: %v", err)
	}
}

func TestLastScheduledRunGroupsItsAccounts(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	if run, accs, err := a.LastScheduledRun(ctx); run != nil || accs != nil || err != nil {
		t.Fatalf("empty archive: %v %v %v", run, accs, err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(r JobResult) {
		t.Helper()
		r.StartedAt, r.FinishedAt = t0, t0
		if _, err := a.RecordResult(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rec(JobResult{Job: "backup", Account: "alice@a.example", Scheduled: true, Outcome: ResultFailed})
	rec(JobResult{Job: "backup", Command: "backup --all --quiet", Scheduled: true, Outcome: ResultOK, ExitCode: 4})
	rec(JobResult{Job: "backup", Account: "bob@b.example", Scheduled: false, Outcome: ResultOK}) // by hand
	rec(JobResult{Job: "backup", Account: "alice@a.example", Scheduled: true, Outcome: ResultOK})
	rec(JobResult{Job: "backup", Account: "bob@b.example", Scheduled: true, Outcome: ResultFailed, Message: "down"})
	rec(JobResult{Job: "backup", Command: "backup --all --quiet", Scheduled: true, Outcome: ResultOK, ExitCode: 1})
	run, accs, err := a.LastScheduledRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || run.ExitCode != 1 || run.Command != "backup --all --quiet" || len(accs) != 2 || accs[0].Account != "alice@a.example" || accs[0].Outcome != ResultOK ||
		accs[1].Account != "bob@b.example" || accs[1].Message != "down" {
		t.Fatalf("last run %+v with %+v", run, accs)
	}
}

func TestLocksListsRunningJobs(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	b, err := a.LockBackup(ctx, "alice@a.example")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(ctx)
	i, err := a.LockImports(ctx, "bob@b.example")
	if err != nil {
		t.Fatal(err)
	}
	var busy *fedimarks.Busy
	if _, err := a.LockBackup(ctx, "alice@a.example"); !errors.As(err, &busy) || busy.PID != os.Getpid() {
		t.Fatalf("second backup lock: %v, want it busy", err)
	}
	ls, err := a.Locks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Kind != "backup" || ls[0].Account != "alice@a.example" || ls[1].Kind != "import" ||
		ls[1].Account != "bob@b.example" || ls[0].Holder.PID != os.Getpid() || ls[0].Stale || ls[1].Stale {
		t.Fatalf("locks %+v", ls)
	}
	i.Release(ctx)
	// A lock left by a process that is gone is listed as stale.
	if _, err := a.w.ExecContext(ctx, `UPDATE import_locks SET pid = ?`, deadPID(t)); err != nil {
		t.Fatal(err)
	}
	ls, err = a.Locks(ctx)
	if err != nil || len(ls) != 1 || !ls[0].Stale {
		t.Fatalf("after its process died: %+v %v", ls, err)
	}
}
