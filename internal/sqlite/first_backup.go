package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// FirstBackup returns when the first finished backup of h ended: the
// bookmarks it found may have been made at any time before it, while
// each one a later backup found was made before that backup saw it
// (Bookmark.FirstSeen). It returns the zero time when no backup of h
// finished.
func (a *Archive) FirstBackup(ctx context.Context, h fedimarks.Handle) (time.Time, error) {
	var at sql.NullString
	err := a.r.QueryRowContext(ctx, `SELECT min(finished_at) FROM backup_runs WHERE account = ? AND state = 'finished'`,
		string(h)).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("first backup of %s: %w", h, err)
	}
	return parseTime(at)
}
