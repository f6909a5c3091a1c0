package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// asScheduled is a tweak for runToolWith: the run is one a schedule
// started.
func asScheduled(io *IO) {
	get := io.Getenv
	io.Getenv = func(k string) string {
		if k == scheduledEnv {
			return "1"
		}
		return get(k)
	}
}

func (w *world) scheduled(t *testing.T, want int, args ...string) run {
	t.Helper()
	r := runToolWith(t, nil, w.home, "", asScheduled, args...)
	if r.code != want {
		t.Fatalf("scheduled fedimarks %s: exit %d, want %d\nstderr: %s", strings.Join(args, " "), r.code, want, r.stderr)
	}
	return r
}

func readLog(t *testing.T, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "logs", "schedule.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestScheduledBackupFailureLeavesATrace: the scheduled job (backup --all
// --quiet) of an account whose token was revoked fails three times; the
// next command a person runs says so, with what to do; logging in again
// quiets it, and a backup that works ends it.
func TestScheduledBackupFailureLeavesATrace(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 5)
	w.login(t)
	h := w.alice.Handle()
	job := strings.Fields(scheduleJob)

	r := w.scheduled(t, 0, job...)
	log := readLog(t, w.home)
	for _, want := range []string{"start: fedimarks backup --all --quiet (PID ", h + ": 5 new", "end: exit 0 after "} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* start: `).MatchString(log) {
		t.Errorf("log lines are not stamped:\n%s", log)
	}
	// Nothing new: --quiet says nothing, and the log holds the run's
	// start and end only.
	w.scheduled(t, 0, job...)
	if lines := strings.Split(strings.TrimPrefix(readLog(t, w.home), log), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "end: exit 0") {
		t.Errorf("an unchanged scheduled backup logged %q", lines)
	}

	w.a.RevokeToken(w.token)
	for i := 0; i < 3; i++ {
		r = w.scheduled(t, ExitAuth, job...)
		if strings.Contains(r.stderr, "Warning: the last scheduled") {
			t.Errorf("a scheduled run shows the trace to nobody:\n%s", r.stderr)
		}
	}
	if log := readLog(t, w.home); strings.Count(log, "the server refused the access token") != 3 || !strings.Contains(log, "end: exit 4") ||
		!strings.Contains(log, "failed: "+h) {
		t.Errorf("log of the failing runs:\n%s", log)
	}

	r = mustRun(t, 0, w.home, "", "accounts")
	trace := regexp.MustCompile(`Warning: the last scheduled backup of ` + regexp.QuoteMeta(h) +
		` failed 3 times since (\w+ )?\d\d:\d\d: the server refused the access token \(.*\): it is invalid or was revoked; ` +
		`log in again: fedimarks login ` + regexp.QuoteMeta(w.a.URL()) + ` \('fedimarks status' shows more\)`)
	if !trace.MatchString(r.stderr) {
		t.Errorf("the next command does not tell of the failing schedule:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, "Warning") {
		t.Errorf("the trace went to stdout:\n%s", r.stdout)
	}

	r = mustRun(t, 0, w.home, "", "status")
	if !strings.Contains(r.stdout, "Failing: the last scheduled backup of "+h+" failed 3 times") || !strings.Contains(r.stdout, ", scheduled") {
		t.Errorf("status:\n%s", r.stdout)
	}
	if strings.Contains(r.stderr, "Warning: the last scheduled") {
		t.Errorf("status repeats the trace on stderr:\n%s", r.stderr)
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(mustRun(t, 0, w.home, "", "status", "--json").stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Accounts) != 1 || rep.Accounts[0].Failing == "" || rep.Accounts[0].LastFailure == nil ||
		!rep.Accounts[0].LastFailure.Scheduled || rep.Accounts[0].Bookmarks != 5 || rep.Accounts[0].LastFailure.Hint == "" {
		t.Errorf("status --json accounts: %+v", rep.Accounts)
	}

	// Logged in again: the next scheduled run will tell.
	mustRun(t, 0, w.home, w.alice.Token()+"\n", "login", w.a.URL(), "--token-stdin")
	if r := mustRun(t, 0, w.home, "", "accounts"); strings.Contains(r.stderr, "Warning: the last scheduled") {
		t.Errorf("the trace still says to log in, after a login:\n%s", r.stderr)
	}
	w.scheduled(t, 0, job...)
	r = mustRun(t, 0, w.home, "", "status")
	if strings.Contains(r.stdout, "Failing") || !strings.Contains(r.stdout, "(works again since)") {
		t.Errorf("status once the schedule works again:\n%s", r.stdout)
	}
}

// TestScheduledRunFailingOutsideAccountsLeavesATrace: a scheduled run
// that fails before any account (here a bad command line) is told too.
func TestScheduledRunFailingOutsideAccountsLeavesATrace(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 1)
	w.login(t)
	w.scheduled(t, ExitUsage, "backup", "--no-such-option")
	r := mustRun(t, 0, w.home, "", "accounts")
	if !regexp.MustCompile(`Warning: the last scheduled run \(fedimarks backup --no-such-option\) failed \((\w+ )?\d\d:\d\d\): backup: unknown option --no-such-option`).MatchString(r.stderr) {
		t.Errorf("the next command does not tell of the failed run:\n%s", r.stderr)
	}
	r = mustRun(t, 0, w.home, "", "schedule", "status")
	if !strings.Contains(r.stdout, "exit 2: backup: unknown option --no-such-option") {
		t.Errorf("schedule status:\n%s", r.stdout)
	}
	w.scheduled(t, 0, "backup")
	if r := mustRun(t, 0, w.home, "", "accounts"); strings.Contains(r.stderr, "Warning") {
		t.Errorf("the trace outlives a run that worked:\n%s", r.stderr)
	}
}

// TestScheduledBackupSkipsAnAccountBeingBackedUp: a scheduled backup
// takes the same lock as any; meeting a backup under way, it skips the
// account without calling that a failure, and status shows the one
// running.
func TestScheduledBackupSkipsAnAccountBeingBackedUp(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 3)
	w.login(t)
	ctx := context.Background()
	ar := openHomeArchive(t, w.home)
	defer ar.Close()
	lk, err := ar.LockBackup(ctx, fedimarks.Handle(w.alice.Handle()))
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release(ctx)

	r := w.scheduled(t, ExitError, "backup")
	if !strings.Contains(r.stderr, fmt.Sprintf("another fedimarks (PID %d) has been backing up %s", os.Getpid(), w.alice.Handle())) {
		t.Errorf("scheduled backup meeting a running one said:\n%s", r.stderr)
	}
	if w.a.Requests("", "/api/v1/bookmarks") != 0 {
		t.Errorf("the skipped backup read the bookmarks")
	}
	r = mustRun(t, 0, w.home, "", "status")
	if strings.Contains(r.stderr, "Warning") || strings.Contains(r.stdout, "Failing") {
		t.Errorf("a skipped run is called a failure:\n%s%s", r.stderr, r.stdout)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("Running now:\n  backup of %s: PID %d on ", w.alice.Handle(), os.Getpid())) {
		t.Errorf("status does not show the backup running:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, w.alice.Handle()+": skipped: another fedimarks") {
		t.Errorf("status does not show the last run skipped the account:\n%s", r.stdout)
	}
}

// TestScheduledRunNeverWaitsForAnAnswer: a scheduled login needing a
// pasted code does not wait on a standard input that would never answer.
func TestScheduledRunNeverWaitsForAnAnswer(t *testing.T) {
	inst, _ := newOAuthServer(t, mastodontest.InstanceOptions{})
	home := newHome(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe() // a terminal nobody types into
	defer pw.Close()
	yes := true
	r := runToolWith(t, ctx, home, "", func(io *IO) {
		asScheduled(io)
		io.Stdin = pr
		io.StdinIsTerminal = &yes
		io.OpenBrowser = func(string) error { return fmt.Errorf("no browser") }
	}, "login", inst.URL(), "--no-browser")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "no authorization code on standard input") {
		t.Fatalf("scheduled login: exit %d\n%s", r.code, r.stderr)
	}
}

// TestStatusEndToEnd: two accounts on two servers, one backed up, one
// never; status shows each, the schedule, and --json says the same.
func TestStatusEndToEnd(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 7)
	w.login(t)
	bob := w.b.AddAccount("bob")
	mustRun(t, 0, w.home, bob.Token()+"\n", "login", w.b.URL(), "--token-stdin")
	mustRun(t, 0, w.home, "", "backup", w.alice.Handle())

	e := newSchedEnv(t)
	e.home = w.home
	e.now = time.Now()
	if r := e.run(0, "schedule", "install", "--target", "systemd", "--every", "1d", "--at", "03:30"); strings.Contains(r.stderr, "No account") {
		t.Errorf("install with two accounts says there is none:\n%s", r.stderr)
	}
	r := e.run(0, "status")
	rows := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(w.alice.Handle()) + `\s+\d{4}-\d\d-\d\d \d\d:\d\d \(less than a minute ago\)\s+7\s+-$`)
	if !rows.MatchString(r.stdout) {
		t.Errorf("status lacks alice's row:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(bob.Handle()) + `\s+never\s+0\s+-$`).MatchString(r.stdout) {
		t.Errorf("status lacks bob's row:\n%s", r.stdout)
	}
	for _, want := range []string{"Running now: nothing", "Schedule:\n  a systemd user timer (fedimarks-backup.timer), installed ",
		"every 1d, at 03:30; next run ", "Archive: " + filepath.Join(w.home, "archive.db")} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(e.run(0, "status", "--json").stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Accounts) != 2 || rep.Accounts[0].Bookmarks+rep.Accounts[1].Bookmarks != 7 || !rep.Schedule.Installed ||
		rep.Schedule.NextRun == nil || len(rep.Running) != 0 {
		t.Errorf("status --json: %+v", rep)
	}
}

func TestFailureLineSaysWhenAsAPersonWould(t *testing.T) {
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.Local) // a Thursday
	tue := time.Date(2026, 3, 3, 3, 17, 0, 0, time.Local)
	f := sqlite.FailureStreak{Failures: 3, Since: tue, SignedInAt: tue.Add(-time.Hour), Last: sqlite.JobResult{
		Job: "backup", Account: "alice@host.example", Scheduled: true, FinishedAt: now.Add(-time.Hour), Outcome: sqlite.ResultFailed,
		Code: fedimarks.EAuth, Message: "alice@host.example: the token was revoked", Hint: "run fedimarks login host.example"}}
	want := "the last scheduled backup of alice@host.example failed 3 times since Tuesday 03:17: the token was revoked; run fedimarks login host.example"
	if got := failureLine(f, now); got != want {
		t.Errorf("failureLine:\n got %s\nwant %s", got, want)
	}
	f.Failures, f.Since = 1, now.Add(-time.Hour)
	if got := failureLine(f, now); !strings.Contains(got, "failed (09:00): ") {
		t.Errorf("one failure today: %s", got)
	}
	f.Since = now.AddDate(0, 0, -10)
	f.Failures = 40
	if got := failureLine(f, now); !strings.Contains(got, "failed 40 times since 2026-02-23: ") {
		t.Errorf("failures since long ago: %s", got)
	}
	f.SignedInAt = now
	if got := failureLine(f, now); got != "" {
		t.Errorf("after a login: %q, want nothing (the next run tells)", got)
	}
	f.Last.Code = fedimarks.EUnavailable
	if got := failureLine(f, now); got == "" {
		t.Errorf("a server down is not mended by a login: the trace stays")
	}
	f.Failures = 1
	if got := failureLine(f, now); got != "" {
		t.Errorf("a server that did not answer once (a laptop waking): %q, want nothing until twice", got)
	}
	f.Failures = 2
	f.SignedInAt = time.Time{}
	if got := failureLine(f, now); got != "" {
		t.Errorf("a logged-out account: %q, want nothing (the schedule no longer backs it up)", got)
	}
}
