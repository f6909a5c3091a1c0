package sqlite

import (
	"context"
	"fmt"

	fedimarks "github.com/fedimarks/fedimarks"
)

// startedByPage selects the import jobs a page job started: those that
// journal a page job's rows, but for the page's retries of an import job
// (spec.job), which may be one a command started.
const startedByPage = `SELECT import_job FROM page_jobs WHERE coalesce(json_extract(spec, '$.job'), 0) = 0`

// CommandLineJobs returns the newest limit import jobs that no page job
// started (the commands import, migrate and sync did; the page may have
// retried them since), newest first; dry runs are never stored.
func (a *Archive) CommandLineJobs(ctx context.Context, limit int) ([]fedimarks.ImportJob, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM import_jobs
		WHERE dry_run = 0 AND id NOT IN (`+startedByPage+`) ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list import jobs: %w", err)
	}
	defer rows.Close()
	var out []fedimarks.ImportJob
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list import jobs: %w", err)
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

// CommandLineJob returns import job id when a command started it (not a
// page job), else nil and no error (also for no such job).
func (a *Archive) CommandLineJob(ctx context.Context, id int64) (*fedimarks.ImportJob, error) {
	var byPage bool
	if err := a.r.QueryRowContext(ctx, `SELECT ? IN (`+startedByPage+`)`, id).Scan(&byPage); err != nil {
		return nil, fmt.Errorf("read import job %d: %w", id, err)
	}
	if byPage {
		return nil, nil
	}
	j, err := a.Job(ctx, id)
	if fedimarks.ErrorCode(err) == fedimarks.ENotFound {
		return nil, nil
	}
	if err != nil || j.DryRun {
		return nil, err
	}
	return j, nil
}
