package misskey

import (
	"context"
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

// EachBookmark calls fn with each page of the favorites (FavoritesPage),
// newest first, to the end. A favorite that cannot be read is left out
// (favoriting its note again is refused as ALREADY_FAVORITED, which an
// import reads as already there). A next page that repeats one read ends
// the walk with an error rather than a loop.
func (f Favorites) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	seen := map[string]bool{}
	for cursor := ""; ; {
		p, err := f.c.FavoritesPage(ctx, cursor)
		if err != nil {
			return err
		}
		if len(p.Statuses) > 0 {
			if err := fn(p.Statuses); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		if seen[p.Next] {
			return fmt.Errorf("POST /api/i/favorites: the server sent a page twice (%s)", p.Next)
		}
		seen[p.Next] = true
		cursor = p.Next
	}
}
