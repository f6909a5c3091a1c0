package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

func TestLockImports(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	l, err := a.LockImports(ctx, "bob@b.example")
	if err != nil {
		t.Fatal(err)
	}
	// A second holder while this (live) process holds it is refused,
	// naming the holder.
	_, err = a.LockImports(ctx, "bob@b.example")
	if fedimarks.ErrorCode(err) != fedimarks.EUnavailable || !strings.Contains(err.Error(), fmt.Sprintf("PID %d", os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	other, err := a.LockImports(ctx, "carol@c.example")
	if err != nil {
		t.Fatalf("lock of another destination: %v", err)
	}
	defer other.Release(ctx)
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("second release: %v", err)
	}
	l2, err := a.LockImports(ctx, "bob@b.example")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	defer l2.Release(ctx)
	// A release with another holder's token removes nothing.
	if _, err := a.w.ExecContext(ctx, `DELETE FROM import_locks WHERE scope = ? AND token = ?`, "bob@b.example", l.token); err != nil {
		t.Fatal(err)
	}
	if _, err := a.LockImports(ctx, "bob@b.example"); err == nil {
		t.Fatal("lock taken while held")
	}
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestLockImportsTakesOverStaleLocks(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	host, _ := os.Hostname()
	now := time.Now()
	put := func(scope string, pid int, host string, beat time.Time) {
		t.Helper()
		if _, err := a.w.ExecContext(ctx, `INSERT INTO import_locks (scope, token, pid, host, started_at, heartbeat_at) VALUES (?, 'x', ?, ?, ?, ?)`,
			scope, pid, host, fmtTime(beat), fmtTime(beat)); err != nil {
			t.Fatal(err)
		}
	}
	put("dead@here", deadPID(t), host, now)                             // killed: its PID is gone
	put("remote-old@x", 1, "elsewhere.example", now.Add(-time.Hour))    // another host, silent for an hour
	put("remote-live@x", 1, "elsewhere.example", now.Add(-time.Second)) // another host, alive
	put("live@here", os.Getpid(), host, now)                            // this very process
	for scope, wantFree := range map[string]bool{"dead@here": true, "remote-old@x": true, "remote-live@x": false, "live@here": false} {
		l, err := a.LockImports(ctx, scope)
		if wantFree {
			if err != nil {
				t.Errorf("%s: stale lock not taken over: %v", scope, err)
				continue
			}
			if l.Holder.PID != os.Getpid() {
				t.Errorf("%s: holder %+v", scope, l.Holder)
			}
			l.Release(ctx)
			continue
		}
		if err == nil {
			t.Errorf("%s: live lock taken over", scope)
			l.Release(ctx)
		} else if scope == "remote-live@x" && !strings.Contains(err.Error(), "PID 1 on elsewhere.example") {
			t.Errorf("%s: %v", scope, err)
		}
	}
}

// TestCreateJobKeyTaken: a second job with a key taken stores nothing and
// says which job holds the key (fedimarks.ErrJobExists).
func TestCreateJobKeyTaken(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	job := fedimarks.ImportJob{Key: "k", Destination: "bob@b.example"}
	j1, err := a.CreateJob(ctx, job, []fedimarks.JobItem{{URI: "https://a.example/1"}})
	if err != nil {
		t.Fatalf("first: %v", err)
	}
	j2, err := a.CreateJob(ctx, job, []fedimarks.JobItem{{URI: "https://a.example/2"}, {URI: "https://a.example/3"}})
	if !errors.Is(err, fedimarks.ErrJobExists) || j2 != nil {
		t.Fatalf("second: %+v %v", j2, err)
	}
	if found, err := a.FindJob(ctx, "k"); err != nil || found == nil || found.ID != j1.ID {
		t.Fatalf("find: %+v %v", found, err)
	}
	items, err := a.JobItems(ctx, j1.ID)
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v %v", items, err)
	}
}

// TestMigrationDedupesJobKeys opens an archive at schema 4 holding two
// jobs with one key (what two simultaneous runs left) and migrates it.
func TestMigrationDedupesJobKeys(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Undo 0005 to get back to schema 4.
	for _, q := range []string{`DROP TABLE import_locks`, `DROP INDEX import_jobs_key`,
		`CREATE INDEX import_jobs_key ON import_jobs (job_key, id)`, `DELETE FROM schema_migrations WHERE version >= 5`} {
		if _, err := a.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// Schema 4 let two runs store a job each under one key (CreateJob
	// no longer can: it asks the schema for a unique key).
	for i := 0; i < 3; i++ {
		if _, err := a.w.ExecContext(ctx, `INSERT INTO import_jobs (job_key, destination, inputs, dry_run, created_at, updated_at)
			VALUES ('same', 'bob@b.example', '[]', 0, ?, ?)`, fmtTime(time.Now()), fmtTime(time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.apply(ctx, ms); err != nil {
		t.Fatal(err)
	}
	j, err := a.FindJob(ctx, "same")
	if err != nil || j == nil || j.ID != 3 {
		t.Fatalf("job under the key after migration: %+v %v", j, err)
	}
	js, err := a.Jobs(ctx)
	if err != nil || len(js) != 3 {
		t.Fatalf("jobs %v %v", js, err)
	}
	if !strings.Contains(js[2].Key, "superseded") {
		t.Errorf("old job key %q", js[2].Key)
	}
	if _, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: "same", Destination: "bob@b.example"}, nil); err == nil {
		t.Error("key not unique after migration")
	}
}

// TestRunningImportJobs: the job a lock's holder works on (WorkOn) is
// running while the holder lives and holds the lock; a lock naming no job,
// a dead holder's or a released one names none; the heartbeat and the
// release still find the lock after WorkOn changed its token.
func TestRunningImportJobs(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	running := func() map[int64]bool {
		t.Helper()
		m, err := a.RunningImportJobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	l, err := a.LockImports(ctx, "bob@b.example")
	if err != nil {
		t.Fatal(err)
	}
	if m := running(); len(m) != 0 {
		t.Errorf("a lock naming no job: running %v", m)
	}
	if err := l.WorkOn(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := l.WorkOn(ctx, 8); err != nil { // a second job in the same run
		t.Fatal(err)
	}
	if m := running(); !m[8] || m[7] || len(m) != 1 {
		t.Errorf("working on 8: running %v", m)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if m := running(); len(m) != 0 {
		t.Errorf("released: running %v", m)
	}
	var n int
	a.r.QueryRowContext(ctx, `SELECT count(*) FROM import_locks`).Scan(&n)
	if n != 0 {
		t.Errorf("%d lock rows left after the release", n)
	}
	// A holder that died working on job 9.
	l, err = a.LockImports(ctx, "bob@b.example")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if err := l.WorkOn(ctx, 9); err != nil {
		t.Fatal(err)
	}
	if _, err := a.w.ExecContext(ctx, `UPDATE import_locks SET pid = ?`, deadPID(t)); err != nil {
		t.Fatal(err)
	}
	if m := running(); len(m) != 0 {
		t.Errorf("a dead holder's job: running %v", m)
	}
}
