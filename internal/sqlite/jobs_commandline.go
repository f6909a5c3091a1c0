package sqlite

import (
	"context"
	"fmt"

	fedimarks "github.com/fedimarks/fedimarks"
)

// CommandLineJobs returns the newest limit import jobs that no page job
// ran (the commands import, migrate and sync started them), newest first;
// dry runs are never stored.
func (a *Archive) CommandLineJobs(ctx context.Context, limit int) ([]fedimarks.ImportJob, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM import_jobs
		WHERE dry_run = 0 AND id NOT IN (SELECT import_job FROM page_jobs) ORDER BY id DESC LIMIT ?`, limit)
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

// CommandLineJob returns import job id when no page job ran it, else nil
// and no error (also for no such job).
func (a *Archive) CommandLineJob(ctx context.Context, id int64) (*fedimarks.ImportJob, error) {
	var byPage bool
	if err := a.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM page_jobs WHERE import_job = ?)`, id).Scan(&byPage); err != nil {
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
