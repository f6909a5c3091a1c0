package misskey

import (
	"context"
	"fmt"
	"net/url"
)

// Me is the signed-in user, as POST /api/i gives it.
type Me struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// I asks the server whose token the client sends (POST /api/i, which needs
// the read:account permission).
func (c *Client) I(ctx context.Context) (Me, error) {
	var me Me
	if _, err := c.call(ctx, "i", nil, &me, true); err != nil {
		return me, err
	}
	if me.ID == "" || me.Username == "" {
		return me, fmt.Errorf("POST /api/i: the answer names no user")
	}
	return me, nil
}

// Meta is what the server says of itself (POST /api/meta, no token
// needed).
type Meta struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URI     string `json:"uri"`
}

// Meta asks the server what it runs.
func (c *Client) Meta(ctx context.Context) (Meta, error) {
	var m Meta
	_, err := c.call(ctx, "meta", map[string]any{"detail": false}, &m, true)
	return m, err
}

// MiAuthCheck asks whether MiAuth session was approved (POST
// /api/miauth/SESSION/check, no token): the token and the user when it
// was, once; ok false before approval, after the first success, and for
// a denied or unknown session.
func (c *Client) MiAuthCheck(ctx context.Context, session string) (ok bool, token string, me Me, err error) {
	var w struct {
		OK    bool   `json:"ok"`
		Token string `json:"token"`
		User  Me     `json:"user"`
	}
	if _, err := c.call(ctx, "miauth/"+url.PathEscape(session)+"/check", nil, &w, false); err != nil {
		return false, "", Me{}, err
	}
	if !w.OK || w.Token == "" {
		return false, "", Me{}, nil
	}
	return true, w.Token, w.User, nil
}
