package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// LastFullWalk returns when the last complete full walk of h's bookmarks
// began (the zero time if none did), and whether the archive holds any
// bookmark of h, removed ones included.
func (a *Archive) LastFullWalk(ctx context.Context, h fedimarks.Handle) (last time.Time, archived bool, err error) {
	var at sql.NullString
	err = a.r.QueryRowContext(ctx, `SELECT
			(SELECT last_full_walk FROM backup_accounts WHERE account = ?),
			EXISTS (SELECT 1 FROM bookmarks WHERE account = ?)`,
		string(h), string(h)).Scan(&at, &archived)
	if err == nil {
		last, err = parseTime(at)
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read last full backup of %s: %w", h, err)
	}
	return last, archived, nil
}

// recordFullWalk notes in tx that run, a full one, walked to the end.
func recordFullWalk(ctx context.Context, tx *sql.Tx, run *Run) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO backup_accounts (account, last_full_walk) VALUES (?, ?)
		ON CONFLICT (account) DO UPDATE SET last_full_walk = max(last_full_walk, excluded.last_full_walk)`,
		string(run.Account), fmtTime(run.StartedAt))
	return err
}
