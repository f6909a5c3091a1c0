package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// localReport runs a command that takes no arguments and only --json:
// it builds a report from the archive, then prints it as one JSON object,
// or as text through write.
func localReport[R any](ctx context.Context, a *app, args []string, name string,
	build func(context.Context, *sqlite.Archive) (R, error),
	write func(context.Context, io.Writer, *sqlite.Archive, R) error) error {
	fs := newFlags(a.cmd)
	asJSON := fs.Bool("json", false, "one JSON object")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("%s takes no arguments", name)
	}
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	rep, err := build(ctx, ar)
	if err != nil {
		return err
	}
	out, flush := a.dataOut()
	defer flush()
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	return write(ctx, out, ar, rep)
}

func runStatusCommand(ctx context.Context, a *app, args []string) error {
	return localReport(ctx, a, args, "status", a.status, a.writeStatus)
}

// writeStatus prints the status report as text.
func (a *app) writeStatus(_ context.Context, out io.Writer, _ *sqlite.Archive, rep statusReport) error {
	now := a.now()
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
		if note := a.contextNote(hs); note != "" {
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
	a.writeScheduleState(out, rep.Schedule, "  ")
	fmt.Fprintf(out, "Archive: %s\n", cleanText(rep.Archive))
	return nil
}

// status gathers what `fedimarks status` shows.
func (a *app) status(ctx context.Context, ar *sqlite.Archive) (statusReport, error) {
	rep := statusReport{Archive: ar.Path(), Accounts: []accountState{}, Running: []jobState{}}
	accs, err := ar.Accounts(ctx)
	if err != nil {
		return rep, err
	}
	archived, err := ar.ArchivedAccounts(ctx)
	if err != nil {
		return rep, err
	}
	last, failed, err := ar.LastResults(ctx)
	if err != nil {
		return rep, err
	}
	streaks, err := ar.ScheduledFailures(ctx)
	if err != nil {
		return rep, err
	}
	byAccount := func(rs []sqlite.JobResult) map[fedimarks.Handle]*resultState {
		m := map[fedimarks.Handle]*resultState{}
		for _, r := range rs {
			if r.Job == "backup" && r.Account != "" {
				s := newResultState(r)
				m[r.Account] = &s
			}
		}
		return m
	}
	lastOf, failedOf := byAccount(last), byAccount(failed)
	seen := map[fedimarks.Handle]bool{}
	add := func(h fedimarks.Handle, signedIn bool, lastBackup time.Time) error {
		seen[h] = true
		n, err := ar.Counts(ctx, h)
		if err != nil {
			return err
		}
		st := accountState{Account: h, SignedIn: signedIn, Bookmarks: n.Active, Removed: n.Removed,
			LastResult: lastOf[h], LastFailure: failedOf[h], Context: a.contextSetting(h)}
		if !lastBackup.IsZero() {
			st.LastBackup = &lastBackup
		}
		if r := st.LastResult; r != nil && r.Outcome == sqlite.ResultFailed {
			how := "by hand"
			if r.Scheduled {
				how = "scheduled"
			}
			st.Failing = fmt.Sprintf("the last backup of %s (%s, %s) failed", h, how, dayTime(r.FinishedAt, a.now()))
			if why := r.why(); why != "" {
				st.Failing += ": " + why
			}
			for _, f := range streaks {
				if f.Last.Account == h && f.Last.Job == "backup" {
					if line := failureLine(f, a.now()); line != "" {
						st.Failing = line
					}
				}
			}
		}
		rep.Accounts = append(rep.Accounts, st)
		return nil
	}
	for _, acc := range accs {
		if err := add(acc.Handle, true, acc.LastBackup); err != nil {
			return rep, err
		}
	}
	for _, h := range archived {
		if !seen[h] {
			if err := add(h, false, time.Time{}); err != nil {
				return rep, err
			}
		}
	}
	locks, err := ar.Locks(ctx)
	if err != nil {
		return rep, err
	}
	for _, l := range locks {
		rep.Running = append(rep.Running, jobState{Job: l.Kind, Account: l.Account, PID: l.Holder.PID, Host: l.Holder.Host,
			StartedAt: l.Holder.StartedAt, Stale: l.Stale})
	}
	rep.Schedule, err = a.scheduleState(ctx, ar)
	return rep, err
}
