package mastodontest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// oob is the redirect URI that shows the code instead of redirecting.
const oob = "urn:ietf:wg:oauth:2.0:oob"

// basicScopes are the scopes every server knows.
var basicScopes = []string{"read", "write", "follow", "push"}

// granularScopes are Mastodon 4.3's scopes besides the basic ones.
var granularScopes = []string{
	"profile",
	"read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters", "read:follows",
	"read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
	"write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
	"write:filters", "write:follows", "write:lists", "write:media", "write:mutes",
	"write:notifications", "write:reports", "write:statuses",
}

// app is a registered OAuth client. Guarded by n.mu.
type app struct {
	id, name, website string
	clientID, secret  string
	redirectURIs      []string
	scopes            []string
	user              *Account // who last signed in through it (snac's "uid")
}

// grant is an authorization code.
type grant struct {
	app       *app
	account   *Account
	scopes    []string
	redirect  string
	challenge string // S256 code_challenge, "" if none
	expires   time.Time
}

// AppRegistrations counts the apps registered with POST /api/v1/apps.
func (i *Instance) AppRegistrations() int {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return i.appRegs
}

// SetAuthorizingUser sets the account that is signed in to the instance's
// web interface and approves every /oauth/authorize request. With none
// set, /oauth/authorize answers 403.
func (i *Instance) SetAuthorizingUser(a *Account) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.authorizing = a
}

// TokenValid reports whether tok is a live access token of the instance
// (issued and not revoked).
func (i *Instance) TokenValid(tok string) bool {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return i.tokens[tok] != nil
}

// RevokeToken ends tok as the user would by removing the app in the web
// interface: the API then answers 401 to it. Unknown tokens are ignored.
func (i *Instance) RevokeToken(tok string) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	delete(i.tokens, tok)
}

// Token issues a new user access token for a (default scopes "read write
// follow"; on a Misskey instance the permissions read:account,
// read:favorites and write:favorites), as if a had authorized an app. It
// is random and unguessable.
func (a *Account) Token(scopes ...string) string {
	if len(scopes) == 0 {
		scopes = []string{"read", "write", "follow"}
		if a.inst.opts.Quirk == Misskey {
			scopes = misskeyPermissions // read:account read:favorites write:favorites
		}
	}
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	return a.inst.issue(a, nil, scopes).value
}

// AppToken issues a client-credentials (app-only) token with scopes "read
// write follow": endpoints that need a user answer 422 "This method
// requires an authenticated user", and search does not resolve.
func (a *Account) AppToken() string {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	return a.inst.issue(nil, nil, []string{"read", "write", "follow"}).value
}

func (i *Instance) issue(acct *Account, ap *app, scopes []string) *token {
	t := &token{value: secret(), account: acct, app: ap, scopes: slices.Clone(scopes), createdAt: i.n.now()}
	i.tokens[t.value] = t
	return t
}

// validScope reports whether the instance knows scope s.
func (i *Instance) validScope(s string) bool {
	if slices.Contains(basicScopes, s) {
		return true
	}
	return !i.opts.NoGranularScopes && slices.Contains(granularScopes, s)
}

// params reads a form or JSON body (and the query string) into values.
// JSON arrays become space-joined strings.
func params(r *http.Request) url.Values {
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		v[k] = vs
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]any
		if json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m) == nil {
			for k, x := range m {
				switch x := x.(type) {
				case string:
					v.Set(k, x)
				case []any:
					var parts []string
					for _, e := range x {
						if s, ok := e.(string); ok {
							parts = append(parts, s)
						}
					}
					v.Set(k, strings.Join(parts, " "))
				case float64:
					v.Set(k, strconv.FormatFloat(x, 'f', -1, 64))
				}
			}
		}
		return v
	}
	if err := r.ParseForm(); err == nil {
		for k, vs := range r.PostForm {
			v[k] = vs
		}
	}
	return v
}

// registerApp is POST /api/v1/apps, throttled to 5 per 10 minutes per IP.
func (i *Instance) registerApp(r *http.Request) reply {
	const limit, window = 5, 10 * time.Minute
	now := i.n.now()
	start := windowStart(now, window)
	key := clientIP(r)
	rc := i.appWindows[key]
	if rc.start != start.UnixNano() {
		rc = rateCount{start: start.UnixNano()}
	}
	if rc.used >= limit {
		rp := errReply(http.StatusTooManyRequests, "Too many requests")
		i.rateHeaders(&rp, limit, 0, start.Add(window))
		return rp
	}
	rc.used++
	i.appWindows[key] = rc
	v := params(r)
	name := strings.TrimSpace(v.Get("client_name"))
	if name == "" {
		return errReply(http.StatusUnprocessableEntity, "Validation failed: Application name can't be blank")
	}
	redirects := strings.Fields(v.Get("redirect_uris"))
	if len(redirects) == 0 {
		return errReply(http.StatusUnprocessableEntity, "Validation failed: Redirect URI can't be blank")
	}
	for _, u := range redirects {
		if p, err := url.Parse(u); u != oob && (err != nil || p.Scheme == "" || p.Fragment != "") {
			return errReply(http.StatusUnprocessableEntity, "Validation failed: Redirect URI must be an absolute URI.")
		}
	}
	scopes := strings.Fields(v.Get("scopes"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	for _, s := range scopes {
		if !i.validScope(s) {
			return errReply(http.StatusUnprocessableEntity, "Validation failed: Scopes are invalid")
		}
	}
	i.seq++
	ap := &app{
		id: strconv.FormatInt(i.seq, 10), name: name, website: v.Get("website"),
		clientID: secret(), secret: secret(), redirectURIs: redirects, scopes: scopes,
	}
	i.apps[ap.clientID] = ap
	i.appRegs++
	var website *string
	if ap.website != "" {
		website = &ap.website
	}
	return jsonReply(http.StatusOK, map[string]any{
		"id": ap.id, "name": ap.name, "website": website, "scopes": ap.scopes,
		"redirect_uri": strings.Join(ap.redirectURIs, "\n"), "redirect_uris": ap.redirectURIs,
		"client_id": ap.clientID, "client_secret": ap.secret, "client_secret_expires_at": 0,
		"vapid_key": "BFakeVapidKeyForTests=",
	})
}

// authMetadata is GET /.well-known/oauth-authorization-server (RFC 8414).
func (i *Instance) authMetadata(r *http.Request) reply {
	if i.opts.NoAuthMetadata || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return errReply(http.StatusNotFound, "Not Found")
	}
	scopes := slices.Clone(basicScopes)
	if !i.opts.NoGranularScopes {
		scopes = append(scopes, granularScopes...)
	}
	m := map[string]any{
		"issuer":                                i.URL() + "/",
		"service_documentation":                 "https://docs.joinmastodon.org/",
		"authorization_endpoint":                i.URL() + "/oauth/authorize",
		"token_endpoint":                        i.URL() + "/oauth/token",
		"revocation_endpoint":                   i.URL() + "/oauth/revoke",
		"app_registration_endpoint":             i.URL() + "/api/v1/apps",
		"scopes_supported":                      scopes,
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	}
	if !i.opts.NoPKCE {
		m["code_challenge_methods_supported"] = []string{"S256"}
	}
	return jsonReply(http.StatusOK, m)
}

func (i *Instance) oauth(r *http.Request) reply {
	switch {
	case r.URL.Path == "/oauth/authorize" && r.Method == http.MethodGet:
		return i.authorize(r)
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		return i.tokenEndpoint(r)
	case r.URL.Path == "/oauth/revoke" && r.Method == http.MethodPost:
		return i.revoke(r)
	}
	return errReply(http.StatusNotFound, "Not Found")
}

func htmlReply(status int, body string) reply {
	return reply{status: status, ctype: "text/html; charset=utf-8", body: []byte("<!DOCTYPE html>\n<html><head><title>Authorization</title></head><body>" + body + "</body></html>\n")}
}

func oauthError(status int, code, desc string) reply {
	return jsonReply(status, map[string]string{"error": code, "error_description": desc})
}

// authorize is GET /oauth/authorize, approved at once by the authorizing
// user.
func (i *Instance) authorize(r *http.Request) reply {
	if i.opts.SignIn && !i.signedIn(r) {
		rp := reply{status: http.StatusFound}
		rp.set("Location", i.URL()+"/auth/sign_in")
		return rp
	}
	q := r.URL.Query()
	ap := i.apps[q.Get("client_id")]
	if i.opts.Quirk == Snac && (ap == nil || q.Get("redirect_uri") == "" || q.Get("response_type") != "code") {
		return reply{status: http.StatusBadRequest} // snac: no body
	}
	if ap == nil {
		return htmlReply(http.StatusUnauthorized, `<p class="error">invalid_client: Client authentication failed due to unknown client.</p>`)
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(ap.redirectURIs) == 1 {
		redirect = ap.redirectURIs[0]
	}
	if !slices.Contains(ap.redirectURIs, redirect) {
		return htmlReply(http.StatusBadRequest, `<p class="error">invalid_redirect_uri: The requested redirect uri is malformed or doesn't match client redirect URI.</p>`)
	}
	fail := func(code, desc string) reply {
		if redirect == oob {
			return htmlReply(http.StatusBadRequest, `<p class="error">`+html.EscapeString(code+": "+desc)+`</p>`)
		}
		v := url.Values{"error": {code}, "error_description": {desc}}
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		rp := reply{status: http.StatusFound}
		rp.set("Location", addQuery(redirect, v))
		return rp
	}
	if q.Get("response_type") != "code" {
		return fail("unsupported_response_type", "The authorization server does not support this response type.")
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	for _, s := range scopes {
		if !i.validScope(s) || !slices.Contains(ap.scopes, s) {
			return fail("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
		}
	}
	challenge := ""
	if !i.opts.NoPKCE && q.Get("code_challenge") != "" {
		if m := q.Get("code_challenge_method"); m != "S256" {
			return fail("invalid_request", "Unsupported code challenge method: only S256 is allowed.")
		}
		challenge = q.Get("code_challenge")
	}
	user := i.authorizing
	if user == nil {
		return htmlReply(http.StatusForbidden, `<p class="error">Nobody is signed in: call Instance.SetAuthorizingUser.</p>`)
	}
	code := secret()
	ap.user = user
	i.grants[code] = &grant{app: ap, account: user, scopes: scopes, redirect: redirect, challenge: challenge, expires: i.n.now().Add(10 * time.Minute)}
	if redirect == oob {
		return htmlReply(http.StatusOK, `<p>Copy this authorization code and paste it into the application.</p>`+
			`<input class="oauth-code" readonly value="`+html.EscapeString(code)+`">`)
	}
	v := url.Values{"code": {code}}
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	rp := reply{status: http.StatusFound}
	rp.set("Location", addQuery(redirect, v))
	return rp
}

func addQuery(u string, v url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + v.Encode()
}

// client authenticates the OAuth client from the body or HTTP Basic.
func (i *Instance) client(r *http.Request, v url.Values) *app {
	id, sec := v.Get("client_id"), v.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, sec = u, p
	}
	ap := i.apps[id]
	if ap == nil || subtle.ConstantTimeCompare([]byte(ap.secret), []byte(sec)) != 1 {
		return nil
	}
	return ap
}

const errInvalidGrant = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."

// tokenEndpoint is POST /oauth/token.
func (i *Instance) tokenEndpoint(r *http.Request) reply {
	v := params(r)
	if i.opts.Quirk == Snac {
		return i.snacToken(r, v)
	}
	gt := v.Get("grant_type")
	if gt != "authorization_code" && gt != "client_credentials" {
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
	}
	ap := i.client(r, v)
	if ap == nil {
		return oauthError(http.StatusUnauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
	}
	var t *token
	if gt == "client_credentials" {
		scopes := strings.Fields(v.Get("scope"))
		if len(scopes) == 0 {
			scopes = []string{"read"}
		}
		for _, s := range scopes {
			if !i.validScope(s) || !slices.Contains(ap.scopes, s) {
				return oauthError(http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
			}
		}
		t = i.issue(nil, ap, scopes)
	} else {
		code := v.Get("code")
		g := i.grants[code]
		if g == nil || g.app != ap || g.redirect != v.Get("redirect_uri") || i.n.now().After(g.expires) {
			return oauthError(http.StatusBadRequest, "invalid_grant", errInvalidGrant)
		}
		verifier := v.Get("code_verifier")
		if !i.opts.NoPKCE {
			if g.challenge != "" {
				sum := sha256.Sum256([]byte(verifier))
				if verifier == "" || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
					return oauthError(http.StatusBadRequest, "invalid_grant", errInvalidGrant)
				}
			} else if verifier != "" && i.opts.Quirk == GoToSocial {
				return oauthError(http.StatusBadRequest, "invalid_grant", "code_verifier given but no code_challenge was used")
			}
		}
		delete(i.grants, code)
		t = i.issue(g.account, ap, g.scopes)
	}
	return jsonReply(http.StatusOK, map[string]any{
		"access_token": t.value, "token_type": "Bearer", "scope": strings.Join(t.scopes, " "), "created_at": t.createdAt.Unix(),
	})
}

// revoke is POST /oauth/revoke (RFC 7009): idempotent.
func (i *Instance) revoke(r *http.Request) reply {
	v := params(r)
	if i.opts.Quirk == Snac {
		return i.snacRevoke(v)
	}
	ap := i.client(r, v)
	if ap == nil {
		return oauthError(http.StatusUnauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
	}
	t := i.tokens[v.Get("token")]
	if t != nil && t.app != ap { // tokens made by hand belong to the app made for them
		return oauthError(http.StatusForbidden, "unauthorized_client", "You are not authorized to revoke this token")
	}
	if t != nil {
		delete(i.tokens, t.value)
	}
	return jsonReply(http.StatusOK, map[string]any{})
}
