package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// ReopenThread makes the kept thread of the archived post uri pending
// again, keeping its posts: a thread a server's or fedimarks' limit cut
// short is shown as far as it was read, and is not recorded as fetched,
// so the next backup --context reads it again.
func (a *Archive) ReopenThread(ctx context.Context, uri string) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM thread_fetches WHERE status_id = (SELECT id FROM statuses WHERE uri = ?)`, uri)
		return err
	})
	if err != nil {
		return fmt.Errorf("reopen thread of %s: %w", uri, err)
	}
	return nil
}
