package misskey

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fedimarks/fedimarks"
)

// Favorites lists an account's favorites as internal/transfer's Lister
// wants bookmarks: pages of Statuses, newest favorite first, each the
// favorited note (see noteStatus).
type Favorites struct{ c *Client }

// NewFavorites returns the Lister of the favorites of the account c signs
// in as.
func NewFavorites(c *Client) Favorites { return Favorites{c} }

// favoritesPage is how many favorites one i/favorites call asks for (its
// maximum).
const favoritesPage = 100

// EachBookmark calls fn with each page of i/favorites, paging by untilId
// (the last favorite's id) until a page comes back empty. A cursor that
// does not move ends the walk with an error rather than a loop.
func (f Favorites) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	until := ""
	for {
		params := map[string]any{"limit": favoritesPage}
		if until != "" {
			params["untilId"] = until
		}
		var page []struct {
			ID   string          `json:"id"`
			Note json.RawMessage `json:"note"`
		}
		if err := f.c.call(ctx, "i/favorites", params, &page); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		sts := make([]fedimarks.Status, 0, len(page))
		for _, fav := range page {
			st, err := noteStatus(f.c.Server(), fav.Note)
			if err != nil {
				return fmt.Errorf("POST /api/i/favorites: favorite %s: %w", fav.ID, err)
			}
			sts = append(sts, st)
		}
		if err := fn(sts); err != nil {
			return err
		}
		last := page[len(page)-1].ID
		if last == "" || last == until {
			return fmt.Errorf("POST /api/i/favorites: the next page starts where the last one did (%q)", last)
		}
		until = last
	}
}
