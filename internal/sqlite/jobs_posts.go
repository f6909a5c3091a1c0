package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	fedimarks "github.com/fedimarks/fedimarks"
)

// SetJobItemPostURI records the ActivityPub URI of the post that import
// item itemID resolved to on the destination (a row read as a web address
// learns it from the search); JobItems returns it as the item's PostURI.
// It returns ENotFound for an unknown item.
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
