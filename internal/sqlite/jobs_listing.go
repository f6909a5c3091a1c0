package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	fedimarks "github.com/fedimarks/fedimarks"
)

// JobListing returns the listing stored for job jobID, or nil and no error
// when none was stored.
func (a *Archive) JobListing(ctx context.Context, jobID int64) (*fedimarks.JobListing, error) {
	var (
		l      fedimarks.JobListing
		readAt sql.NullString
	)
	err := a.r.QueryRowContext(ctx, `SELECT rows, read_at FROM import_listings WHERE job_id = ?`, jobID).Scan(&l.Rows, &readAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read listing of import job %d: %w", jobID, err)
	}
	if l.ReadAt, err = parseTime(readAt); err != nil {
		return nil, fmt.Errorf("read listing of import job %d: %w", jobID, err)
	}
	rows, err := a.r.QueryContext(ctx, `SELECT status_id, addrs FROM import_listed WHERE job_id = ? ORDER BY pos`, jobID)
	if err != nil {
		return nil, fmt.Errorf("read listing of import job %d: %w", jobID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			b     fedimarks.ListedBookmark
			addrs string
		)
		if err := rows.Scan(&b.ID, &addrs); err != nil {
			return nil, fmt.Errorf("read listing of import job %d: %w", jobID, err)
		}
		if addrs != "" {
			b.Addrs = strings.Split(addrs, "\t")
		}
		l.Bookmarks = append(l.Bookmarks, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read listing of import job %d: %w", jobID, err)
	}
	return &l, nil
}

// SaveJobListing stores l as job jobID's listing, replacing any stored
// before, in one transaction. A zero ReadAt means now.
func (a *Archive) SaveJobListing(ctx context.Context, jobID int64, l fedimarks.JobListing) error {
	if l.ReadAt.IsZero() {
		l.ReadAt = a.now()
	}
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_listings WHERE job_id = ?`, jobID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO import_listings (job_id, rows, read_at) VALUES (?, ?, ?)`,
			jobID, l.Rows, fmtTime(l.ReadAt)); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO import_listed (job_id, pos, status_id, addrs) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i, b := range l.Bookmarks {
			if _, err := ins.ExecContext(ctx, jobID, i, b.ID, strings.Join(b.Addrs, "\t")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store listing of import job %d: %w", jobID, err)
	}
	return nil
}
