package mastodontest

import (
	"crypto/rand"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// MiAuth, Misskey's sign-in for apps (misskey-hub docs "MiAuth"): the app
// makes up a session id and opens
//
//	http://HOST/miauth/SESSION?name=APP&callback=URL&permission=p1,p2
//
// in the browser; the signed-in user approves (here at once: see
// SetAuthorizingUser and SetMiAuthDenied), and the page sends the browser
// to callback?session=SESSION (or shows that the app may go on, without a
// callback). The app then calls POST /api/miauth/SESSION/check, which
// answers {"ok":true,"token":...,"user":{...}} once, and {"ok":false}
// before approval, after the first success and for unknown sessions.

// miauthSession is one approved (or denied) MiAuth request.
type miauthSession struct {
	name    string
	perms   []string
	tok     *token // nil: denied
	fetched bool
}

// misskeyPermissions are the permissions a token made by Account.Token has
// on a Misskey instance by default.
var misskeyPermissions = []string{"read:account", "read:favorites", "write:favorites"}

// SetMiAuthDenied makes the signed-in user deny (true) or approve (false,
// the default) the MiAuth requests of a Misskey instance: a denied
// session's page shows that it was denied, does not go to the callback, and
// its check answers {"ok":false}.
func (i *Instance) SetMiAuthDenied(denied bool) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.mk.denied = denied
}

// MiAuthSessions returns how many MiAuth sessions were opened on the
// instance, and the permissions the last one asked for.
func (i *Instance) MiAuthSessions() (int, []string) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return len(i.mk.sessions), append([]string(nil), i.mk.lastPerms...)
}

// misskeyToken returns a token as Misskey makes them: 32 random
// alphanumeric characters.
func misskeyToken() string {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for k := range b {
		b[k] = chars[int(b[k])%len(chars)]
	}
	return string(b[:])
}

// miauthPage is GET /miauth/SESSION: the page where the signed-in user
// approves the app.
func (i *Instance) miauthPage(r *http.Request) reply {
	session := strings.TrimPrefix(r.URL.Path, "/miauth/")
	if session == "" || strings.Contains(session, "/") || r.Method != http.MethodGet {
		return htmlReply(http.StatusNotFound, `<p class="error">Not found</p>`)
	}
	user := i.authorizing
	if user == nil {
		return htmlReply(http.StatusForbidden, `<p class="error">Nobody is signed in: call Instance.SetAuthorizingUser.</p>`)
	}
	q := r.URL.Query()
	var perms []string
	for _, p := range strings.Split(q.Get("permission"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			perms = append(perms, p)
		}
	}
	if i.mk.sessions == nil {
		i.mk.sessions = map[string]*miauthSession{}
	}
	if s := i.mk.sessions[session]; s != nil && s.tok != nil {
		return htmlReply(http.StatusOK, `<p>This session was already used.</p>`)
	}
	s := &miauthSession{name: q.Get("name"), perms: perms}
	i.mk.sessions[session] = s
	i.mk.lastPerms = perms
	if i.mk.denied {
		return htmlReply(http.StatusOK, `<p class="denied">You denied access for the application.</p>`)
	}
	s.tok = &token{value: misskeyToken(), account: user, scopes: perms, createdAt: i.n.now()}
	i.tokens[s.tok.value] = s.tok
	if cb := q.Get("callback"); cb != "" {
		if u, err := url.Parse(cb); err == nil && u.Scheme != "" {
			rp := reply{status: http.StatusFound}
			rp.set("Location", addQuery(cb, url.Values{"session": {session}}))
			return rp
		}
	}
	return htmlReply(http.StatusOK, `<p class="approved">`+html.EscapeString(s.name)+` is now allowed. Go back to the application.</p>`)
}

// miauthCheck is POST /api/miauth/SESSION/check.
func (i *Instance) miauthCheck(r *http.Request) reply {
	if r.Method != http.MethodPost {
		return mkUnknownEndpoint.reply(nil)
	}
	session := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/miauth/"), "/check")
	s := i.mk.sessions[session]
	if s == nil || s.tok == nil || s.fetched || i.tokens[s.tok.value] == nil {
		return jsonReply(http.StatusOK, map[string]any{"ok": false})
	}
	s.fetched = true
	return jsonReply(http.StatusOK, map[string]any{"ok": true, "token": s.tok.value, "user": i.packUserDetailed(s.tok.account)})
}
