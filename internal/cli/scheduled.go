package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/schedule"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// scheduledEnv marks a run started by a schedule: the files `schedule
// install` writes set it.
const scheduledEnv = "FEDIMARKS_SCHEDULED"

// scheduledRun is a run a schedule started. It reads no terminal (nobody
// is there to answer), copies its stderr to the rotating log, and records
// how it ended in the archive, where the next command a person runs finds
// it.
type scheduledRun struct {
	a       *app
	job     string // the command
	command string // the command line, without the program
	start   time.Time
	log     *schedule.Log
	// accounts counts the accounts' results recorded by this run.
	accounts int
}

// beginScheduled returns the scheduled run this is, or nil when a person
// started it.
func (a *app) beginScheduled(args []string) *scheduledRun {
	if a.io.Getenv(scheduledEnv) == "" {
		return nil
	}
	no := false
	a.io.StdinIsTerminal, a.io.StdoutIsTerminal, a.io.StderrIsTerminal = &no, &no, &no
	a.stdin = strings.NewReader("")
	r := &scheduledRun{a: a, command: cleanText(strings.Join(args, " ")), start: a.now()}
	r.job = "(none)"
	if len(args) > 0 {
		r.job = cleanText(args[0])
	}
	path, err := a.scheduleLogPath()
	if err == nil {
		r.log, err = schedule.OpenLog(path, schedule.LogMaxSize, schedule.LogKeep, a.io.Now)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "Warning: %v: this scheduled run is not logged\n", err)
		return r
	}
	// Errors go to errOut, the rest to stderr (which --quiet holds back
	// from errOut until something is worth saying): the log gets what a
	// person at a terminal would have seen.
	a.errOut = logTee{a.errOut, r.log}
	a.stderr = a.errOut
	fmt.Fprintf(r.log, "start: fedimarks %s (PID %d)\n", r.command, os.Getpid())
	return r
}

// scheduleLogPath is where scheduled runs log: logs/schedule.log beside
// the archive.
func (a *app) scheduleLogPath() (string, error) {
	p, err := a.paths()
	if err != nil {
		return "", err
	}
	return filepath.Join(p.Data, "logs", "schedule.log"), nil
}

// logTee writes to w and copies to log; a log that fails does not stop
// the messages.
type logTee struct {
	w   io.Writer
	log io.Writer
}

func (t logTee) Write(p []byte) (int, error) {
	_, _ = t.log.Write(p)
	return t.w.Write(p)
}

// end logs and records how the run ended. A run stopped by a signal (the
// computer shutting down) is not a failure and is not recorded.
func (r *scheduledRun) end(ctx context.Context, code int, err error) {
	if r == nil {
		return
	}
	a := r.a
	if r.log != nil {
		defer r.log.Close()
		fmt.Fprintf(r.log, "end: exit %d after %s\n", code, a.now().Sub(r.start).Round(time.Millisecond))
	}
	if code == ExitInterrupted {
		return
	}
	res := sqlite.JobResult{Job: r.job, Command: r.command, Scheduled: true, StartedAt: r.start, FinishedAt: a.now(),
		Outcome: sqlite.ResultOK, ExitCode: code}
	if code != ExitOK {
		res.Outcome = sqlite.ResultFailed
		// The accounts' results say why they failed; the run's own row
		// says why only when the failure was none of theirs (a bad
		// command line, an archive that cannot be opened).
		if r.accounts == 0 && err != nil {
			res.Code, res.Message, res.Hint = a.errorText(ctx, err)
		}
	}
	ar, oerr := a.openArchive(ctx)
	if oerr == nil {
		_, oerr = ar.RecordResult(ctx, res)
	}
	if oerr != nil {
		fmt.Fprintf(a.stderr, "Warning: could not record how this scheduled run ended: %v\n", oerr)
	}
}

// scheduled reports whether a schedule started this run.
func (a *app) scheduled() bool { return a.sched != nil }

// recordBackup runs the backup of account h and records how it ended, for
// `fedimarks status` and, when a scheduled one fails, for the next
// command to tell. An interrupted backup is not recorded.
func (a *app) recordBackup(ctx context.Context, h fedimarks.Handle, run func() error) error {
	start := a.now()
	err := run()
	if err != nil {
		if code, _ := classify(ctx, err); code == ExitInterrupted {
			return err
		}
	}
	res := sqlite.JobResult{Job: "backup", Account: h, Scheduled: a.scheduled(), StartedAt: start, FinishedAt: a.now(),
		Outcome: sqlite.ResultOK}
	var busy *fedimarks.Busy
	switch {
	case errors.As(err, &busy):
		res.Outcome = sqlite.ResultSkipped
		res.Code, res.Message, res.Hint = a.errorText(ctx, err)
	case err != nil:
		res.Outcome = sqlite.ResultFailed
		res.Code, res.Message, res.Hint = a.errorText(ctx, err)
	}
	ar, rerr := a.openArchive(ctx)
	if rerr == nil {
		_, rerr = ar.RecordResult(ctx, res)
	}
	if rerr != nil {
		fmt.Fprintf(a.stderr, "Warning: could not record how the backup of %s ended: %v\n", h, rerr)
	} else if a.sched != nil {
		a.sched.accounts++
	}
	return err
}

// errorText splits err into its kind, message and hint, as clean text
// with no secret, for the archive.
func (a *app) errorText(ctx context.Context, err error) (code, message, hint string) {
	err = withHint(err, situation{cmd: a.cmd.name}) // the next step, as report gives it
	_, msg := classify(ctx, err)
	var fe *fedimarks.Error
	if errors.As(err, &fe) && fe == err && fe.Hint != "" {
		msg = fe.Message
		if msg == "" && fe.Err != nil {
			msg = fe.Err.Error()
		}
		hint = fe.Hint
	}
	clean := func(s string) string {
		s = cleanText(a.redact(s))
		if r := []rune(s); len(r) > 500 {
			s = string(r[:500]) + "…"
		}
		return s
	}
	return fedimarks.ErrorCode(err), clean(msg), clean(hint)
}

// showScheduledFailures tells, on stderr, of every scheduled job that
// has failed since it last worked: the trace a failing schedule leaves
// for the next person at the keyboard. Commands that show it themselves,
// and login (which is how one mends most), do not.
func (a *app) showScheduledFailures(ctx context.Context, ar *sqlite.Archive) {
	switch a.cmd.name {
	case "status", "schedule", "login":
		return
	}
	if a.scheduled() {
		return
	}
	fs, err := ar.ScheduledFailures(ctx)
	if err != nil {
		return // a courtesy: never a reason for the command to fail
	}
	for _, f := range fs {
		if line := failureLine(f, a.now()); line != "" {
			fmt.Fprintln(a.stderr, "Warning: "+cleanText(line)+" ('fedimarks status' shows more)")
		}
	}
}

// failureLine says what a failure streak means for a person, "" when it
// needs no telling: the account was logged out (the schedule no longer
// backs it up), signed in again since a refused token (the next run will
// tell), a server did not answer once (a laptop waking before its network
// does; twice in a row is told), or a run failed only through its
// accounts' failures (told apiece).
func failureLine(f sqlite.FailureStreak, now time.Time) string {
	last := f.Last
	if last.Code == fedimarks.EUnavailable && f.Failures < 2 {
		return ""
	}
	what := "scheduled backup of " + string(last.Account)
	if last.Account == "" {
		if last.Message == "" {
			return ""
		}
		what = "scheduled run (fedimarks " + last.Command + ")"
	} else {
		if f.SignedInAt.IsZero() {
			return ""
		}
		if (last.Code == fedimarks.EAuth || last.Code == fedimarks.EScope) && f.SignedInAt.After(last.FinishedAt) {
			return ""
		}
	}
	when := "(" + dayTime(f.Since, now) + ")"
	if f.Failures > 1 {
		when = fmt.Sprintf("%d times since %s", f.Failures, dayTime(f.Since, now))
	}
	msg := strings.TrimPrefix(last.Message, string(last.Account)+": ")
	line := fmt.Sprintf("the last %s failed %s: %s", what, when, msg)
	if last.Hint != "" {
		line += "; " + last.Hint
	}
	return line
}

// dayTime says when t was, relative to now, as a person says it: "03:17"
// today, "Tuesday 03:17" within the week, else "2026-03-03".
func dayTime(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case ty == ny && tm == nm && td == nd:
		return t.Format("15:04")
	case now.Sub(t) < 6*24*time.Hour && now.After(t):
		return t.Format("Monday 15:04")
	}
	return t.Format("2006-01-02")
}
