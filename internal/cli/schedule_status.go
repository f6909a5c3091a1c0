package cli

import (
	"context"
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

// scheduleState is what the schedule is: what install recorded, whether
// the system still has it, and how its last run went.
type scheduleState struct {
	Installed   bool       `json:"installed"`
	Target      string     `json:"target,omitempty"`
	Description string     `json:"description,omitempty"`
	InstalledAt *time.Time `json:"installed_at,omitempty"`
	Every       string     `json:"every,omitempty"`
	Times       string     `json:"times,omitempty"`
	NextRun     *time.Time `json:"next_run,omitempty"`
	Commands    [][]string `json:"commands,omitempty"`
	Files       []string   `json:"files,omitempty"`
	CrontabLine string     `json:"crontab_line,omitempty"`
	// Registered says whether the system has the job (null: could not
	// be asked).
	Registered *bool  `json:"registered"`
	Log        string `json:"log"`
	// Problems are what stands in the way of the next run, for a person.
	Problems []string  `json:"problems"`
	LastRun  *runState `json:"last_run"`
}

// runState is how a scheduled run ended.
type runState struct {
	Command    string        `json:"command"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt time.Time     `json:"finished_at"`
	ExitCode   int           `json:"exit_code"`
	Error      string        `json:"error,omitempty"`
	Accounts   []resultState `json:"accounts"`
}

// resultState is how one job of one account ended.
type resultState struct {
	Account    fedimarks.Handle `json:"account,omitempty"`
	Scheduled  bool             `json:"scheduled"`
	FinishedAt time.Time        `json:"finished_at"`
	Outcome    string           `json:"outcome"`
	Message    string           `json:"message,omitempty"`
	Hint       string           `json:"hint,omitempty"`
}

func newResultState(r sqlite.JobResult) resultState {
	return resultState{Account: r.Account, Scheduled: r.Scheduled, FinishedAt: r.FinishedAt, Outcome: r.Outcome, Message: r.Message, Hint: r.Hint}
}

// text is the result for a person: "ok", "failed: why; what to do".
func (r resultState) text() string {
	if why := r.why(); why != "" {
		return r.Outcome + ": " + why
	}
	return r.Outcome
}

// why is what happened and what to do, "" when nothing is said.
func (r resultState) why() string {
	s := strings.TrimPrefix(r.Message, string(r.Account)+": ")
	if r.Hint != "" {
		if s != "" {
			s += "; "
		}
		s += r.Hint
	}
	return s
}

// scheduleState reads the manifest, asks the system whether it has the
// job, and reads the last run from the archive (ar may be nil).
func (a *app) scheduleState(ctx context.Context, ar *sqlite.Archive) (scheduleState, error) {
	st := scheduleState{Problems: []string{}}
	st.Log, _ = a.scheduleLogPath()
	p, err := a.paths()
	if err != nil {
		return st, err
	}
	m, err := loadManifest(filepath.Join(p.Config, manifestName))
	if err != nil {
		return st, err
	}
	if ar != nil {
		run, accs, err := ar.LastScheduledRun(ctx)
		if err != nil {
			return st, err
		}
		if run != nil {
			rs := &runState{Command: "fedimarks " + run.Command, StartedAt: run.StartedAt, FinishedAt: run.FinishedAt,
				ExitCode: run.ExitCode, Accounts: []resultState{}}
			if run.Message != "" {
				rs.Error = run.Message
				if run.Hint != "" {
					rs.Error += "; " + run.Hint
				}
			}
			for _, r := range accs {
				rs.Accounts = append(rs.Accounts, newResultState(r))
			}
			st.LastRun = rs
		}
	}
	if m == nil {
		return st, nil
	}
	s := m.spec()
	next := s.Next(a.now())
	installed := m.InstalledAt
	st.Installed, st.Target, st.Description, st.InstalledAt = true, string(m.Target), m.Target.Describe(), &installed
	st.Every, st.Times, st.NextRun, st.Commands, st.Files, st.CrontabLine =
		schedule.Every(s.Every), s.TimesText(), &next, s.Commands(), m.Files, m.Line
	if _, err := os.Stat(m.Program); err != nil {
		st.Problems = append(st.Problems, fmt.Sprintf("%s, the program the schedule runs, is gone: install again from the fedimarks you use now: fedimarks schedule install", m.Program))
	}
	for _, f := range m.Files {
		if _, err := os.Stat(f); err != nil {
			st.Problems = append(st.Problems, fmt.Sprintf("%s, written by install, is gone: install again: fedimarks schedule install", f))
		}
	}
	switch state, out := a.checkRegistered(ctx, m); state {
	case registeredUnknown:
		// Cannot be asked here: say nothing rather than guess.
	case registeredYes:
		yes := true
		st.Registered = &yes
	default:
		no := false
		st.Registered = &no
		if m.Target == schedule.Cron {
			st.Problems = append(st.Problems, "the line is not in your crontab: add it with crontab -e")
		} else {
			said := strings.TrimSpace(cleanText(out))
			if said != "" {
				said = fmt.Sprintf(" (%q)", said)
			}
			st.Problems = append(st.Problems, fmt.Sprintf("%s says the system does not have the job%s: install again: fedimarks schedule install",
				strings.Join(m.Check, " "), said))
		}
	}
	return st, nil
}

// writeScheduleState shows st for a person, each line after indent.
func writeScheduleState(w io.Writer, st scheduleState, indent string, now time.Time) {
	if !st.Installed {
		fmt.Fprintf(w, "%sNo schedule is installed; set one up with: fedimarks schedule install\n", indent)
	} else {
		fmt.Fprintf(w, "%s%s, installed %s\n", indent, cleanText(st.Description), st.InstalledAt.Local().Format(fedimarks.TimeLayout))
		for _, c := range st.Commands {
			fmt.Fprintf(w, "%s  runs: %s\n", indent, cleanText(strings.Join(c, " ")))
		}
		fmt.Fprintf(w, "%s  every %s, %s; next run %s (in %s)\n", indent, st.Every, st.Times,
			st.NextRun.Local().Format(fedimarks.TimeLayout), inDuration(st.NextRun.Sub(now)))
		if st.CrontabLine != "" {
			fmt.Fprintf(w, "%s  crontab line: %s\n", indent, cleanText(st.CrontabLine))
		}
		for _, f := range st.Files {
			fmt.Fprintf(w, "%s  file: %s\n", indent, cleanText(f))
		}
	}
	if r := st.LastRun; r != nil {
		fmt.Fprintf(w, "%s  last run: %s, %s (%s), exit %d", indent, cleanText(r.Command),
			r.FinishedAt.Local().Format(fedimarks.TimeLayout), fedimarks.Ago(now.Sub(r.FinishedAt)), r.ExitCode)
		if r.Error != "" {
			fmt.Fprintf(w, ": %s", r.Error)
		}
		fmt.Fprintln(w)
		for _, acc := range r.Accounts {
			fmt.Fprintf(w, "%s    %s: %s\n", indent, acc.Account, acc.text())
		}
	} else if st.Installed {
		fmt.Fprintf(w, "%s  last run: none yet\n", indent)
	}
	if st.Installed || st.LastRun != nil {
		fmt.Fprintf(w, "%s  log: %s\n", indent, cleanText(st.Log))
	}
	for _, p := range st.Problems {
		fmt.Fprintf(w, "%s  Problem: %s\n", indent, cleanText(p))
	}
}

// scheduleStatusOptions are 'schedule status”s: --json, the archive,
// the schedule's state (app.scheduleState), the clock, standard output.
type scheduleStatusOptions struct {
	json     bool
	archive  archiveFunc
	schedule func(context.Context, *sqlite.Archive) (scheduleState, error)
	now      func() time.Time
	dataOut  dataOutFunc
}

func runScheduleStatus(ctx context.Context, a *app, args []string) error {
	asJSON, err := parseJSONOnly(a, args, "schedule status")
	if err != nil {
		return err
	}
	return runScheduleState(ctx, scheduleStatusOptions{json: asJSON, archive: a.openArchive, schedule: a.scheduleState,
		now: a.now, dataOut: a.dataOut})
}

// runScheduleState prints the schedule's state and the failing scheduled
// backups.
func runScheduleState(ctx context.Context, o scheduleStatusOptions) error {
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	st, err := o.schedule(ctx, ar)
	if err != nil {
		return err
	}
	return printReport(o.dataOut, o.json, st, func(out io.Writer, st scheduleState) error {
		now := o.now()
		writeScheduleState(out, st, "", now)
		streaks, err := ar.ScheduledFailures(ctx)
		if err != nil {
			return err
		}
		for _, f := range streaks {
			if line := failureLine(f, now); line != "" {
				fmt.Fprintf(out, "Failing: %s\n", line)
			}
		}
		return nil
	})
}
