package mastodontest

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// sessionCookie is the name of the web session cookie (Mastodon's).
const sessionCookie = "_session_id"

// SessionCookie returns the web session cookie of the authorizing user
// (see SetAuthorizingUser): with InstanceOptions.SignIn, /oauth/authorize
// answers only a request that carries it, as a person's browser does.
func (i *Instance) SessionCookie() *http.Cookie {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return &http.Cookie{Name: sessionCookie, Value: i.sessionValue()}
}

// sessionValue is the session of the authorizing user; guarded by n.mu.
func (i *Instance) sessionValue() string {
	if i.authorizing == nil {
		return ""
	}
	return "session-of-" + i.authorizing.id
}

// signedIn reports whether r carries the authorizing user's session.
// Guarded by n.mu.
func (i *Instance) signedIn(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	want := i.sessionValue()
	return err == nil && want != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(want)) == 1
}

// ForgetApps removes every registered app, as an admin removing them or a
// reset database does: their pending authorization codes go with them,
// and so do their tokens, except on snac, whose tokens outlive their app.
// A client that kept a client_id then meets invalid_client (snac: 400 on
// /oauth/authorize, 401 with an empty body on /oauth/token).
func (i *Instance) ForgetApps() {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	for id := range i.apps {
		delete(i.apps, id)
	}
	for code, g := range i.grants {
		if g.app != nil {
			delete(i.grants, code)
		}
	}
	if i.opts.Quirk == Snac {
		return
	}
	for v, t := range i.tokens {
		if t.app != nil {
			delete(i.tokens, v)
		}
	}
}

// snacToken is snac's POST /oauth/token (mastoapi.c): grant_type, client_id,
// client_secret and redirect_uri must all be there (400 with no body
// otherwise); an unknown client or a wrong secret gets 401 with no body.
// The grant type is not read and the code is not checked: the token is for
// whoever last signed in through the app, and has no scopes (it may do
// everything). Guarded by n.mu.
func (i *Instance) snacToken(r *http.Request, v url.Values) reply {
	id, sec := v.Get("client_id"), v.Get("client_secret")
	if sec == "" {
		if u, p, ok := r.BasicAuth(); ok && u != "" {
			sec = p
		}
	}
	if v.Get("grant_type") == "" || id == "" || sec == "" || v.Get("redirect_uri") == "" {
		return reply{status: http.StatusBadRequest}
	}
	ap := i.apps[id]
	if ap == nil || subtle.ConstantTimeCompare([]byte(ap.secret), []byte(sec)) != 1 {
		return reply{status: http.StatusUnauthorized}
	}
	acct := ap.user
	if g := i.grants[v.Get("code")]; g != nil && g.app == ap {
		acct = g.account
		delete(i.grants, v.Get("code"))
	}
	t := i.issue(acct, ap, slices.Concat(basicScopes, granularScopes))
	body := map[string]any{"access_token": t.value, "token_type": "Bearer", "created_at": t.createdAt.Unix()}
	if s := strings.TrimSpace(v.Get("scope")); s != "" {
		body["scope"] = s // echoed as asked
	}
	return jsonReply(http.StatusOK, body)
}

// snacRevoke is snac's POST /oauth/revoke: the token must exist and have
// been issued with the client_secret given (403 "{}" otherwise, also for a
// token already revoked); it is deleted, and so is the app client_id names,
// "as it serves no purpose from now on". Guarded by n.mu.
func (i *Instance) snacRevoke(v url.Values) reply {
	id, sec := v.Get("client_id"), v.Get("client_secret")
	t := i.tokens[v.Get("token")]
	if id == "" || sec == "" || t == nil || t.app == nil || subtle.ConstantTimeCompare([]byte(t.app.secret), []byte(sec)) != 1 {
		return jsonReply(http.StatusForbidden, map[string]any{})
	}
	delete(i.tokens, t.value)
	delete(i.apps, id)
	return jsonReply(http.StatusOK, map[string]any{})
}
