package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// cutThreadAgain is how long a thread cut short by a cap stays as it was
// read before backup --context reads it again (see MarkThreadCut).
const cutThreadAgain = 7 * 24 * time.Hour

// MarkThreadCut records that the kept thread of the archived post uri
// was cut short by a server's or fedimarks' cap: it is shown as far as
// it was read and not counted whole, and PendingContexts gives it again
// once cutThreadAgain has passed (not on every run: the same cap would
// cut it again until the login changes). SaveThread, reading it again,
// clears the mark.
func (a *Archive) MarkThreadCut(ctx context.Context, uri string) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO thread_cuts (status_id, cut_at) SELECT id, ? FROM statuses WHERE uri = ?`,
			fmtTime(a.now()), uri)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark the thread of %s cut short: %w", uri, err)
	}
	return nil
}
