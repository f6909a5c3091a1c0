package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	fedimarks "github.com/fedimarks/fedimarks"
)

// SetJobItemPostURI records the ActivityPub URI of the post that import
// item itemID resolved to on the destination (a row read as a web address
// learns it from the search). It returns ENotFound for an unknown item.
func (a *Archive) SetJobItemPostURI(ctx context.Context, itemID int64, uri string) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM import_items WHERE id = ?`, itemID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fedimarks.Errorf(fedimarks.ENotFound, "no import item %d", itemID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO import_item_posts (item_id, post_uri) VALUES (?, ?)
			ON CONFLICT (item_id) DO UPDATE SET post_uri = excluded.post_uri`, itemID, uri)
		return err
	})
	if err != nil {
		return fmt.Errorf("set post of import item %d: %w", itemID, err)
	}
	return nil
}

// JobPostURIs returns the post URIs recorded with SetJobItemPostURI for
// job jobID's items, by item id; items without one are absent.
func (a *Archive) JobPostURIs(ctx context.Context, jobID int64) (map[int64]string, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT p.item_id, p.post_uri FROM import_item_posts p
		JOIN import_items i ON i.id = p.item_id WHERE i.job_id = ? AND p.post_uri <> ''`, jobID)
	if err != nil {
		return nil, fmt.Errorf("read posts of import job %d: %w", jobID, err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var (
			id  int64
			uri string
		)
		if err := rows.Scan(&id, &uri); err != nil {
			return nil, fmt.Errorf("read posts of import job %d: %w", jobID, err)
		}
		out[id] = uri
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read posts of import job %d: %w", jobID, err)
	}
	return out, nil
}
