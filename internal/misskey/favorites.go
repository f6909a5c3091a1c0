package misskey

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// PageSize is how many favorites a page asks for: Misskey's maximum.
const PageSize = 100

// Page is one page of an account's favorites, newest first.
type Page struct {
	Statuses []fedimarks.Status
	// Next is the cursor of the following page ("" at the end): the
	// address of i/favorites with the untilId that follows this page.
	Next string
	// URL is the cursor fetched (the first page's address for "").
	URL string
	// Skipped are the favorites the server sent that could not be read.
	Skipped []fedimarks.Skipped
}

// CursorError is a cursor that is not one of this server's favorites
// pages: the walk cannot go on from it.
type CursorError struct{ Cursor string }

func (e *CursorError) Error() string {
	return fmt.Sprintf("%.200q is not a favorites page of this server", e.Cursor)
}

// favoritesURL is the cursor of the page after untilID ("": the first).
func (c *Client) favoritesURL(untilID string) string {
	u := c.server + "/api/i/favorites"
	if untilID != "" {
		u += "?untilId=" + url.QueryEscape(untilID)
	}
	return u
}

// FavoritesPage reads one page of the account's favorites (POST
// i/favorites, newest first, paged by untilId): the first for cursor "",
// else the page a previous Page.Next named. A page goes on while it is not
// empty, so that a server that leaves some favorites out of a page (a
// fork filtering after paging) loses none.
func (c *Client) FavoritesPage(ctx context.Context, cursor string) (Page, error) {
	params := map[string]any{"limit": PageSize}
	p := Page{URL: cursor}
	if cursor == "" {
		p.URL = c.favoritesURL("")
	} else {
		until, ok := c.untilOf(cursor)
		if !ok {
			return p, &CursorError{Cursor: cursor}
		}
		params["untilId"] = until
	}
	var items []json.RawMessage
	if _, err := c.call(ctx, "i/favorites", params, &items, true); err != nil {
		return p, err
	}
	last := ""
	for _, raw := range items {
		var f struct {
			ID   string `json:"id"`
			Note Note   `json:"note"`
		}
		err := json.Unmarshal(raw, &f)
		if err == nil && f.ID != "" {
			last = f.ID
		}
		var st fedimarks.Status
		if err == nil {
			st, err = StatusOf(c.server, f.Note, raw)
		}
		if err != nil {
			p.Skipped = append(p.Skipped, fedimarks.Skipped{Raw: raw, Err: err})
			continue
		}
		p.Statuses = append(p.Statuses, st)
	}
	if len(items) > 0 && last != "" {
		p.Next = c.favoritesURL(last)
	}
	return p, nil
}

// untilOf reads the untilId of a cursor of this server.
func (c *Client) untilOf(cursor string) (string, bool) {
	u, err := url.Parse(cursor)
	base, berr := url.Parse(c.server)
	if err != nil || berr != nil || !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) ||
		u.Path != "/api/i/favorites" {
		return "", false
	}
	until := u.Query().Get("untilId")
	return until, until != ""
}
