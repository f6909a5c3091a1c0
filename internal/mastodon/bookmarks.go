package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// bookmarksPath is the first page of bookmarks, at the largest page size
// Mastodon allows.
const bookmarksPath = "/api/v1/bookmarks?limit=40"

// maxEmptyPages is how many empty pages in a row end a walk (GoToSocial
// links a next page even from an empty one).
const maxEmptyPages = 5

// Page is one page of bookmarks.
type Page struct {
	// Statuses are the page's posts, newest bookmark first, each with its
	// JSON kept byte for byte in Raw.
	Statuses []fedimarks.Status
	// Skipped are the page's elements that could not be decoded as a
	// status (no id, no uri, bad JSON); the rest of the page is kept.
	Skipped []fedimarks.Skipped
	// URL is the URL fetched.
	URL string
	// Next is the URL of the next page, "" at the end.
	Next string
	// NextRefused, when not nil, says why the server's link to the next
	// page is not followed (not a URL, or on another server, where the
	// token must not go): there is more, which this client will not fetch
	// from there. Next is then "". It is a *fedimarks.RemoteError of
	// KindRedirected.
	NextRefused error
}

// Len returns the number of elements the server sent, skipped ones
// included; 0 means an empty page.
func (p Page) Len() int { return len(p.Statuses) + len(p.Skipped) }

// BookmarksPage fetches one page of the account's bookmarks. pageURL ""
// means the first page; any other value is fetched exactly as given and
// must be on the server's scheme and host (the token goes nowhere else).
//
// Next is the Link header's rel="next" target as given. A response without
// any Link header (snac) that is not empty gets Next = the first page with
// max_id=<id of its last status>; a Link header without next means the end.
func (c *Client) BookmarksPage(ctx context.Context, pageURL string) (Page, error) {
	first := c.apiURL(bookmarksPath)
	if pageURL == "" {
		pageURL = first
	}
	u, err := c.pageURL(pageURL)
	if err != nil {
		return Page{}, fmt.Errorf("bookmarks page: %w", err)
	}
	var elems []json.RawMessage
	resp, err := c.getJSON(ctx, &call{method: http.MethodGet, url: pageURL, kind: kindAPI, idempotent: true}, &elems)
	if err != nil {
		return Page{}, err
	}
	p := Page{URL: pageURL}
	for _, raw := range elems {
		st, err := fedimarks.ParseStatus(raw)
		if err != nil {
			p.Skipped = append(p.Skipped, fedimarks.Skipped{Raw: raw, Err: err})
			continue
		}
		p.Statuses = append(p.Statuses, st)
	}
	links := resp.Header.Values("Link")
	if hasLink(links) {
		if next := parseLink(links)["next"]; next != "" {
			p.Next = resolveRef(u, next)
			if _, err := c.pageURL(p.Next); err != nil {
				p.Next = ""
				p.NextRefused = &fedimarks.RemoteError{Kind: fedimarks.KindRedirected,
					Err: fmt.Errorf("GET %s: the server's link to the next page is refused (%w)", u.EscapedPath(), err)}
			}
		}
	} else if len(elems) > 0 {
		if id := lastID(elems); id != "" {
			p.Next = first + "&max_id=" + url.QueryEscape(id)
		}
	}
	return p, nil
}

// pageURL parses s, a page of the server's to fetch with the token: it
// must be an absolute URL on the server's scheme and host.
func (c *Client) pageURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("%q is not an absolute URL", redactQuery(s))
	}
	if !sameOrigin(u, c.server) {
		return nil, fmt.Errorf("%s is not on %s", originOf(u), c.server)
	}
	return u, nil
}

func hasLink(values []string) bool {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// resolveRef resolves a Link target against the page it came from; an
// absolute target is returned unchanged.
func resolveRef(base *url.URL, ref string) string {
	r, err := url.Parse(ref)
	if err != nil || r.IsAbs() {
		return ref
	}
	return base.ResolveReference(r).String()
}

// lastID is the id of the last element that has one.
func lastID(elems []json.RawMessage) string {
	for i := len(elems) - 1; i >= 0; i-- {
		var v struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(elems[i], &v) == nil {
			if id := fedimarks.IDString(v.ID); id != "" {
				return id
			}
		}
	}
	return ""
}

// WalkBookmarks calls fn with every page of bookmarks, from the first,
// following Next. It ends, returning nil, when Next is "", when fn returns
// Stop, when a Next repeats a URL already fetched, or after 5 empty pages in
// a row. Any other error of fn or of a fetch is returned as is, and so is
// a page's NextRefused (after fn has had the page): the walk is incomplete.
func (c *Client) WalkBookmarks(ctx context.Context, fn func(Page) error) error {
	seen := map[string]bool{}
	next, empty := "", 0
	for {
		p, err := c.BookmarksPage(ctx, next)
		if err != nil {
			return err
		}
		seen[p.URL] = true
		if err := fn(p); err != nil {
			if errors.Is(err, Stop) {
				return nil
			}
			return err
		}
		if p.NextRefused != nil {
			return p.NextRefused
		}
		if p.Len() == 0 {
			empty++
		} else {
			empty = 0
		}
		if p.Next == "" || seen[p.Next] || empty >= maxEmptyPages {
			return nil
		}
		next = p.Next
	}
}

// originOf is scheme://host of u, for messages.
func originOf(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// redactQuery drops the query of a URL-like string for messages.
func redactQuery(s string) string {
	s, _, _ = strings.Cut(s, "?")
	return s
}
