package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// States of a PageJob.
const (
	PageJobRunning     = "running"
	PageJobDone        = "done"
	PageJobFailed      = "failed"
	PageJobInterrupted = "interrupted" // cancelled, or its process ended: resumable
)

// PageJob is a job started from the web page: a backup, a move of
// bookmarks (an import or a migration) or a verification. The archive
// keeps what the caller gives it (Spec, Result) as it is.
type PageJob struct {
	ID   int64
	Kind string
	// Spec is what to run, Result how it ended: JSON the caller writes.
	Spec, Result []byte
	State        string
	// PID is the process that runs (or ran) it, Runner the server in
	// that process (a random name it picks when it starts).
	PID    int
	Runner string
	// ImportJob is the import job the run journals its rows in (0: none
	// yet, or not an import).
	ImportJob             int64
	StartedAt, FinishedAt time.Time
}

const pageJobColumns = `id, kind, spec, state, pid, runner, import_job, started_at, finished_at, result`

func scanPageJob(sc rowScanner) (*PageJob, error) {
	var (
		j                PageJob
		spec, result     string
		started, finishd sql.NullString
	)
	if err := sc.Scan(&j.ID, &j.Kind, &spec, &j.State, &j.PID, &j.Runner, &j.ImportJob, &started, &finishd, &result); err != nil {
		return nil, err
	}
	j.Spec, j.Result = []byte(spec), []byte(result)
	var err error
	if j.StartedAt, err = parseTime(started); err != nil {
		return nil, err
	}
	if j.FinishedAt, err = parseTime(finishd); err != nil {
		return nil, err
	}
	return &j, nil
}

// CreatePageJob records a job of kind that runner, a server of this
// process, starts now.
func (a *Archive) CreatePageJob(ctx context.Context, kind string, spec []byte, runner string, now time.Time) (*PageJob, error) {
	j := &PageJob{Kind: kind, Spec: spec, State: PageJobRunning, PID: os.Getpid(), Runner: runner, StartedAt: now, Result: []byte("{}")}
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO page_jobs (kind, spec, state, pid, runner, started_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			kind, string(spec), j.State, j.PID, runner, fmtTime(now)).Scan(&j.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("record page job: %w", err)
	}
	return j, nil
}

// SetPageJobImport links page job id to the import job that journals its
// rows.
func (a *Archive) SetPageJobImport(ctx context.Context, id, importJob int64) error {
	return a.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE page_jobs SET import_job = ? WHERE id = ?`, importJob, id)
		return err
	})
}

// FinishPageJob records how page job id ended: its state (not running)
// and result.
func (a *Archive) FinishPageJob(ctx context.Context, id int64, state string, result []byte, now time.Time) error {
	if state == PageJobRunning {
		return fedimarks.Errorf(fedimarks.EInvalid, "finish page job %d: still running", id)
	}
	return a.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE page_jobs SET state = ?, result = ?, finished_at = ? WHERE id = ?`,
			state, string(result), fmtTime(now), id)
		return err
	})
}

// PageJob returns page job id, or nil and no error if there is none.
func (a *Archive) PageJob(ctx context.Context, id int64) (*PageJob, error) {
	j, err := scanPageJob(a.r.QueryRowContext(ctx, `SELECT `+pageJobColumns+` FROM page_jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read page job %d: %w", id, err)
	}
	return j, nil
}

// PageJobs returns the newest limit page jobs, newest first.
func (a *Archive) PageJobs(ctx context.Context, limit int) ([]PageJob, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT `+pageJobColumns+` FROM page_jobs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read page jobs: %w", err)
	}
	defer rows.Close()
	var out []PageJob
	for rows.Next() {
		j, err := scanPageJob(rows)
		if err != nil {
			return nil, fmt.Errorf("read page jobs: %w", err)
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

// InterruptOrphanedPageJobs marks interrupted the page jobs recorded as
// running whose server is gone (fedimarks was stopped or crashed): their
// process is no more, or it is this one and runner, the server starting
// now, is not theirs. They did not finish, and their import jobs resume
// when they are run again. It returns how many it marked.
func (a *Archive) InterruptOrphanedPageJobs(ctx context.Context, runner string, now time.Time) (int, error) {
	running, err := a.r.QueryContext(ctx, `SELECT id, pid, runner FROM page_jobs WHERE state = ?`, PageJobRunning)
	if err != nil {
		return 0, fmt.Errorf("read page jobs: %w", err)
	}
	var gone []int64
	for running.Next() {
		var id int64
		var pid int
		var by string
		if err := running.Scan(&id, &pid, &by); err != nil {
			running.Close()
			return 0, err
		}
		if by != runner && (pid == os.Getpid() || !processAlive(pid)) {
			gone = append(gone, id)
		}
	}
	running.Close()
	if err := running.Err(); err != nil {
		return 0, err
	}
	err = a.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range gone {
			if _, err := tx.ExecContext(ctx, `UPDATE page_jobs SET state = ?, finished_at = ? WHERE id = ? AND state = ?`,
				PageJobInterrupted, fmtTime(now), id, PageJobRunning); err != nil {
				return err
			}
		}
		return nil
	})
	return len(gone), err
}
