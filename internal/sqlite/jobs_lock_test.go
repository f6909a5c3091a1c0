package sqlite

import (
	"context"
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

func TestCreateJobOnce(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	job := Job{Key: "k", Destination: "bob@b.example"}
	j1, created, err := a.CreateJobOnce(ctx, job, []JobItem{{URI: "https://a.example/1"}})
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	j2, created, err := a.CreateJobOnce(ctx, job, []JobItem{{URI: "https://a.example/2"}, {URI: "https://a.example/3"}})
	if err != nil || created || j2.ID != j1.ID {
		t.Fatalf("second: %+v %v %v", j2, created, err)
	}
	items, err := a.JobItems(ctx, j1.ID)
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v %v", items, err)
	}
	// The key is unique in the schema too.
	if _, err := a.CreateJob(ctx, job, nil); err == nil {
		t.Error("CreateJob stored a second job with the same key")
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
	for i := 0; i < 3; i++ {
		if _, err := a.CreateJob(ctx, Job{Key: "same", Destination: "bob@b.example"}, []JobItem{{URI: fmt.Sprint("https://a.example/", i)}}); err != nil {
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
	if _, err := a.CreateJob(ctx, Job{Key: "same", Destination: "bob@b.example"}, nil); err == nil {
		t.Error("key not unique after migration")
	}
}
