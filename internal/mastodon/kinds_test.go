package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// errorAnswer is one error answer a server gives, as MASTODON.md and the
// servers' sources describe it.
type errorAnswer struct {
	name         string
	method, path string
	status       int
	body         string // JSON unless it starts with '<'
	header       map[string]string
	// what the client makes of it
	kind    fedimarks.Kind
	scope   string
	message string // "" means not checked
}

// errorAnswers are the error answers of Mastodon, GoToSocial, snac and the other
// servers that speak the API, each with the kind it means.
var errorAnswers = []errorAnswer{
	// Mastodon (app/controllers/api/base_controller.rb, Doorkeeper).
	{name: "mastodon: bad token", method: "GET", path: "/api/v1/bookmarks", status: 401, body: `{"error":"The access token is invalid"}`,
		kind: fedimarks.KindAuth, message: "The access token is invalid"},
	{name: "mastodon: no token", method: "GET", path: "/api/v1/bookmarks", status: 401, body: `{"error":"The access token was revoked"}`,
		kind: fedimarks.KindAuth},
	{name: "mastodon: scope of the listing", method: "GET", path: "/api/v1/bookmarks", status: 403, body: `{"error":"This action is outside the authorized scopes"}`,
		kind: fedimarks.KindScope, scope: "read:bookmarks"},
	{name: "mastodon: scope of a search", method: "GET", path: "/api/v2/search", status: 403, body: `{"error":"This action is outside the authorized scopes"}`,
		kind: fedimarks.KindScope, scope: "read:search"},
	{name: "mastodon: scope of a bookmark", method: "POST", path: "/api/v1/statuses/9/bookmark", status: 403, body: `{"error":"This action is outside the authorized scopes"}`,
		kind: fedimarks.KindScope, scope: "write:bookmarks"},
	{name: "mastodon: scope of the account", method: "GET", path: "/api/v1/accounts/verify_credentials", status: 403, body: `{"error":"This action is outside the authorized scopes"}`,
		kind: fedimarks.KindScope, scope: "profile (or read:accounts)"},
	{name: "mastodon: a post it may not act on", method: "POST", path: "/api/v1/statuses/9/bookmark", status: 403, body: `{"error":"This action is not allowed"}`,
		kind: fedimarks.KindForbidden, scope: "write:bookmarks", message: "This action is not allowed"},
	{name: "mastodon: unknown post", method: "POST", path: "/api/v1/statuses/9/bookmark", status: 404, body: `{"error":"Record not found"}`,
		kind: fedimarks.KindNotFound, message: "Record not found"},
	{name: "mastodon: an app's token", method: "GET", path: "/api/v1/bookmarks", status: 422, body: `{"error":"This method requires an authenticated user"}`,
		kind: fedimarks.KindNotUser},
	{name: "mastodon: scopes refused at registration", method: "POST", path: "/api/v1/apps", status: 422, body: `{"error":"Validation failed: Scopes are invalid"}`,
		kind: fedimarks.KindConflict},
	{name: "mastodon: search could not fetch the post", method: "GET", path: "/api/v2/search", status: 503, body: `{"error":"Remote data could not be fetched"}`,
		kind: fedimarks.KindRemoteFetch},
	{name: "mastodon: over budget", method: "GET", path: "/api/v2/search", status: 429, body: `{"error":"Too many requests"}`,
		kind: fedimarks.KindRateLimited},
	{name: "mastodon: its own failure", method: "GET", path: "/api/v1/bookmarks", status: 500, body: `{"error":"We're sorry, but something went wrong on our end."}`,
		kind: fedimarks.KindServerError},
	{name: "mastodon: a bad request", method: "GET", path: "/api/v2/search", status: 400, body: `{"error":"Validation failed: q is blank"}`,
		kind: fedimarks.KindInvalid},
	{name: "mastodon: code refused", method: "POST", path: "/oauth/token", status: 400,
		body: `{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}`,
		kind: fedimarks.KindAuth},
	{name: "mastodon: app forgotten", method: "POST", path: "/oauth/token", status: 401,
		body: `{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}`,
		kind: fedimarks.KindAppUnknown},
	{name: "mastodon: revoking another app's token", method: "POST", path: "/oauth/revoke", status: 403,
		body: `{"error":"unauthorized_client","error_description":"You are not authorized to revoke this token"}`,
		kind: fedimarks.KindForbidden},
	{name: "mastodon < 4.3: no OAuth metadata", method: "GET", path: "/.well-known/oauth-authorization-server", status: 404, body: `<!DOCTYPE html><html>not found</html>`,
		kind: fedimarks.KindNotFound, message: "Not Found"},
	// GoToSocial.
	{name: "gotosocial: over budget", method: "GET", path: "/api/v1/bookmarks", status: 429, body: `{"error":"rate limit reached"}`,
		kind: fedimarks.KindRateLimited},
	{name: "gotosocial: overloaded", method: "GET", path: "/api/v1/bookmarks", status: 503, body: `{"error":"Service Unavailable: server overloaded"}`,
		header: map[string]string{"Retry-After": "30"}, kind: fedimarks.KindUnreachable},
	{name: "gotosocial: no such post", method: "GET", path: "/api/v1/statuses/01HXYZ", status: 404, body: `{"error":"Not Found: target status not found"}`,
		kind: fedimarks.KindNotFound},
	{name: "gotosocial: app forgotten", method: "POST", path: "/oauth/token", status: 400, body: `{"error":"invalid_client","error_description":"client authentication failed"}`,
		kind: fedimarks.KindAppUnknown},
	// snac.
	{name: "snac: second bookmark", method: "POST", path: "/api/v1/statuses/1700000000.abc/bookmark", status: 422, body: ``,
		kind: fedimarks.KindConflict, message: "Unprocessable Entity"},
	{name: "snac: app forgotten", method: "POST", path: "/oauth/token", status: 401, body: ``,
		kind: fedimarks.KindAppUnknown},
	{name: "snac: no v2 instance", method: "GET", path: "/api/v2/instance", status: 404, body: ``,
		kind: fedimarks.KindNotFound},
	// Pleroma/Akkoma and Doorkeeper without Mastodon's wording name the scope.
	{name: "pleroma: names the scope", method: "GET", path: "/api/v9/other", status: 403, body: `{"error":"Insufficient permissions: write:bookmarks."}`,
		kind: fedimarks.KindForbidden, scope: "write:bookmarks"},
	{name: "doorkeeper: invalid_scope", method: "GET", path: "/x", status: 403,
		body: `{"error":"invalid_scope","error_description":"Access to this resource requires scope \"write write:bookmarks\"."}`,
		kind: fedimarks.KindScope, scope: "write:bookmarks"},
	// Whatever is in front of a server.
	{name: "proxy: server down", method: "GET", path: "/api/v1/bookmarks", status: 502, body: `<html><body>Bad Gateway</body></html>`,
		kind: fedimarks.KindUnreachable, message: "Bad Gateway"},
	{name: "proxy: timed out", method: "GET", path: "/api/v1/bookmarks", status: 504, body: ``,
		kind: fedimarks.KindUnreachable},
	{name: "gone", method: "GET", path: "/api/v1/statuses/9", status: 410, body: `{"error":"Gone"}`,
		kind: fedimarks.KindGone},
	{name: "an answer of no kind", method: "POST", path: "/api/v1/statuses/9/bookmark", status: 405, body: ``,
		kind: ""},
}

// TestAnswersBecomeKinds sends each request to a server giving the answer,
// and checks what the client returns: the kind, the scope a refusal names,
// the status and the server's words for messages, and the adapter's own
// error, with its text, inside.
func TestAnswersBecomeKinds(t *testing.T) {
	for _, a := range errorAnswers {
		t.Run(a.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range a.header {
					w.Header().Set(k, v)
				}
				if strings.HasPrefix(a.body, "<") {
					w.Header().Set("Content-Type", "text/html")
				} else if a.body != "" {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(a.status)
				w.Write([]byte(a.body))
			}))
			defer srv.Close()
			c := New(Options{Server: srv.URL, Token: testToken,
				Options: remote.Options{
					MaxRetries: -1,
					Backoff:    time.Millisecond,
					Sleep:      func(ctx context.Context, d time.Duration) error { return ctx.Err() },
				},
			})
			k := kindAPI
			if strings.HasPrefix(a.path, "/oauth/") || strings.HasPrefix(a.path, "/.well-known/") {
				k = kindAnon
			}
			_, err := c.getJSON(context.Background(), &call{method: a.method, url: srv.URL + a.path, kind: k, idempotent: true}, nil)
			var re *fedimarks.RemoteError
			if !errors.As(err, &re) {
				t.Fatalf("%v: no *fedimarks.RemoteError", err)
			}
			if re.Kind != a.kind || fedimarks.ErrorKind(err) != a.kind {
				t.Errorf("kind %q, want %q (%v)", re.Kind, a.kind, err)
			}
			if re.Scope != a.scope {
				t.Errorf("scope %q, want %q", re.Scope, a.scope)
			}
			if want := statusLine(a.status); re.Status != want {
				t.Errorf("status %q, want %q", re.Status, want)
			}
			if a.message != "" && re.Message != a.message {
				t.Errorf("message %q, want %q", re.Message, a.message)
			}
			var api *APIError
			if !errors.As(err, &api) || api.StatusCode != a.status || err.Error() != api.Error() {
				t.Errorf("%v: the *APIError inside is lost or its text changed", err)
			}
		})
	}
}

// TestSilenceAndElsewhereBecomeKinds: no answer is unreachable, with no
// status; a redirect to another server, or a listing's link there, is
// redirected; a cancelled request is no remote answer at all.
func TestSilenceAndElsewhereBecomeKinds(t *testing.T) {
	ctx := context.Background()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	c := New(Options{Server: down.URL, Token: testToken, Options: remote.Options{MaxRetries: -1}})
	_, err := c.VerifyCredentials(ctx)
	var re *fedimarks.RemoteError
	var ne *NetError
	if !errors.As(err, &re) || re.Kind != fedimarks.KindUnreachable || re.Status != "" || !errors.As(err, &ne) || !fedimarks.IsUnreachable(err) {
		t.Errorf("no answer: %v (%+v)", err, re)
	}

	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }))
	defer other.Close()
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "" {
			w.Header().Set("Link", `<`+other.URL+`/api/v1/bookmarks?page=2>; rel="next"`)
			w.Write([]byte(`[{"id":"1","uri":"https://a.example/users/a/statuses/1","created_at":"2024-01-01T00:00:00Z","account":{"id":"1","acct":"a"}}]`))
			return
		}
		http.Redirect(w, r, other.URL+"/api/v1/bookmarks", http.StatusFound)
	}))
	defer moved.Close()
	c = New(Options{Server: moved.URL, Token: testToken, Options: remote.Options{MaxRetries: -1}})
	var rd *RedirectError
	if _, err := c.BookmarksPage(ctx, moved.URL+"/api/v1/bookmarks?page=3"); fedimarks.ErrorKind(err) != fedimarks.KindRedirected || !errors.As(err, &rd) {
		t.Errorf("redirect to another server: %v", err)
	}
	p, err := c.BookmarksPage(ctx, "")
	if err != nil || fedimarks.ErrorKind(p.NextRefused) != fedimarks.KindRedirected || !strings.Contains(p.NextRefused.Error(), "link to the next page is refused") {
		t.Errorf("a link to another server: %v, %v", err, p.NextRefused)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.VerifyCredentials(cctx); !errors.Is(err, context.Canceled) || fedimarks.ErrorKind(err) != "" {
		t.Errorf("cancelled: %v, kind %q", err, fedimarks.ErrorKind(err))
	}
}

// TestObjectAnswersBecomeKinds: a post's own server's answers to an
// unsigned ActivityPub fetch (MASTODON.md, "Asking the post's own
// server").
func TestObjectAnswersBecomeKinds(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		kind   fedimarks.Kind
	}{
		{410, `{"@context":"https://www.w3.org/ns/activitystreams","type":"Tombstone"}`, fedimarks.KindGone},
		{404, `{"error":"Record not found"}`, fedimarks.KindNotFound},
		{401, `{"error":"Request not signed"}`, fedimarks.KindAuth},
		{403, ``, fedimarks.KindForbidden},
		{502, `<html>Bad Gateway</html>`, fedimarks.KindUnreachable},
		{500, ``, fedimarks.KindServerError},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		_, err := (&ObjectFetcher{}).FetchObject(context.Background(), srv.URL+"/users/a/statuses/1")
		srv.Close()
		var re *fedimarks.RemoteError
		if !errors.As(err, &re) || re.Kind != tc.kind || re.Status != statusLine(tc.status) {
			t.Errorf("%d: %v (%+v), want kind %q", tc.status, err, re, tc.kind)
		}
	}
}
