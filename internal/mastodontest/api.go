package mastodontest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// token is an access token. Guarded by n.mu.
type token struct {
	value     string
	account   *Account // nil: app-only (client credentials)
	app       *app     // nil: made by Account.Token
	scopes    []string
	createdAt time.Time
}

// auth is what a request's Authorization header says.
type auth struct {
	present bool   // a Bearer token was sent
	tok     *token // nil if none was sent or it is unknown or revoked
}

func (a auth) user() *Account {
	if a.tok == nil {
		return nil
	}
	return a.tok.account
}

func (i *Instance) bearer(r *http.Request) auth {
	scheme, v, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return auth{}
	}
	return auth{present: true, tok: i.tokens[strings.TrimSpace(v)]}
}

// hasScope reports whether granted covers one of need.
func hasScope(granted, need []string) bool {
	for _, g := range granted {
		if slices.Contains(need, g) {
			return true
		}
	}
	return false
}

// require checks the token of an endpoint that needs one (Doorkeeper's
// doorkeeper_authorize! then Mastodon's require_user!).
func (i *Instance) require(a auth, user bool, scopes ...string) (reply, bool) {
	if a.tok == nil {
		return errReply(http.StatusUnauthorized, "The access token is invalid"), false
	}
	if !hasScope(a.tok.scopes, scopes) {
		return errReply(http.StatusForbidden, "This action is outside the authorized scopes"), false
	}
	if user && a.tok.account == nil {
		return errReply(http.StatusUnprocessableEntity, "This method requires an authenticated user"), false
	}
	return reply{}, true
}

// allowIfToken checks a token only if one was sent (authorize_if_got_token!).
func (i *Instance) allowIfToken(a auth, scopes ...string) (reply, bool) {
	if !a.present {
		return reply{}, true
	}
	return i.require(a, false, scopes...)
}

// notFound is the family's 404 for a status (what = "status") or a route
// (what = "").
func (i *Instance) notFound(what string) reply {
	if i.opts.Quirk == GoToSocial {
		if what == "" {
			return errReply(http.StatusNotFound, "Not Found")
		}
		return errReply(http.StatusNotFound, "Not Found: target "+what+" not found")
	}
	return errReply(http.StatusNotFound, "Record not found")
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// windowStart is the start of the fixed window of length d, aligned to the
// Unix epoch, that holds t.
func windowStart(t time.Time, d time.Duration) time.Time {
	ns := t.UnixNano()
	return time.Unix(0, ns-ns%int64(d)).UTC()
}

// api answers everything under /api/: rate limit, then the endpoint.
func (i *Instance) api(r *http.Request) reply {
	a := i.bearer(r)
	key := "ip " + clientIP(r)
	if a.tok != nil {
		key = "token " + a.tok.value
	}
	now := i.n.now()
	limit, remaining, reset, ok := i.spend(key, now)
	var rp reply
	if !ok {
		msg := "Too many requests"
		if i.opts.Quirk == GoToSocial {
			msg = "rate limit reached"
		}
		rp = errReply(http.StatusTooManyRequests, msg)
	} else {
		rp = i.endpoint(r, a)
	}
	if rp.header.Get("X-RateLimit-Limit") == "" && i.reportsRateLimit() {
		i.rateHeadersAt(&rp, limit, remaining, reset, now)
	}
	return rp
}

func (i *Instance) endpoint(r *http.Request, a auth) reply {
	p, m := r.URL.Path, r.Method
	get := m == http.MethodGet || m == http.MethodHead
	switch {
	case p == "/api/v1/instance" && get:
		return jsonReply(http.StatusOK, i.instanceV1())
	case p == "/api/v2/instance" && get:
		if i.opts.Quirk == Snac || i.opts.Quirk == Pixelfed {
			return i.notFound("")
		}
		return jsonReply(http.StatusOK, i.instanceV2())
	case p == "/api/v1/accounts/verify_credentials" && get:
		if rp, ok := i.require(a, true, "profile", "read:accounts", "read"); !ok {
			return rp
		}
		acct := a.tok.account
		j := i.renderAccount(acct)
		j.Source = &sourceJ{Privacy: "public", Language: "en", Note: "A test account.", Fields: []any{}}
		return jsonReply(http.StatusOK, j)
	case p == "/api/v1/bookmarks" && get:
		return i.listBookmarks(r, a)
	case strings.HasPrefix(p, "/api/v1/pleroma/bookmark_folders") && i.opts.Quirk == Pleroma:
		return i.folderEndpoint(r, a)
	case p == "/api/v2/search" && get:
		return i.search(r, a)
	case p == "/api/v1/apps" && m == http.MethodPost:
		return i.registerApp(r)
	case strings.HasPrefix(p, "/api/v1/statuses/"):
		id, action, _ := strings.Cut(strings.TrimPrefix(p, "/api/v1/statuses/"), "/")
		switch {
		case action == "" && get:
			return i.showStatus(id, a)
		case action == "context" && get:
			return i.statusContext(id, a)
		case action == "bookmark" && m == http.MethodPost && i.opts.Quirk == Pleroma:
			return i.bookmarkInFolder(id, a, r)
		case (action == "bookmark" || action == "unbookmark") && m == http.MethodPost:
			return i.setBookmark(id, a, action == "bookmark")
		}
	}
	return i.notFound("")
}

func (i *Instance) showStatus(id string, a auth) reply {
	if rp, ok := i.allowIfToken(a, "read:statuses", "read"); !ok {
		return rp
	}
	p := i.byID[id]
	if p == nil || !visible(p, a.user()) {
		return i.notFound("status")
	}
	return jsonReply(http.StatusOK, i.renderStatus(p, a.user()))
}

func (i *Instance) setBookmark(id string, a auth, on bool) reply {
	if rp, ok := i.require(a, true, "write:bookmarks", "write"); !ok {
		return rp
	}
	viewer := a.tok.account
	p := i.byID[id]
	if p == nil || !visible(p, viewer) {
		return i.notFound("status")
	}
	if p.reblog != nil {
		p = p.reblog
	}
	if on {
		if !viewer.bookmark(p) && i.opts.Quirk == Snac {
			return errReply(http.StatusUnprocessableEntity, "already bookmarked")
		}
		if i.bookmarkRace() {
			return i.notFound("status")
		}
	} else {
		viewer.unbookmark(p)
	}
	return jsonReply(http.StatusOK, i.renderStatus(p, viewer))
}

// parseLimit reads a limit parameter: def when absent or not positive,
// capped at max when max > 0.
func parseLimit(s string, def, max int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return def
	}
	if max > 0 && n > max {
		return max
	}
	return n
}

func parseSeq(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// pixelfedCursor is what Laravel's cursor paginator base64-encodes.
type pixelfedCursor struct {
	ID   int64 `json:"bookmarks.id"`
	Next bool  `json:"_pointsToNextItems"`
}

func encodeCursor(c pixelfedCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (pixelfedCursor, bool) {
	var c pixelfedCursor
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID <= 0 {
		return c, false
	}
	return c, true
}

// byIDCursors selects Mastodon-style: max_id, since_id and min_id are
// bookmark ids; items are newest first.
func byIDCursors(items []*bookmark, q url.Values, limit int) []*bookmark {
	maxID, sinceID, minID := parseSeq(q.Get("max_id")), parseSeq(q.Get("since_id")), parseSeq(q.Get("min_id"))
	var sel []*bookmark
	for _, b := range items {
		if (maxID == 0 || b.seq < maxID) && (sinceID == 0 || b.seq > sinceID) && (minID == 0 || b.seq > minID) {
			sel = append(sel, b)
		}
	}
	if len(sel) <= limit {
		return sel
	}
	if minID > 0 {
		return sel[len(sel)-limit:] // the ones just after min_id
	}
	return sel[:limit]
}

func link(u, rel string) string { return "<" + u + `>; rel="` + rel + `"` }

// listBookmarks is GET /api/v1/bookmarks with each family's paging.
func (i *Instance) listBookmarks(r *http.Request, a auth) reply {
	if rp, ok := i.listingRedirect(r); ok {
		return rp
	}
	if rp, ok := i.require(a, true, "read:bookmarks", "read"); !ok {
		return rp
	}
	acct := a.tok.account
	q := r.URL.Query()
	if i.opts.Quirk == Pleroma {
		return i.listPleroma(q, acct)
	}
	var all, shown []*bookmark // newest first
	fast := i.opts.Quirk != GoToSocial && i.opts.Quirk != Pixelfed && i.opts.Quirk != Snac && belowOnly(q)
	if !fast {
		all, shown = i.listed(acct)
	}
	base := i.URL() + "/api/v1/bookmarks?limit="
	var page []*bookmark
	var links []string
	switch i.opts.Quirk {
	case GoToSocial:
		limit := parseLimit(q.Get("limit"), 30, 0)
		under := byIDCursors(all, q, limit)
		for _, b := range under {
			if !i.hidden(acct, b) {
				page = append(page, b)
			}
		}
		if len(under) > 0 {
			l := strconv.Itoa(limit)
			links = append(links, link(base+l+"&max_id="+strconv.FormatInt(under[len(under)-1].seq, 10), "next"),
				link(base+l+"&min_id="+strconv.FormatInt(under[0].seq, 10), "prev"))
		}
	case Pixelfed:
		limit := parseLimit(q.Get("limit"), 20, 40)
		l := strconv.Itoa(limit)
		c, hasCursor := decodeCursor(q.Get("cursor"))
		sel := shown
		if hasCursor {
			sel = nil
			for _, b := range shown {
				if (c.Next && b.seq < c.ID) || (!c.Next && b.seq > c.ID) {
					sel = append(sel, b)
				}
			}
		}
		more := len(sel) > limit
		if hasCursor && !c.Next {
			page = sel[len(sel)-min(limit, len(sel)):]
		} else {
			page = sel[:min(limit, len(sel))]
		}
		if len(page) > 0 {
			next := more
			prev := hasCursor
			if hasCursor && !c.Next {
				next, prev = true, more
			}
			if next {
				links = append(links, link(base+l+"&cursor="+encodeCursor(pixelfedCursor{ID: page[len(page)-1].seq, Next: true}), "next"))
			}
			if prev {
				links = append(links, link(base+l+"&cursor="+encodeCursor(pixelfedCursor{ID: page[0].seq, Next: false}), "prev"))
			}
		}
	case Snac:
		limit := parseLimit(q.Get("limit"), 20, 0)
		sel := shown
		if maxID := q.Get("max_id"); maxID != "" {
			sel = nil
			for k, b := range shown {
				if i.copies[b.p].id == maxID {
					sel = shown[k+1:]
					break
				}
			}
		}
		page = sel[:min(limit, len(sel))]
	default:
		limit := parseLimit(q.Get("limit"), 20, 40)
		if fast {
			page = i.newestBelow(acct, parseSeq(q.Get("max_id")), limit)
		} else {
			page = byIDCursors(shown, q, limit)
		}
		l := strconv.Itoa(limit)
		if len(page) == limit {
			links = append(links, link(base+l+"&max_id="+strconv.FormatInt(page[len(page)-1].seq, 10), "next"))
		}
		if len(page) > 0 {
			links = append(links, link(base+l+"&min_id="+strconv.FormatInt(page[0].seq, 10), "prev"))
		}
	}
	out := make([]statusJSON, 0, len(page))
	for _, b := range page {
		out = append(out, i.renderStatus(b.p, acct))
	}
	rp := jsonReply(http.StatusOK, out)
	if len(links) > 0 {
		rp.set("Link", i.listingLink(links))
	}
	return rp
}

type searchJSON struct {
	Accounts []any        `json:"accounts"`
	Statuses []statusJSON `json:"statuses"`
	Hashtags []any        `json:"hashtags"`
}

// search is GET /api/v2/search for posts by URI or URL. It runs with n.mu
// held and releases it while it fetches from another instance.
func (i *Instance) search(r *http.Request, a auth) reply {
	if rp, ok := i.allowIfToken(a, "read:search", "read"); !ok {
		return rp
	}
	n := i.n
	q := r.URL.Query()
	text := strings.TrimSpace(q.Get("q"))
	if text == "" {
		return errReply(http.StatusBadRequest, "Search query missing")
	}
	res := searchJSON{Accounts: []any{}, Statuses: []statusJSON{}, Hashtags: []any{}}
	empty := jsonReply(http.StatusOK, res)
	if typ := q.Get("type"); typ != "" && typ != "statuses" {
		return empty
	}
	viewer := a.user()
	found := func(p *post) reply {
		res.Statuses = append(res.Statuses, i.renderStatus(p, viewer))
		return jsonReply(http.StatusOK, res)
	}
	if p := n.lookup(text); p != nil && i.copies[p] != nil {
		if !visible(p, viewer) {
			return empty
		}
		return found(p)
	}
	resolve := viewer != nil && (q.Get("resolve") == "true" || q.Get("resolve") == "1")
	u, err := url.Parse(text)
	if !resolve || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return empty
	}
	origin := n.byHost[strings.ToLower(u.Host)]
	if origin == nil || origin == i {
		return empty
	}
	unavailable := func() reply {
		if i.opts.Quirk == Mastodon {
			return errReply(http.StatusServiceUnavailable, "Remote data could not be fetched")
		}
		return empty
	}
	lost, done := i.searchRace(r.Context())
	if lost {
		return empty
	}
	ctx, cancel := i.fetchContext(r)
	n.mu.Unlock()
	id, typ, status, err := n.fetchObject(ctx, i, text)
	cancel()
	n.mu.Lock()
	done()
	switch {
	case err != nil:
		return unavailable()
	case status == http.StatusNotFound || status == http.StatusGone:
		return empty
	case status != http.StatusOK:
		return unavailable()
	case typ != "Note":
		return empty
	}
	p := n.byURI[id]
	if p == nil || p.origin != origin || !visible(p, viewer) {
		return empty
	}
	i.federate(p)
	return found(p)
}

// fetchObject GETs an ActivityPub object as instance from would, and
// returns its id and type. A non-200 answer is a status, not an error.
func (n *Network) fetchObject(ctx context.Context, from *Instance, u string) (id, typ string, status int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", "", 0, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	req.Header.Set("User-Agent", "mastodontest/"+from.opts.Quirk.String()+" (+"+from.URL()+"/)")
	sign(req, from)
	resp, err := n.client.Do(req)
	if err != nil {
		return "", "", 0, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return "", "", resp.StatusCode, nil
	}
	var obj struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&obj); err != nil {
		return "", "", 0, fmt.Errorf("fetch %s: %w", u, err)
	}
	return obj.ID, obj.Type, resp.StatusCode, nil
}
