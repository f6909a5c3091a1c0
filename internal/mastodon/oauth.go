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
	"github.com/fedimarks/fedimarks/internal/remote"
)

// RegisterApp registers an OAuth application (POST /api/v1/apps, form
// encoded). redirectURIs may hold several URIs separated by "\n". Mastodon
// allows 5 registrations per IP in 10 minutes: register once per server and
// keep the app. The call is not retried after an ambiguous failure (a
// timeout, a 5xx), only when the connection was refused or on 429.
func (c *Client) RegisterApp(ctx context.Context, name, redirectURIs, scopes, website string) (fedimarks.App, error) {
	form := url.Values{
		"client_name":   {name},
		"redirect_uris": {redirectURIs},
		"scopes":        {scopes},
	}
	if website != "" {
		form.Set("website", website)
	}
	var w struct {
		ClientID     string          `json:"client_id"`
		ClientSecret string          `json:"client_secret"`
		RedirectURI  string          `json:"redirect_uri"`
		RedirectURIs []string        `json:"redirect_uris"`
		Scopes       json.RawMessage `json:"scopes"`
	}
	if _, err := c.getJSON(ctx, formCall(c.apiURL("/api/v1/apps"), form, kindAnon, false), &w); err != nil {
		return fedimarks.App{}, err
	}
	if w.ClientID == "" || w.ClientSecret == "" {
		return fedimarks.App{}, fmt.Errorf("register app: the server returned no client id or secret")
	}
	app := fedimarks.App{ClientID: w.ClientID, ClientSecret: w.ClientSecret, RedirectURI: w.RedirectURI, Scopes: scopes}
	if len(w.RedirectURIs) > 0 {
		app.RedirectURI = strings.Join(w.RedirectURIs, "\n")
	}
	if app.RedirectURI == "" {
		app.RedirectURI = redirectURIs
	}
	var list []string
	if json.Unmarshal(w.Scopes, &list) == nil && len(list) > 0 {
		app.Scopes = strings.Join(list, " ")
	}
	return app, nil
}

// AuthMetadata is the server's OAuth 2 authorization server metadata
// (RFC 8414), published by Mastodon 4.3 and later.
type AuthMetadata struct {
	AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint string
	ScopesSupported, CodeChallengeMethodsSupported           []string
}

// AuthMetadata fetches /.well-known/oauth-authorization-server. It returns
// nil, nil when the server publishes none (404 or 410: older Mastodon,
// GoToSocial; or a 200 that is not a JSON object, as single-page web apps
// answer unknown paths).
func (c *Client) AuthMetadata(ctx context.Context) (*AuthMetadata, error) {
	r := &call{method: http.MethodGet, url: c.apiURL("/.well-known/oauth-authorization-server"), kind: kindAnon, idempotent: true, accept: "application/json"}
	resp, err := c.do(ctx, r)
	if err != nil {
		if IsStatus(err, http.StatusNotFound) || IsStatus(err, http.StatusGone) {
			return nil, nil
		}
		return nil, err
	}
	b, err := readBody(r.method, r.path(), resp)
	if err != nil {
		return nil, err
	}
	var w struct {
		AuthorizationEndpoint         string   `json:"authorization_endpoint"`
		TokenEndpoint                 string   `json:"token_endpoint"`
		RevocationEndpoint            string   `json:"revocation_endpoint"`
		ScopesSupported               []string `json:"scopes_supported"`
		CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	}
	if json.Unmarshal(b, &w) != nil {
		return nil, nil
	}
	return &AuthMetadata{
		AuthorizationEndpoint:         w.AuthorizationEndpoint,
		TokenEndpoint:                 w.TokenEndpoint,
		RevocationEndpoint:            w.RevocationEndpoint,
		ScopesSupported:               w.ScopesSupported,
		CodeChallengeMethodsSupported: w.CodeChallengeMethodsSupported,
	}, nil
}

// SupportsPKCE reports whether the metadata advertises the S256 code
// challenge method. A nil *AuthMetadata supports nothing.
func (m *AuthMetadata) SupportsPKCE() bool {
	if m == nil {
		return false
	}
	for _, s := range m.CodeChallengeMethodsSupported {
		if s == "S256" {
			return true
		}
	}
	return false
}

// AuthorizeURL returns the page where the user approves the app:
// Server/oauth/authorize with response_type=code, client_id, redirect_uri,
// scope and state, and, when codeChallenge is not empty, code_challenge
// and code_challenge_method=S256. Spaces are encoded as %20.
func (c *Client) AuthorizeURL(app fedimarks.App, redirectURI, scopes, state, codeChallenge string) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {app.ClientID},
		"redirect_uri":  {redirectURI},
		"scope":         {scopes},
	}
	if state != "" {
		q.Set("state", state)
	}
	if codeChallenge != "" {
		q.Set("code_challenge", codeChallenge)
		q.Set("code_challenge_method", "S256")
	}
	// url.Values writes spaces as "+"; %20 is read the same way by every
	// server, "+" not quite. A literal "+" is already %2B.
	return c.server + "/oauth/authorize?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// Token is an OAuth access token. AccessToken is a secret: keep it out of
// output.
type Token struct {
	AccessToken, TokenType, Scope string
	// CreatedAt is when the server issued it, in Unix seconds (0 if not
	// said).
	CreatedAt int64
}

// ExchangeCode trades an authorization code for a token (POST /oauth/token,
// grant_type=authorization_code). codeVerifier is sent only when not
// empty (PKCE). A code is single-use, so the call is not retried after an
// ambiguous failure.
func (c *Client) ExchangeCode(ctx context.Context, app fedimarks.App, code, redirectURI, codeVerifier string) (Token, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {app.ClientID},
		"client_secret": {app.ClientSecret},
		"redirect_uri":  {redirectURI},
	}
	if codeVerifier != "" {
		form.Set("code_verifier", codeVerifier)
	}
	var w struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		Scope       string          `json:"scope"`
		CreatedAt   json.RawMessage `json:"created_at"`
	}
	if _, err := c.getJSON(ctx, formCall(c.apiURL("/oauth/token"), form, kindAnon, false), &w); err != nil {
		return Token{}, err
	}
	if w.AccessToken == "" {
		return Token{}, fmt.Errorf("exchange code: the server returned no access token")
	}
	t := Token{AccessToken: w.AccessToken, TokenType: w.TokenType, Scope: w.Scope}
	// created_at is a number on Mastodon; be lenient with other shapes.
	var f float64
	if json.Unmarshal(w.CreatedAt, &f) == nil {
		t.CreatedAt = int64(f)
	}
	return t, nil
}

// Revoke ends a token (POST /oauth/revoke with client_id, client_secret
// and token in the form body). Revoking is idempotent, so the call is
// retried like a read.
func (c *Client) Revoke(ctx context.Context, app fedimarks.App, token string) error {
	form := url.Values{
		"client_id":     {app.ClientID},
		"client_secret": {app.ClientSecret},
		"token":         {token},
	}
	_, err := c.getJSON(ctx, formCall(c.apiURL("/oauth/revoke"), form, kindAnon, true), nil)
	return err
}

// AppState is what a server says of an app registered on it earlier.
type AppState int

const (
	// AppUnsure: the server's answers did not tell; use the app and see.
	AppUnsure AppState = iota
	// AppKnown: the server still knows the app.
	AppKnown
	// AppForgotten: the server no longer knows the app (its admin removed
	// it, its database was reset, or, on snac, one of its tokens was
	// revoked): register again.
	AppForgotten
)

// String names the state.
func (s AppState) String() string {
	switch s {
	case AppKnown:
		return "known"
	case AppForgotten:
		return "forgotten"
	}
	return "unsure"
}

// CheckApp asks the server whether it still knows app, before a person is
// sent to approve it (a forgotten app shows them an error page and never
// comes back). It returns the state and, for a message, what the server
// answered. It signs nobody in and leaves no token behind:
//
//  1. It opens the authorization page for redirectURI as a browser that is
//     not signed in would, without following redirects. An error page (400,
//     401: snac, Doorkeeper) means forgotten; the page itself (snac's
//     sign-in form) or a redirect to redirectURI means known.
//  2. When the page only sends the browser to sign in first (Mastodon,
//     GoToSocial), it asks for a client-credentials token: 401, or 400
//     invalid_client, means forgotten, whatever the body; a token means
//     known, and the token (it can read nothing of any account) is revoked.
//
// snac is never asked for a token, since it would mint one for the
// account that last signed in, and revoking it deletes the app. Only a
// cancelled ctx is an error; a failure to check is AppUnsure.
func (c *Client) CheckApp(ctx context.Context, app fedimarks.App, redirectURI string) (AppState, string, error) {
	status, loc, err := c.openAuthorizePage(ctx, c.AuthorizeURL(app, redirectURI, app.Scopes, "", ""))
	switch {
	case ctx.Err() != nil:
		return AppUnsure, "", errorf(http.MethodGet, "/oauth/authorize", ctx.Err())
	case err != nil:
		return AppUnsure, fmt.Sprintf("its authorization page did not answer (%v)", err), nil
	case status == http.StatusBadRequest || status == http.StatusUnauthorized:
		return AppForgotten, fmt.Sprintf("its authorization page answered %d for fedimarks' app", status), nil
	case status >= 200 && status < 300:
		return AppKnown, "its authorization page shows the app", nil
	case status >= 300 && status < 400 && redirectURI != "" && strings.HasPrefix(loc, redirectURI):
		return AppKnown, "its authorization page answers to the app", nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {app.ClientID},
		"client_secret": {app.ClientSecret},
		"scope":         {app.Scopes},
	}
	var w struct {
		AccessToken string `json:"access_token"`
	}
	_, err = c.getJSON(ctx, formCall(c.apiURL("/oauth/token"), form, kindAnon, false), &w)
	var api *APIError
	switch {
	case ctx.Err() != nil:
		return AppUnsure, "", errorf(http.MethodPost, "/oauth/token", ctx.Err())
	case err == nil:
		if w.AccessToken != "" {
			_ = c.Revoke(ctx, app, w.AccessToken) // an app-only token: a failure leaves nothing readable
		}
		return AppKnown, "it gives the app a token", nil
	case errors.As(err, &api) && api.invalidClient():
		return AppForgotten, fmt.Sprintf("its token endpoint refused the app's credentials (%d)", api.StatusCode), nil
	}
	return AppUnsure, fmt.Sprintf("it did not say (%v)", err), nil
}

// openAuthorizePage GETs u once, as a browser that is not signed in,
// without following redirects, and returns the status and the Location.
// The page is not an API call (no rate limit, no token), so it does not go
// through the client's retries: a check that fails is only unsure.
func (c *Client) openAuthorizePage(ctx context.Context, u string) (int, string, error) {
	hc := *c.anon
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := &call{method: http.MethodGet, url: u, kind: kindAnon, accept: "text/html"}
	req, err := r.newRequest(ctx, c.userAgent)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.policy.SendOnce(&hc, req)
	if err != nil {
		return 0, "", err
	}
	defer remote.DrainClose(resp.Body)
	loc := ""
	if l, err := resp.Location(); err == nil {
		loc = l.String()
	}
	return resp.StatusCode, loc, nil
}

// Format prints the token with AccessToken redacted, for every verb.
func (t Token) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "mastodon.Token{AccessToken:%s TokenType:%s Scope:%q CreatedAt:%d}",
		redacted(t.AccessToken), t.TokenType, t.Scope, t.CreatedAt)
}

func redacted(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}
