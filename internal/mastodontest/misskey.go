package mastodontest

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A Misskey instance (Quirk Misskey) speaks Misskey's own API, as
// misskey-dev/misskey's packages/backend/src/server/api does:
//
//   - every endpoint is POST /api/<name> with a JSON body (a few also GET
//     with the query: meta); an endpoint that takes no GET answers 405;
//   - the token is the body's "i", or an "Authorization: Bearer" header
//     (which wins); an unknown token answers 401 AUTHENTICATION_FAILED
//     whatever the endpoint;
//   - errors are {"error":{"message","code","id","kind"[,"info"]}}: 401
//     CREDENTIAL_REQUIRED, 403 PERMISSION_DENIED (the token lacks the
//     endpoint's permission, e.g. read:favorites), 400 for the endpoint's
//     own errors (NO_SUCH_NOTE, ALREADY_FAVORITED, INVALID_PARAM, ...), 429
//     RATE_LIMIT_EXCEEDED with info.resetMs and no header (Sharkey: its
//     X-RateLimit-* headers and Retry-After, misskey_sharkey.go), 404
//     UNKNOWN_API_ENDPOINT;
//   - rate limits are per endpoint and per user (per IP without one), in a
//     window that starts with its first request (ratelimiter's): ap/show
//     allows 30 an hour; see SetEndpointLimit (Sharkey: a leaky bucket per
//     endpoint, every endpoint limited);
//   - ids are aidx (time-sortable base 36); a local note's ActivityPub id
//     is http://HOST/notes/ID and its packed JSON has no uri or url (only
//     remote notes carry them); users are http://HOST/users/ID;
//   - favorites (i/favorites) are listed newest first, paged by untilId
//     (favorite ids, not note ids); sinceId alone lists oldest first; a
//     favorite of a deleted note is gone (the database cascades); one of a
//     note the user may no longer see is listed with isHidden and no text
//     or files; favoriting a renote favorites the renote itself;
//   - notes are MFM text (text, cw), not HTML; Mastodon posts arrive as
//     their text;
//   - sign-in is MiAuth (misskey_auth.go).
//
// Endpoints are entries of misskeyEndpoints; other files add theirs with
// registerMisskey.

// misskeyState is what a Misskey instance keeps besides the shared model.
// Guarded by n.mu.
type misskeyState struct {
	sessions     map[string]*miauthSession // MiAuth sessions by id
	denied       bool                      // the signed-in user denies MiAuth requests
	lastPerms    []string                  // of the last MiAuth session
	limits       map[string]misskeyLimit   // per-endpoint overrides (SetEndpointLimit)
	windows      map[string]*misskeyWindow // by endpoint and actor
	buckets      map[string]*sharkeyBucket // Sharkey's, by endpoint and actor
	taken        map[string][]time.Time    // when Sharkey's buckets took a call, by endpoint
	wholeSeconds bool                      // Sharkey's older headers
	failing      map[string]int            // calls left to answer INTERNAL_ERROR, by endpoint (FailEndpoint)
}

// misskeyEndpoint is one endpoint's meta, as its definition file declares.
type misskeyEndpoint struct {
	name       string
	credential bool   // requireCredential
	kind       string // the permission a token needs ("" none)
	allowGet   bool
	limit      misskeyLimit // zero: none
	handle     func(i *Instance, c *misskeyCall) reply
}

// misskeyEndpoints are the endpoints a Misskey instance answers, by name.
var misskeyEndpoints = map[string]*misskeyEndpoint{}

// registerMisskey adds endpoints; call it from init.
func registerMisskey(eps ...*misskeyEndpoint) {
	for _, ep := range eps {
		misskeyEndpoints[ep.name] = ep
	}
}

// misskeyCall is one API call: its parameters and who makes it.
type misskeyCall struct {
	r      *http.Request
	params map[string]any
	user   *Account // nil: anonymous
	tok    *token
}

// str returns a string parameter ("" and false when absent or not a string).
func (c *misskeyCall) str(k string) (string, bool) {
	s, ok := c.params[k].(string)
	return s, ok
}

// misskeyError is an ApiError as Misskey serializes it.
type misskeyError struct {
	status            int
	code, message, id string
	kind              string // "client" (default), "permission" or "server"
}

// Misskey's errors, with their real codes and ids.
var (
	mkAuthFailed      = misskeyError{http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Authentication failed. Please ensure your token is correct.", "b0a7f5f8-dc2f-4171-b91f-de88ad238e14", ""}
	mkCredential      = misskeyError{http.StatusUnauthorized, "CREDENTIAL_REQUIRED", "Credential required.", "1384574d-a912-4b81-8601-c7b1c4085df1", ""}
	mkPermission      = misskeyError{http.StatusForbidden, "PERMISSION_DENIED", "Your app does not have the necessary permissions to use this endpoint.", "1370e5b7-d4eb-4566-bb1d-7748ee6a1838", "permission"}
	mkRateLimited     = misskeyError{http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded. Please try again later.", "d5826d14-3982-4d2e-8011-b9e9f02499ef", ""}
	mkUnknownEndpoint = misskeyError{http.StatusNotFound, "UNKNOWN_API_ENDPOINT", "Unknown API endpoint.", "2ca3b769-540a-4f08-9dd5-b5a825b6d0f1", ""}
	mkInvalidParam    = misskeyError{http.StatusBadRequest, "INVALID_PARAM", "Invalid param.", "3d81ceae-475f-4600-b2a8-2bc116157532", ""}
	mkNoSuchNote      = misskeyError{http.StatusBadRequest, "NO_SUCH_NOTE", "No such note.", "24fcbfc6-2e37-42b6-8388-c29b3861a08d", ""}
)

// reply renders the error, with info when not nil.
func (e misskeyError) reply(info any) reply {
	kind := e.kind
	if kind == "" {
		kind = "client"
	}
	body := map[string]any{"message": e.message, "code": e.code, "id": e.id, "kind": kind}
	if info != nil {
		body["info"] = info
	}
	rp := jsonReply(e.status, map[string]any{"error": body})
	switch {
	case e.code == mkAuthFailed.code:
		rp.set("WWW-Authenticate", `Bearer realm="Misskey", error="invalid_token", error_description="`+e.message+`"`)
	case e.status == http.StatusUnauthorized:
		rp.set("WWW-Authenticate", `Bearer realm="Misskey"`)
	case e.code == mkPermission.code:
		rp.set("WWW-Authenticate", `Bearer realm="Misskey", error="insufficient_scope", error_description="`+e.message+`"`)
	case kind == "client" && e.status != http.StatusTooManyRequests && e.status != http.StatusNotFound:
		rp.set("WWW-Authenticate", `Bearer realm="Misskey", error="invalid_request", error_description="`+e.message+`"`)
	}
	return rp
}

// invalidParam is INVALID_PARAM naming the parameter.
func invalidParam(param, reason string) reply {
	return mkInvalidParam.reply(map[string]any{"param": param, "reason": reason})
}

// misskeyRoute answers every request of a Misskey instance.
func (i *Instance) misskeyRoute(r *http.Request) reply {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/api/miauth/") && strings.HasSuffix(p, "/check"):
		return i.miauthCheck(r)
	case strings.HasPrefix(p, "/api/"):
		return i.misskeyAPI(r)
	case strings.HasPrefix(p, "/miauth/"):
		return i.miauthPage(r)
	case strings.HasPrefix(p, "/files/"), strings.HasPrefix(p, "/system/"):
		return i.serveFile(r)
	}
	return i.servePage(r)
}

// misskeyAPI is ApiCallService: token, limit, credential, permission, then
// the endpoint.
func (i *Instance) misskeyAPI(r *http.Request) reply {
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	ep := misskeyEndpoints[name]
	if ep == nil {
		return mkUnknownEndpoint.reply(nil)
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if get && !ep.allowGet || !get && r.Method != http.MethodPost {
		return reply{status: http.StatusMethodNotAllowed}
	}
	params, ok := misskeyParams(r, get)
	if !ok {
		return reply{status: http.StatusBadRequest}
	}
	var tokText any = params["i"]
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		tokText = h[len("Bearer "):]
	}
	c := &misskeyCall{r: r, params: params}
	switch t := tokText.(type) {
	case nil:
	case string:
		c.tok = i.tokens[t]
		if c.tok == nil || c.tok.account == nil {
			return mkAuthFailed.reply(nil)
		}
		c.user = c.tok.account
	default:
		return reply{status: http.StatusBadRequest} // a non-string "i"
	}
	actor := "ip " + clientIP(r)
	if c.user != nil {
		actor = "user " + c.user.id
	}
	rp, ok, headers := i.misskeySpend(ep, actor)
	if ok {
		rp = i.misskeyAnswer(ep, c)
	}
	for k, v := range headers {
		rp.set(k, v)
	}
	return rp
}

// misskeyAnswer is the endpoint's answer to a call that its rate limit
// let through.
func (i *Instance) misskeyAnswer(ep *misskeyEndpoint, c *misskeyCall) reply {
	name := ep.name
	if i.mk.failing[name] > 0 {
		i.mk.failing[name]--
		return mkInternalError.reply(nil)
	}
	if ep.credential && c.user == nil {
		return mkCredential.reply(nil)
	}
	if c.tok != nil && (ep.kind != "" && !hasScope(c.tok.scopes, []string{ep.kind}) || ep.kind == "" && ep.credential) {
		return mkPermission.reply(nil)
	}
	rp := ep.handle(i, c)
	if rp.status == 0 {
		return reply{status: http.StatusNoContent}
	}
	return rp
}

// misskeyParams reads a call's parameters: the JSON body of a POST (no body
// is no parameters), the query of a GET.
func misskeyParams(r *http.Request, get bool) (map[string]any, bool) {
	m := map[string]any{}
	if get {
		for k, vs := range r.URL.Query() {
			m[k] = vs[0]
		}
		return m, true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return m, true
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if dec.Decode(&m) != nil {
		return nil, false
	}
	return m, true
}

// intParam reads an integer parameter: def when absent, false when it is
// not an integer in [lo, hi].
func (c *misskeyCall) intParam(k string, def, lo, hi int) (int, bool) {
	v, present := c.params[k]
	if !present || v == nil {
		return def, true
	}
	var n int64
	var err error
	switch v := v.(type) {
	case json.Number:
		n, err = v.Int64()
	case string: // a GET's query
		n, err = strconv.ParseInt(v, 10, 64)
	default:
		return 0, false
	}
	if err != nil || n < int64(lo) || n > int64(hi) {
		return 0, false
	}
	return int(n), true
}

// idParam reads an optional misskey:id parameter.
func (c *misskeyCall) idParam(k string) (string, bool) {
	v, present := c.params[k]
	if !present || v == nil {
		return "", true
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", false
		}
	}
	return s, true
}

// aidBase is the epoch of Misskey's aid and aidx ids.
var aidBase = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// aidx returns a Misskey aidx id: 8 base-36 digits of milliseconds since
// 2000, then 8 that are a random node key and a counter on Misskey and here
// come from seq, so that ids sort by time and stay reproducible.
func aidx(t time.Time, seq int64) string {
	ms := max(t.Sub(aidBase).Milliseconds(), 0)
	return pad36(ms, 8) + pad36(seq%2821109907456, 8) // 36^8
}

func pad36(n int64, width int) string {
	s := strconv.FormatInt(n, 36)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// favoriteBase is when the favorites made in tests are made: the k-th of an
// instance one second after it.
var favoriteBase = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// favoriteID is a favorite's id; its creation time is favoriteTime.
func favoriteID(b *bookmark) string { return aidx(favoriteTime(b), b.seq) }

func favoriteTime(b *bookmark) time.Time {
	return favoriteBase.Add(time.Duration(b.seq) * time.Second)
}

// Favorite favorites s for a (a user of a Misskey instance) as test setup,
// making a local copy on a's instance if s is remote. Unlike a bookmark, a
// favorite of a renote is of the renote itself. The new favorite is the
// newest; favoriting again changes nothing.
func (a *Account) Favorite(s *Status) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.favorite(s.p)
}

func (a *Account) favorite(p *post) (added bool) {
	a.inst.federate(p)
	if a.marked[p] != nil {
		return false
	}
	a.inst.bookmarkSeq++
	b := &bookmark{seq: a.inst.bookmarkSeq, p: p}
	a.bookmarks = append(a.bookmarks, b)
	a.marked[p] = b
	return true
}

// Unfavorite removes a's favorite of s, if any.
func (a *Account) Unfavorite(s *Status) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.unfavorite(s.p)
}

func (a *Account) unfavorite(p *post) bool {
	if a.marked[p] == nil {
		return false
	}
	delete(a.marked, p)
	for k, b := range a.bookmarks {
		if b.p == p {
			a.bookmarks = append(a.bookmarks[:k:k], a.bookmarks[k+1:]...)
			break
		}
	}
	return true
}

// FavoriteURIs returns the ActivityPub ids of a's favorites, newest first,
// as paging through i/favorites to the end lists them (favorites of deleted
// notes are gone; hidden ones are listed, so they are here too).
func (a *Account) FavoriteURIs() []string {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	var out []string
	for k := len(a.bookmarks) - 1; k >= 0; k-- {
		if p := a.bookmarks[k].p; !p.deleted {
			out = append(out, p.uri)
		}
	}
	return out
}

// NoteID returns the id of s on i (a Misskey instance), as ap/show would
// give it, making i's copy if it has none.
func (i *Instance) NoteID(s *Status) string { return i.Federate(s) }
