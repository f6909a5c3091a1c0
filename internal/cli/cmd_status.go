package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

func statusCommand() command {
	return command{
		name:    "status",
		summary: "every account's last backup, failures, running and scheduled jobs",
		usage: `Usage: fedimarks status [--json]

One screen with what fedimarks knows: every account with its last backup,
the bookmarks archived and its last failure (why, and what to do while it
goes on); the backups and imports running now (and by which process); the
schedule (see 'fedimarks help schedule') with its next and last run. It
reads the archive only and asks no server.

--json prints one object with the fields archive, accounts (account,
signed_in, last_backup, bookmarks, removed, last_result, last_failure,
failing, context), running (job, account, pid, host, started_at, stale) and
schedule (as 'fedimarks schedule status --json').

` + localExitCodes + "\n",
		run: runStatusCommand,
	}
}

// accountState is one account as status shows it.
type accountState struct {
	Account    fedimarks.Handle `json:"account"`
	SignedIn   bool             `json:"signed_in"`
	LastBackup *time.Time       `json:"last_backup"`
	Bookmarks  int              `json:"bookmarks"`
	Removed    int              `json:"removed"`
	LastResult *resultState     `json:"last_result"`
	// LastFailure is the newest failed backup, Failing what goes on
	// failing (for a person; "" when the last backup worked).
	LastFailure *resultState `json:"last_failure"`
	Failing     string       `json:"failing,omitempty"`
	// Context is the account's thread setting (backup --context
	// --remember): "self", "all", or "" for none.
	Context string `json:"context"`
}

// jobState is a job running now (or a lock left behind: Stale).
type jobState struct {
	Job       string           `json:"job"`
	Account   fedimarks.Handle `json:"account"`
	PID       int              `json:"pid"`
	Host      string           `json:"host"`
	StartedAt time.Time        `json:"started_at"`
	Stale     bool             `json:"stale"`
}

type statusReport struct {
	Archive  string         `json:"archive"`
	Accounts []accountState `json:"accounts"`
	Running  []jobState     `json:"running"`
	Schedule scheduleState  `json:"schedule"`
}

// statusOptions are status': --json, the archive, the settings (each
// account's thread setting), the schedule's state (app.scheduleState),
// the clock and standard output.
type statusOptions struct {
	json     bool
	archive  archiveFunc
	settings settingsFunc
	schedule func(context.Context, *sqlite.Archive) (scheduleState, error)
	now      func() time.Time
	dataOut  dataOutFunc
}

// parseJSONOnly parses the arguments of a command that takes none but
// --json (status, schedule status).
func parseJSONOnly(a *app, args []string, name string) (asJSON bool, err error) {
	fs := newFlags(a.cmd)
	fs.BoolVar(&asJSON, "json", false, "one JSON object")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return false, err
	}
	if len(pos) > 0 {
		return false, usageError("%s takes no arguments", name)
	}
	return asJSON, nil
}

// printReport prints rep on the data output as one JSON object, or as
// text through write.
func printReport[R any](dataOut dataOutFunc, asJSON bool, rep R, write func(io.Writer, R) error) error {
	out, flush := dataOut()
	defer flush()
	if asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	return write(out, rep)
}

func runStatusCommand(ctx context.Context, a *app, args []string) error {
	asJSON, err := parseJSONOnly(a, args, "status")
	if err != nil {
		return err
	}
	o := statusOptionsOf(a)
	o.json = asJSON
	return runStatus(ctx, o)
}

// statusOptionsOf are status' options filled from a (the page's account
// list reads the same report).
func statusOptionsOf(a *app) statusOptions {
	return statusOptions{archive: a.openArchive, settings: a.loadSettings, schedule: a.scheduleState, now: a.now, dataOut: a.dataOut}
}

// runStatus prints what fedimarks knows: the accounts, what runs now,
// the schedule.
func runStatus(ctx context.Context, o statusOptions) error {
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	rep, err := o.report(ctx, ar)
	if err != nil {
		return err
	}
	return printReport(o.dataOut, o.json, rep, o.write)
}

// writeStatus prints the status report as text.
func (o statusOptions) write(out io.Writer, rep statusReport) error {
	now := o.now()
	if len(rep.Accounts) == 0 {
		fmt.Fprintln(out, "No account yet. Log in with: fedimarks login INSTANCE")
	} else {
		tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tLAST BACKUP\tBOOKMARKS\tLAST FAILURE")
		for _, acc := range rep.Accounts {
			last := "never"
			if acc.LastBackup != nil {
				last = acc.LastBackup.Local().Format(fedimarks.TimeLayout) + " (" + fedimarks.Ago(now.Sub(*acc.LastBackup)) + ")"
			}
			if !acc.SignedIn {
				last = "(logged out)"
			}
			failed := "-"
			if f := acc.LastFailure; f != nil {
				failed = f.FinishedAt.Local().Format(fedimarks.TimeLayout)
				if f.Scheduled {
					failed += ", scheduled"
				}
				if acc.Failing == "" {
					failed += " (works again since)"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", cleanText(string(acc.Account)), last, acc.Bookmarks, failed)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		var hs []fedimarks.Handle
		for _, acc := range rep.Accounts {
			if acc.Failing != "" {
				fmt.Fprintf(out, "Failing: %s\n", cleanText(acc.Failing))
			}
			hs = append(hs, acc.Account)
		}
		if note := o.settings().contextNote(hs); note != "" {
			fmt.Fprintln(out, note)
		}
	}
	fmt.Fprintln(out)
	running := 0
	for _, j := range rep.Running {
		if j.Stale {
			continue
		}
		if running == 0 {
			fmt.Fprintln(out, "Running now:")
		}
		running++
		what := "backup of "
		if j.Job == "import" {
			what = "import into "
		}
		fmt.Fprintf(out, "  %s%s: PID %d on %s, since %s (%s)\n", what, cleanText(string(j.Account)), j.PID, cleanText(j.Host),
			j.StartedAt.Local().Format(fedimarks.TimeLayout), fedimarks.Ago(now.Sub(j.StartedAt)))
	}
	if running == 0 {
		fmt.Fprintln(out, "Running now: nothing")
	}
	fmt.Fprintln(out, "Schedule:")
	writeScheduleState(out, rep.Schedule, "  ", now)
	fmt.Fprintf(out, "Archive: %s\n", cleanText(rep.Archive))
	return nil
}

// report gathers what status shows.
func (o statusOptions) report(ctx context.Context, ar *sqlite.Archive) (statusReport, error) {
	rep := statusReport{Archive: ar.Path(), Accounts: []accountState{}, Running: []jobState{}}
	var err error
	if rep.Accounts, err = o.accountStates(ctx, ar); err != nil {
		return rep, err
	}
	locks, err := ar.Locks(ctx)
	if err != nil {
		return rep, err
	}
	for _, l := range locks {
		rep.Running = append(rep.Running, jobState{Job: l.Kind, Account: l.Account, PID: l.Holder.PID, Host: l.Holder.Host,
			StartedAt: l.Holder.StartedAt, Stale: l.Stale})
	}
	rep.Schedule, err = o.schedule(ctx, ar)
	return rep, err
}

// accountStates are the saved accounts, then those only archived, each
// with its last backup and what goes on failing.
func (o statusOptions) accountStates(ctx context.Context, ar *sqlite.Archive) ([]accountState, error) {
	accs, err := ar.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	archived, err := ar.ArchivedAccounts(ctx)
	if err != nil {
		return nil, err
	}
	last, failed, err := ar.LastResults(ctx)
	if err != nil {
		return nil, err
	}
	streaks, err := ar.ScheduledFailures(ctx)
	if err != nil {
		return nil, err
	}
	lastOf, failedOf := backupResultsByAccount(last), backupResultsByAccount(failed)
	s, now := o.settings(), o.now()
	states := []accountState{}
	add := func(h fedimarks.Handle, signedIn bool, lastBackup time.Time) error {
		n, err := ar.Counts(ctx, h)
		if err != nil {
			return err
		}
		st := accountState{Account: h, SignedIn: signedIn, Bookmarks: n.Active, Removed: n.Removed,
			LastResult: lastOf[h], LastFailure: failedOf[h], Context: s.context(h)}
		if !lastBackup.IsZero() {
			st.LastBackup = &lastBackup
		}
		st.Failing = failing(st.LastResult, streaks, now)
		states = append(states, st)
		return nil
	}
	for _, acc := range accs {
		if err := add(acc.Handle, true, acc.LastBackup); err != nil {
			return nil, err
		}
	}
	for _, h := range archived {
		if !slices.ContainsFunc(accs, func(acc fedimarks.Account) bool { return acc.Handle == h }) {
			if err := add(h, false, time.Time{}); err != nil {
				return nil, err
			}
		}
	}
	return states, nil
}

// backupResultsByAccount are the backups' results of rs by account.
func backupResultsByAccount(rs []sqlite.JobResult) map[fedimarks.Handle]*resultState {
	m := map[fedimarks.Handle]*resultState{}
	for _, r := range rs {
		if r.Job == "backup" && r.Account != "" {
			s := newResultState(r)
			m[r.Account] = &s
		}
	}
	return m
}

// failing says what goes on failing when last, an account's last
// backup, failed ("" when it worked): the scheduled failures' line when
// there is a streak of them, else the failure's own words.
func failing(last *resultState, streaks []sqlite.FailureStreak, now time.Time) string {
	if last == nil || last.Outcome != sqlite.ResultFailed {
		return ""
	}
	how := "by hand"
	if last.Scheduled {
		how = "scheduled"
	}
	msg := fmt.Sprintf("the last backup of %s (%s, %s) failed", last.Account, how, dayTime(last.FinishedAt, now))
	if why := last.why(); why != "" {
		msg += ": " + why
	}
	for _, f := range streaks {
		if f.Last.Account == last.Account && f.Last.Job == "backup" {
			if line := failureLine(f, now); line != "" {
				msg = line
			}
		}
	}
	return msg
}
