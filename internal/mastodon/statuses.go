package mastodon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// Account is the signed-in account as the server describes it. Raw is the
// JSON as received.
type Account struct {
	ID, Username, Acct, DisplayName, URL string
	Raw                                  json.RawMessage
}

// VerifyCredentials returns the account the token belongs to
// (GET /api/v1/accounts/verify_credentials; scope profile or read:accounts).
func (c *Client) VerifyCredentials(ctx context.Context) (Account, error) {
	var raw json.RawMessage
	r := &call{method: http.MethodGet, url: c.apiURL("/api/v1/accounts/verify_credentials"), kind: kindAPI, idempotent: true}
	if _, err := c.getJSON(ctx, r, &raw); err != nil {
		return Account{}, err
	}
	var w struct {
		ID          json.RawMessage `json:"id"`
		Username    string          `json:"username"`
		Acct        string          `json:"acct"`
		DisplayName string          `json:"display_name"`
		URL         string          `json:"url"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Account{}, fmt.Errorf("verify credentials: decode account: %w", err)
	}
	a := Account{ID: fedimarks.IDString(w.ID), Username: w.Username, Acct: w.Acct, DisplayName: w.DisplayName, URL: w.URL, Raw: raw}
	if a.ID == "" {
		return Account{}, fmt.Errorf("verify credentials: account has no id")
	}
	return a, nil
}

// Instance describes the server software.
type Instance struct {
	// Domain is the instance's domain as it names itself.
	Domain string
	// Version is the version string as the server sends it.
	Version string
	// Software is "mastodon", "gotosocial", "pixelfed", "akkoma",
	// "pleroma", "snac", "sharkey", "friendica", "takahe", "iceshrimp",
	// "firefish" or "unknown".
	Software string
	// MastodonVersion is the Mastodon API version the server claims
	// ("4.3.0" -> {4,3,0}); zeros when its numbering is not Mastodon's
	// (GoToSocial, snac) or not readable.
	MastodonVersion [3]int
}

// Instance describes the server (GET /api/v2/instance, falling back to
// /api/v1/instance on 404 or 410).
func (c *Client) Instance(ctx context.Context) (Instance, error) {
	var w struct {
		Domain    string `json:"domain"`
		URI       string `json:"uri"`
		Version   string `json:"version"`
		SourceURL string `json:"source_url"`
	}
	r := &call{method: http.MethodGet, url: c.apiURL("/api/v2/instance"), kind: kindAPI, idempotent: true}
	if _, err := c.getJSON(ctx, r, &w); err != nil {
		if !IsStatus(err, http.StatusNotFound) && !IsStatus(err, http.StatusGone) {
			return Instance{}, err
		}
		r = &call{method: http.MethodGet, url: c.apiURL("/api/v1/instance"), kind: kindAPI, idempotent: true}
		if _, err := c.getJSON(ctx, r, &w); err != nil {
			return Instance{}, err
		}
	}
	in := Instance{Domain: w.Domain, Version: w.Version}
	if in.Domain == "" {
		in.Domain = w.URI
		if u, err := url.Parse(w.URI); err == nil && u.Host != "" {
			in.Domain = u.Host
		}
	}
	in.Software, in.MastodonVersion = detectSoftware(w.Version, w.SourceURL)
	return in, nil
}

var (
	leadingVersion = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?`)
	gtsVersion     = regexp.MustCompile(`^\d+\.\d+\.\d+[ +]git-`)
	compatName     = regexp.MustCompile(`(?i)\((?:compatible|not true)[;,]?\s*(?:really\s+)?([a-z][a-z0-9_-]*)`)
)

// knownSoftware reports whether name is a server software that Instance
// names.
func knownSoftware(name string) bool {
	switch name {
	case "mastodon", "gotosocial", "pixelfed", "akkoma", "pleroma", "snac",
		"sharkey", "friendica", "takahe", "iceshrimp", "firefish":
		return true
	}
	return false
}

// detectSoftware names the server software from the instance version
// string (and source_url, which GoToSocial fills), and parses the Mastodon
// API version it claims.
func detectSoftware(version, sourceURL string) (string, [3]int) {
	v := strings.TrimSpace(version)
	lower := strings.ToLower(v)
	var nums [3]int
	if m := leadingVersion.FindStringSubmatch(v); m != nil {
		for i := 0; i < 3; i++ {
			nums[i], _ = strconv.Atoi(m[i+1])
		}
	}
	switch {
	case strings.Contains(lower, "gotosocial") || strings.Contains(strings.ToLower(sourceURL), "gotosocial") || gtsVersion.MatchString(v):
		return "gotosocial", [3]int{}
	case strings.Contains(lower, "snac"):
		return "snac", [3]int{}
	}
	if m := compatName.FindStringSubmatch(v); m != nil {
		name := strings.ToLower(m[1])
		if knownSoftware(name) {
			return name, nums
		}
		return "unknown", nums
	}
	if leadingVersion.MatchString(v) {
		// "4.3.0", "4.2.10+glitch", "4.4.0-beta.1": Mastodon or a fork.
		return "mastodon", nums
	}
	return "unknown", [3]int{}
}

// Resolve looks a post up by its URI or URL, letting the server fetch it
// over ActivityPub (GET /api/v2/search?q=...&resolve=true&type=statuses&limit=1).
// It returns nil, nil when the server found nothing (deleted, not visible,
// unknown).
func (c *Client) Resolve(ctx context.Context, uri string) (*fedimarks.Status, error) {
	q := url.Values{"q": {uri}, "resolve": {"true"}, "type": {"statuses"}, "limit": {"1"}}
	var w struct {
		Statuses []json.RawMessage `json:"statuses"`
	}
	r := &call{method: http.MethodGet, url: c.apiURL("/api/v2/search?" + q.Encode()), kind: kindAPI, idempotent: true}
	if _, err := c.getJSON(ctx, r, &w); err != nil {
		return nil, err
	}
	if len(w.Statuses) == 0 {
		return nil, nil
	}
	st, err := fedimarks.ParseStatus(w.Statuses[0])
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	return &st, nil
}

// Status fetches one post by its id on this server (GET /api/v1/statuses/:id).
func (c *Client) Status(ctx context.Context, id string) (fedimarks.Status, error) {
	return c.statusCall(ctx, http.MethodGet, "/api/v1/statuses/"+url.PathEscape(id))
}

// Bookmark bookmarks a post by its id on this server
// (POST /api/v1/statuses/:id/bookmark) and returns the post. Bookmarking
// twice is harmless, so the call is retried like a read. An error answer is
// returned as the *APIError unchanged: snac answers 422 for a post already
// bookmarked, and the caller decides what that means.
func (c *Client) Bookmark(ctx context.Context, id string) (fedimarks.Status, error) {
	return c.statusCall(ctx, http.MethodPost, "/api/v1/statuses/"+url.PathEscape(id)+"/bookmark")
}

// Unbookmark removes a bookmark (POST /api/v1/statuses/:id/unbookmark).
// Old Mastodon answers 404 for a post that was not bookmarked; that comes
// back as the *APIError.
func (c *Client) Unbookmark(ctx context.Context, id string) error {
	r := &call{method: http.MethodPost, url: c.apiURL("/api/v1/statuses/" + url.PathEscape(id) + "/unbookmark"), kind: kindAPI, idempotent: true}
	_, err := c.getJSON(ctx, r, nil)
	return err
}

func (c *Client) statusCall(ctx context.Context, method, path string) (fedimarks.Status, error) {
	var raw json.RawMessage
	r := &call{method: method, url: c.apiURL(path), kind: kindAPI, idempotent: true}
	if _, err := c.getJSON(ctx, r, &raw); err != nil {
		return fedimarks.Status{}, err
	}
	st, err := fedimarks.ParseStatus(raw)
	if err != nil {
		return fedimarks.Status{}, errorf(method, r.path(), err)
	}
	return st, nil
}
