package mastodontest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
)

type wireApp struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURI  string   `json:"redirect_uri"`
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"`
}

type wireToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

func register(t *testing.T, i *Instance, redirect, scopes string) wireApp {
	t.Helper()
	r := call(t, "POST", i.URL()+"/api/v1/apps", "", url.Values{
		"client_name": {"fedimarks"}, "redirect_uris": {redirect}, "scopes": {scopes}, "website": {"https://example.org"},
	})
	if r.status != 200 {
		t.Fatalf("register app: %d %s", r.status, r.body)
	}
	var a wireApp
	r.json(t, &a)
	if a.ClientID == "" || a.ClientSecret == "" {
		t.Fatalf("app: %s", r.body)
	}
	return a
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize asks for a code and returns it (from the redirect or the page).
func authorize(t *testing.T, i *Instance, app wireApp, redirect, scope, challengeS string) string {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirect}, "scope": {scope}, "state": {"xyz"}}
	if challengeS != "" {
		q.Set("code_challenge", challengeS)
		q.Set("code_challenge_method", "S256")
	}
	r := call(t, "GET", i.URL()+"/oauth/authorize?"+q.Encode(), "", nil)
	if redirect == oob {
		m := regexp.MustCompile(`<input class="oauth-code" readonly value="([^"]+)">`).FindSubmatch(r.body)
		if r.status != 200 || m == nil {
			t.Fatalf("oob page: %d %s", r.status, r.body)
		}
		return string(m[1])
	}
	if r.status != http.StatusFound {
		t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirect+"?") || loc.Query().Get("state") != "xyz" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %q: %v", r.header.Get("Location"), err)
	}
	return loc.Query().Get("code")
}

func exchange(t *testing.T, i *Instance, app wireApp, redirect, code, verifier string) result {
	t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"redirect_uri": {redirect}, "code": {code}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return call(t, "POST", i.URL()+"/oauth/token", "", f)
}

func TestOAuthWithPKCE(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	alice := i.AddAccount("alice")
	i.SetAuthorizingUser(alice)
	const cb = "http://127.0.0.1:9/callback"
	app := register(t, i, cb, "profile read:bookmarks write:bookmarks read:search")
	if !slices.Equal(app.RedirectURIs, []string{cb}) || len(app.Scopes) != 4 {
		t.Fatalf("app %+v", app)
	}
	verifier := "a-verifier-that-is-long-enough-to-be-valid-0123456789"
	code := authorize(t, i, app, cb, "profile read:bookmarks", challenge(verifier))

	for _, wrong := range []string{"", "another-verifier-that-is-long-enough-to-be-valid-012"} {
		r := exchange(t, i, app, cb, code, wrong)
		if r.status != 400 || r.errorMessage(t) != "invalid_grant" {
			t.Fatalf("verifier %q: %d %s", wrong, r.status, r.body)
		}
	}
	r := exchange(t, i, app, cb, code, verifier)
	if r.status != 200 {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	var tok wireToken
	r.json(t, &tok)
	if tok.TokenType != "Bearer" || tok.Scope != "profile read:bookmarks" || tok.CreatedAt == 0 || !i.TokenValid(tok.AccessToken) {
		t.Fatalf("token %+v", tok)
	}
	var me struct {
		ID, Username, Acct string
	}
	call(t, "GET", i.URL()+"/api/v1/accounts/verify_credentials", tok.AccessToken, nil).json(t, &me)
	if me.ID != alice.ID() || me.Acct != "alice" {
		t.Fatalf("verify_credentials: %+v", me)
	}
	// The granted scopes, not the app's, bind the token.
	if r := call(t, "GET", i.URL()+"/api/v2/search?q=x", tok.AccessToken, nil); r.status != 403 {
		t.Fatalf("search with a token without read:search: %d", r.status)
	}
	// A code works once.
	if r := exchange(t, i, app, cb, code, verifier); r.status != 400 {
		t.Fatalf("code reused: %d", r.status)
	}
	// Wrong client secret.
	app2 := app
	app2.ClientSecret = "nope"
	if r := exchange(t, i, app2, cb, authorize(t, i, app, cb, "profile", ""), ""); r.status != 401 || r.errorMessage(t) != "invalid_client" {
		t.Fatalf("bad secret: %d %s", r.status, r.body)
	}
	// Scopes beyond the app's are refused on the redirect.
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {cb}, "scope": {"write:statuses"}, "state": {"s"}}
	r = call(t, "GET", i.URL()+"/oauth/authorize?"+q.Encode(), "", nil)
	if loc := r.header.Get("Location"); r.status != 302 || !strings.Contains(loc, "error=invalid_scope") || !strings.Contains(loc, "state=s") {
		t.Fatalf("extra scope: %d %q", r.status, loc)
	}

	// Revoke: idempotent, and the token stops working.
	rev := url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {tok.AccessToken}}
	for range 2 {
		if r := call(t, "POST", i.URL()+"/oauth/revoke", "", rev); r.status != 200 || string(r.body) != "{}" {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
	}
	if i.TokenValid(tok.AccessToken) {
		t.Fatal("revoked token still valid")
	}
	if r := call(t, "GET", i.URL()+"/api/v1/accounts/verify_credentials", tok.AccessToken, nil); r.status != 401 {
		t.Fatalf("revoked token: %d", r.status)
	}
	// Another app may not revoke this app's tokens.
	other := register(t, i, cb, "read")
	live := wireToken{}
	exchange(t, i, app, cb, authorize(t, i, app, cb, "profile", ""), "").json(t, &live)
	r = call(t, "POST", i.URL()+"/oauth/revoke", "", url.Values{"client_id": {other.ClientID}, "client_secret": {other.ClientSecret}, "token": {live.AccessToken}})
	if r.status != 403 || !i.TokenValid(live.AccessToken) {
		t.Fatalf("foreign revoke: %d %s", r.status, r.body)
	}
}

func TestOAuthOOBWithoutPKCE(t *testing.T) {
	n := NewNetwork(t)
	for _, c := range []struct {
		name string
		opts InstanceOptions
		// verifierWithoutChallenge says whether a stray code_verifier is accepted.
		verifierWithoutChallenge bool
	}{
		{"mastodon", InstanceOptions{}, true},
		{"old mastodon", InstanceOptions{NoAuthMetadata: true, NoGranularScopes: true, Version: "4.1.0"}, true},
		{"gotosocial", InstanceOptions{Quirk: GoToSocial, NoAuthMetadata: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			i := n.NewInstance(c.opts)
			i.SetAuthorizingUser(i.AddAccount("alice"))
			app := register(t, i, oob, "read write")
			code := authorize(t, i, app, oob, "read write", "")
			r := exchange(t, i, app, oob, code, "")
			var tok wireToken
			r.json(t, &tok)
			if r.status != 200 || tok.Scope != "read write" {
				t.Fatalf("exchange: %d %s", r.status, r.body)
			}
			r = exchange(t, i, app, oob, authorize(t, i, app, oob, "read", ""), "stray-verifier-0123456789-0123456789-0123456789")
			if (r.status == 200) != c.verifierWithoutChallenge {
				t.Fatalf("stray verifier: %d %s", r.status, r.body)
			}
			// Client credentials: an app token.
			r = call(t, "POST", i.URL()+"/oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"read"}})
			r.json(t, &tok)
			if r.status != 200 || tok.AccessToken == "" {
				t.Fatalf("client credentials: %d %s", r.status, r.body)
			}
			if r := call(t, "GET", i.URL()+"/api/v1/bookmarks", tok.AccessToken, nil); r.status != 422 {
				t.Fatalf("app token on bookmarks: %d", r.status)
			}
		})
	}
}

func TestOAuthMetadataAndRegistration(t *testing.T) {
	n := NewNetwork(t)
	clock := clocktest.New(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC))
	n.SetClock(clock.Now)

	full := n.NewInstance(InstanceOptions{})
	var md struct {
		Issuer, AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint string
		ScopesSupported                                                  []string `json:"scopes_supported"`
		CodeChallengeMethodsSupported                                    []string `json:"code_challenge_methods_supported"`
	}
	r := call(t, "GET", full.URL()+"/.well-known/oauth-authorization-server", "", nil)
	r.json(t, &md)
	for _, s := range []string{"profile", "read:bookmarks", "write:bookmarks", "read:search", "read"} {
		if !slices.Contains(md.ScopesSupported, s) {
			t.Errorf("scopes_supported lacks %s", s)
		}
	}
	if !slices.Equal(md.CodeChallengeMethodsSupported, []string{"S256"}) || !strings.Contains(string(r.body), `"token_endpoint":"`+full.URL()+`/oauth/token"`) {
		t.Errorf("metadata: %s", r.body)
	}
	nopkce := n.NewInstance(InstanceOptions{NoPKCE: true})
	if r := call(t, "GET", nopkce.URL()+"/.well-known/oauth-authorization-server", "", nil); r.status != 200 || strings.Contains(string(r.body), "code_challenge_methods_supported") {
		t.Errorf("NoPKCE metadata: %d %s", r.status, r.body)
	}
	old := n.NewInstance(InstanceOptions{NoAuthMetadata: true, NoGranularScopes: true})
	if r := call(t, "GET", old.URL()+"/.well-known/oauth-authorization-server", "", nil); r.status != 404 {
		t.Errorf("NoAuthMetadata: %d", r.status)
	}
	r = call(t, "POST", old.URL()+"/api/v1/apps", "", url.Values{"client_name": {"x"}, "redirect_uris": {oob}, "scopes": {"read:bookmarks"}})
	if r.status != 422 || r.errorMessage(t) != "Validation failed: Scopes are invalid" {
		t.Errorf("granular scope on old server: %d %s", r.status, r.body)
	}

	// JSON registration with two redirect URIs (newline separated).
	req := `{"client_name":"fedimarks","redirect_uris":"urn:ietf:wg:oauth:2.0:oob\nhttp://127.0.0.1:1/cb","scopes":"read write"}`
	resp, err := http.Post(full.URL()+"/api/v1/apps", "application/json", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("JSON registration: %d", resp.StatusCode)
	}

	// 5 registrations per 10 minutes.
	for k := range 4 {
		register(t, full, oob, "read")
		_ = k
	}
	r = call(t, "POST", full.URL()+"/api/v1/apps", "", url.Values{"client_name": {"x"}, "redirect_uris": {oob}})
	if r.status != 429 || r.errorMessage(t) != "Too many requests" {
		t.Fatalf("sixth registration: %d %s", r.status, r.body)
	}
	if full.AppRegistrations() != 5 {
		t.Fatalf("AppRegistrations = %d", full.AppRegistrations())
	}
	clock.Advance(10 * time.Minute)
	register(t, full, oob, "read")
	if full.AppRegistrations() != 6 {
		t.Fatalf("AppRegistrations = %d", full.AppRegistrations())
	}
	// Authorizing without a signed-in user is refused.
	app := register(t, old, oob, "read")
	r = call(t, "GET", old.URL()+"/oauth/authorize?response_type=code&client_id="+app.ClientID+"&redirect_uri="+url.QueryEscape(oob), "", nil)
	if r.status != 403 {
		t.Fatalf("authorize with nobody signed in: %d", r.status)
	}
}
