package mastodontest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// snac deletes the app when one of its tokens is revoked; a stored
// client_id is then unknown: authorize answers 400 and the token endpoint
// 401, both with an empty body.
func TestSnacRevokeDeletesTheApp(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{Quirk: Snac, NoAuthMetadata: true})
	alice := i.AddAccount("alice")
	i.SetAuthorizingUser(alice)
	app := register(t, i, oob, "read write")

	var first, second wireToken
	exchange(t, i, app, oob, authorize(t, i, app, oob, "read write", ""), "").json(t, &first)
	exchange(t, i, app, oob, authorize(t, i, app, oob, "read write", ""), "").json(t, &second)
	if !i.TokenValid(first.AccessToken) || !i.TokenValid(second.AccessToken) {
		t.Fatal("no valid tokens")
	}
	// snac does not check the code: any code of a known app gets a token
	// for the account that last signed in through it.
	var any wireToken
	if r := exchange(t, i, app, oob, "not-a-code", ""); r.status != 200 {
		t.Fatalf("exchange with a made-up code: %d %s", r.status, r.body)
	} else if r.json(t, &any); !i.TokenValid(any.AccessToken) {
		t.Fatal("the made-up code's token is not valid")
	}
	// Revoking with the wrong secret: 403 and "{}".
	bad := url.Values{"client_id": {app.ClientID}, "client_secret": {"nope"}, "token": {first.AccessToken}}
	if r := call(t, "POST", i.URL()+"/oauth/revoke", "", bad); r.status != 403 || string(r.body) != "{}" {
		t.Fatalf("revoke with a wrong secret: %d %q", r.status, r.body)
	}
	rev := url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {first.AccessToken}}
	if r := call(t, "POST", i.URL()+"/oauth/revoke", "", rev); r.status != 200 || string(r.body) != "{}" {
		t.Fatalf("revoke: %d %q", r.status, r.body)
	}
	if i.TokenValid(first.AccessToken) {
		t.Error("the revoked token is still valid")
	}
	// The app is gone; its other tokens live on.
	if !i.TokenValid(second.AccessToken) {
		t.Error("the app's other token died with the app")
	}
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {oob}, "scope": {"read write"}}
	if r := call(t, "GET", i.URL()+"/oauth/authorize?"+q.Encode(), "", nil); r.status != 400 || len(r.body) != 0 {
		t.Errorf("authorize with the forgotten app: %d %q, want 400 and no body", r.status, r.body)
	}
	if r := exchange(t, i, app, oob, "any-code", ""); r.status != 401 || len(r.body) != 0 {
		t.Errorf("token with the forgotten app: %d %q, want 401 and no body", r.status, r.body)
	}
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "redirect_uri": {oob}}
	if r := call(t, "POST", i.URL()+"/oauth/token", "", cc); r.status != 401 || len(r.body) != 0 {
		t.Errorf("client credentials of the forgotten app: %d %q, want 401 and no body", r.status, r.body)
	}
	// Revoking a token already revoked: 403 (snac looks the token up first).
	if r := call(t, "POST", i.URL()+"/oauth/revoke", "", rev); r.status != 403 {
		t.Errorf("second revoke: %d %q, want 403", r.status, r.body)
	}
	// A token of the forgotten app can still be revoked with its
	// credentials: snac checks the secret the token was issued with.
	rev2 := url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {second.AccessToken}}
	if r := call(t, "POST", i.URL()+"/oauth/revoke", "", rev2); r.status != 200 || i.TokenValid(second.AccessToken) {
		t.Errorf("revoke a token of the forgotten app: %d %q", r.status, r.body)
	}
	// A new app works again.
	again := register(t, i, oob, "read write")
	if r := exchange(t, i, again, oob, authorize(t, i, again, oob, "read write", ""), ""); r.status != 200 {
		t.Errorf("new app: %d %s", r.status, r.body)
	}
	// Without a redirect_uri the token endpoint answers 400, known app or not.
	f := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {again.ClientID}, "client_secret": {again.ClientSecret}}
	if r := call(t, "POST", i.URL()+"/oauth/token", "", f); r.status != 400 {
		t.Errorf("token without redirect_uri: %d %q", r.status, r.body)
	}
}

// Mastodon keeps the app when a token is revoked; an admin (or a database
// reset) can still remove it, and its tokens with it.
func TestForgetApps(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	i.SetAuthorizingUser(i.AddAccount("alice"))
	app := register(t, i, oob, "read write")
	var tok, other wireToken
	exchange(t, i, app, oob, authorize(t, i, app, oob, "read", ""), "").json(t, &tok)
	exchange(t, i, app, oob, authorize(t, i, app, oob, "read", ""), "").json(t, &other)
	rev := url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {tok.AccessToken}}
	if r := call(t, "POST", i.URL()+"/oauth/revoke", "", rev); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := exchange(t, i, app, oob, authorize(t, i, app, oob, "read", ""), ""); r.status != 200 {
		t.Fatalf("Mastodon forgot the app on revoke: %d %s", r.status, r.body)
	}
	i.ForgetApps()
	if i.TokenValid(other.AccessToken) {
		t.Error("a token of a removed app is still valid")
	}
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {oob}, "scope": {"read"}}
	if r := call(t, "GET", i.URL()+"/oauth/authorize?"+q.Encode(), "", nil); r.status != 401 || !strings.Contains(string(r.body), "invalid_client") {
		t.Errorf("authorize with a removed app: %d %s", r.status, r.body)
	}
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"read"}}
	if r := call(t, "POST", i.URL()+"/oauth/token", "", cc); r.status != 401 || r.errorMessage(t) != "invalid_client" {
		t.Errorf("client credentials of a removed app: %d %s", r.status, r.body)
	}
}

// With SignIn, /oauth/authorize sends a browser without the signed-in
// user's session to the sign-in page before it looks at anything else, as
// Mastodon and GoToSocial do.
func TestAuthorizeNeedsSignIn(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{SignIn: true})
	i.SetAuthorizingUser(i.AddAccount("alice"))
	app := register(t, i, oob, "read")
	for _, id := range []string{app.ClientID, "unknown-client"} {
		q := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {oob}, "scope": {"read"}}
		r := call(t, "GET", i.URL()+"/oauth/authorize?"+q.Encode(), "", nil)
		if r.status != http.StatusFound || r.header.Get("Location") != i.URL()+"/auth/sign_in" {
			t.Errorf("authorize without a session (client %s): %d %q", id, r.status, r.header.Get("Location"))
		}
	}
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {oob}, "scope": {"read"}}
	req, err := http.NewRequest("GET", i.URL()+"/oauth/authorize?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(i.SessionCookie())
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("authorize with the session: %d", resp.StatusCode)
	}
}
