package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// Outcomes of a JobResult.
const (
	ResultOK      = "ok"
	ResultFailed  = "failed"
	ResultSkipped = "skipped" // not tried: another process was at it (a *fedimarks.Busy)
)

// resultsKept is how long results are kept; the newest of each job and
// account stays whatever its age.
const resultsKept = 90 * 24 * time.Hour

// JobResult is how one job ended: one account's backup, or a scheduled
// run as a whole (Account "").
type JobResult struct {
	ID int64
	// Job is "backup" for an account's backup, or a scheduled run's
	// command ("backup", "sync"), whose whole line is Command
	// ("backup --all --quiet").
	Job     string
	Command string
	Account fedimarks.Handle
	// Scheduled says the job ran from a schedule, not for a person.
	Scheduled             bool
	StartedAt, FinishedAt time.Time
	// Outcome is ResultOK, ResultFailed or ResultSkipped.
	Outcome string
	// ExitCode is a whole run's exit code (0 for an account's result).
	ExitCode int
	// Code is the failure's kind (a fedimarks.E... code), Message what
	// happened, Hint what to do: text for a person, with no secret in it.
	Code, Message, Hint string
}

// RecordResult stores r and forgets results older than 90 days (but the
// newest of each job and account).
func (a *Archive) RecordResult(ctx context.Context, r JobResult) (int64, error) {
	switch r.Outcome {
	case ResultOK, ResultFailed, ResultSkipped:
	default:
		return 0, fedimarks.Errorf(fedimarks.EInvalid, "record result: unknown outcome %q", r.Outcome)
	}
	if r.Job == "" {
		return 0, fedimarks.Errorf(fedimarks.EInvalid, "record result: no job")
	}
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO job_results
			(job, command, account, scheduled, started_at, finished_at, outcome, exit_code, code, message, hint)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.Job, r.Command, string(r.Account), boolInt(r.Scheduled), fmtTime(r.StartedAt), fmtTime(r.FinishedAt),
			r.Outcome, r.ExitCode, r.Code, r.Message, r.Hint).Scan(&r.ID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM job_results WHERE finished_at < ?
			AND id NOT IN (SELECT max(id) FROM job_results GROUP BY job, account)`,
			fmtTime(r.FinishedAt.Add(-resultsKept)))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record result of %s: %w", r.Job, err)
	}
	return r.ID, nil
}

const resultColumns = `id, job, command, account, scheduled, started_at, finished_at, outcome, exit_code, code, message, hint`

func scanResult(sc rowScanner) (JobResult, error) {
	var (
		r               JobResult
		account         string
		scheduled       int
		started, finish sql.NullString
	)
	if err := sc.Scan(&r.ID, &r.Job, &r.Command, &account, &scheduled, &started, &finish, &r.Outcome, &r.ExitCode, &r.Code, &r.Message, &r.Hint); err != nil {
		return r, err
	}
	r.Account = fedimarks.Handle(account)
	r.Scheduled = scheduled != 0
	var err error
	if r.StartedAt, err = parseTime(started); err != nil {
		return r, err
	}
	r.FinishedAt, err = parseTime(finish)
	return r, err
}

func (a *Archive) results(ctx context.Context, what, where string, args ...any) ([]JobResult, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT `+resultColumns+` FROM job_results WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	var out []JobResult
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

// LastResults returns the newest result of each job and account, and
// the newest failure of each when a later result was not one, ordered by
// account and job: what `fedimarks status` shows.
func (a *Archive) LastResults(ctx context.Context) (last, failed []JobResult, err error) {
	last, err = a.results(ctx, "last results",
		`id IN (SELECT max(id) FROM job_results GROUP BY job, account) ORDER BY account, job`)
	if err != nil {
		return nil, nil, err
	}
	failed, err = a.results(ctx, "last failures",
		`id IN (SELECT max(id) FROM job_results WHERE outcome = 'failed' GROUP BY job, account) ORDER BY account, job`)
	return last, failed, err
}

// FailureStreak is a job that failed, scheduled, since it last succeeded.
type FailureStreak struct {
	// Failures counts the scheduled failures since the job last
	// succeeded (scheduled or not); Since is when the first of them
	// ended.
	Failures int
	Since    time.Time
	// Last is the newest of them.
	Last JobResult
	// SignedInAt is when Last's account last signed in (zero when it is
	// not signed in, or for a whole run).
	SignedInAt time.Time
}

// ScheduledFailures returns, ordered by account and job, each job whose
// scheduled runs failed since it last succeeded: for one account's
// backup, since a backup of it last succeeded, scheduled or not.
func (a *Archive) ScheduledFailures(ctx context.Context) ([]FailureStreak, error) {
	rows, err := a.r.QueryContext(ctx, `
		WITH last_ok AS (
			SELECT job, account, max(id) AS ok_id FROM job_results WHERE outcome = 'ok' GROUP BY job, account
		)
		SELECT r.job, r.account, count(*), min(r.finished_at), max(r.id), ac.updated_at
		FROM job_results r
		LEFT JOIN last_ok o ON o.job = r.job AND o.account = r.account
		LEFT JOIN accounts ac ON ac.handle = r.account AND r.account <> ''
		WHERE r.outcome = 'failed' AND r.scheduled = 1 AND r.id > coalesce(o.ok_id, 0)
		GROUP BY r.job, r.account
		ORDER BY r.account, r.job`)
	if err != nil {
		return nil, fmt.Errorf("read scheduled failures: %w", err)
	}
	var (
		out  []FailureStreak
		last []int64
	)
	for rows.Next() {
		var (
			f             FailureStreak
			job, account  string
			since, signed sql.NullString
			id            int64
		)
		if err := rows.Scan(&job, &account, &f.Failures, &since, &id, &signed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read scheduled failures: %w", err)
		}
		if f.Since, err = parseTime(since); err == nil {
			f.SignedInAt, err = parseTime(signed)
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read scheduled failures: %w", err)
		}
		out = append(out, f)
		last = append(last, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read scheduled failures: %w", err)
	}
	for i, id := range last {
		rs, err := a.results(ctx, "scheduled failures", `id = ?`, id)
		if err != nil {
			return nil, err
		}
		if len(rs) == 1 {
			out[i].Last = rs[0]
		}
	}
	return out, nil
}

// LastScheduledRun returns the newest scheduled run as a whole and the
// results of the accounts it backed up, or nil and no error when no
// scheduled run has ended.
func (a *Archive) LastScheduledRun(ctx context.Context) (*JobResult, []JobResult, error) {
	runs, err := a.results(ctx, "last scheduled run", `scheduled = 1 AND account = '' ORDER BY id DESC LIMIT 2`)
	if err != nil || len(runs) == 0 {
		return nil, nil, err
	}
	var prev int64
	if len(runs) == 2 {
		prev = runs[1].ID
	}
	accounts, err := a.results(ctx, "last scheduled run",
		`scheduled = 1 AND account <> '' AND id > ? AND id < ? ORDER BY account, id`, prev, runs[0].ID)
	return &runs[0], accounts, err
}

// HeldLock is a lock row of the archive: a backup or an import under way,
// or left behind by a process that is gone (Stale).
type HeldLock struct {
	// Kind is "backup" or "import"; Account is the account backed up or
	// imported into.
	Kind    string
	Account fedimarks.Handle
	Holder  LockHolder
	// Stale says the holder is gone (or silent too long): the next
	// process to want the lock takes it over.
	Stale bool
}

// Locks returns the archive's lock rows, oldest first.
func (a *Archive) Locks(ctx context.Context) ([]HeldLock, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT scope, pid, host, started_at, heartbeat_at FROM import_locks ORDER BY started_at, scope`)
	if err != nil {
		return nil, fmt.Errorf("read locks: %w", err)
	}
	defer rows.Close()
	host, _ := os.Hostname()
	me := LockHolder{PID: os.Getpid(), Host: host}
	var out []HeldLock
	for rows.Next() {
		var (
			l             HeldLock
			scope         string
			started, beat sql.NullString
		)
		if err := rows.Scan(&scope, &l.Holder.PID, &l.Holder.Host, &started, &beat); err != nil {
			return nil, fmt.Errorf("read locks: %w", err)
		}
		l.Holder.StartedAt, _ = parseTime(started)
		l.Holder.HeartbeatAt, _ = parseTime(beat)
		l.Kind, l.Account = "import", fedimarks.Handle(scope)
		if h, ok := strings.CutPrefix(scope, "backup "); ok {
			l.Kind, l.Account = "backup", fedimarks.Handle(h)
		}
		l.Stale = lockStale(l.Holder, me, a.now())
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read locks: %w", err)
	}
	return out, nil
}
