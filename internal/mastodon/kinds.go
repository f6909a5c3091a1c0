package mastodon

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// Remote returns err as the domain reads it: an *APIError, *NetError or
// *RedirectError becomes a *fedimarks.RemoteError that wraps it, with its
// Kind decided here, once, for every caller; any other error (nil, a
// cancelled context, a local failure, one already converted) is returned
// as it is. Every error the client returns has been through it.
func Remote(err error) error {
	var re *fedimarks.RemoteError
	if err == nil || errors.As(err, &re) {
		return err
	}
	var api *APIError
	if errors.As(err, &api) {
		re := &fedimarks.RemoteError{Kind: api.kind(), Status: statusLine(api.StatusCode), Message: api.Message, Err: err}
		if re.Kind == fedimarks.KindScope || re.Kind == fedimarks.KindForbidden {
			re.Scope = api.scope()
		}
		return re
	}
	var ne *NetError
	if errors.As(err, &ne) {
		return &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: err}
	}
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		return &fedimarks.RemoteError{Kind: fedimarks.KindRedirected, Err: err}
	}
	return err
}

// tokenPath is the OAuth token endpoint, whose refusals are about the
// app's credentials or the authorization code, not an access token.
const tokenPath = "/oauth/token"

// kind is what an error answer means. Mastodon and the servers that speak
// its API (see MASTODON.md, "Errors") answer with a status and often
// {"error": "..."}:
//
//   - 401: the token is missing, invalid or revoked ("The access token is
//     invalid"; snac sends no body). At the token endpoint, 401 (any body)
//     or 400 invalid_client means the app is unknown; 400 invalid_grant, a
//     refused code.
//   - 403: a missing scope when the answer says so ("This action is outside
//     the authorized scopes", Doorkeeper's invalid_scope); otherwise a post
//     this account may not see or act on.
//   - 404 not found or not visible ("Record not found"); 410 gone.
//   - 422: an app token where a user's is needed ("This method requires an
//     authenticated user"); otherwise a failed check ("Validation failed:
//     ...") or, on snac, a post already bookmarked (empty body).
//   - 429: rate limited (Mastodon "Too many requests", GoToSocial "rate
//     limit reached"), after the client's waits.
//   - 503 "Remote data could not be fetched": Mastodon's search could not
//     fetch the post from its server. Any other 502, 503 or 504 (GoToSocial
//     under overload, a proxy before a server that is down): unreachable.
//     Other 5xx: the server's own failure.
func (e *APIError) kind() fedimarks.Kind {
	token := e.Path == tokenPath
	switch s := e.StatusCode; {
	case token && (s == http.StatusUnauthorized || s == http.StatusBadRequest && e.Message == "invalid_client"):
		return fedimarks.KindAppUnknown
	case token && e.Message == "invalid_grant", s == http.StatusUnauthorized:
		return fedimarks.KindAuth
	case s == http.StatusForbidden && strings.Contains(strings.ToLower(e.Error()), "scope"):
		return fedimarks.KindScope
	case s == http.StatusForbidden:
		return fedimarks.KindForbidden
	case s == http.StatusNotFound:
		return fedimarks.KindNotFound
	case s == http.StatusGone:
		return fedimarks.KindGone
	case s == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(e.Message), "authenticated user"):
		return fedimarks.KindNotUser
	case s == http.StatusUnprocessableEntity:
		return fedimarks.KindConflict
	case s == http.StatusBadRequest:
		return fedimarks.KindInvalid
	case s == http.StatusTooManyRequests:
		return fedimarks.KindRateLimited
	case s == http.StatusServiceUnavailable && strings.Contains(strings.ToLower(e.Error()), "remote data could not be fetched"):
		return fedimarks.KindRemoteFetch
	case e.Unreachable():
		return fedimarks.KindUnreachable
	case s >= 500:
		return fedimarks.KindServerError
	}
	return ""
}

// statusLine is an HTTP status in a few words: "410 Gone", "HTTP 599".
func statusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("HTTP %d", code)
}

// askedScopes are the scopes fedimarks asks for: the ones a refusal can
// name.
var askedScopes = []string{"read:bookmarks", "write:bookmarks", "read:search", "profile", "read:accounts"}

// scope names the scope a 403 refused: the one the server's answer names
// (Pleroma: "Insufficient permissions: write:bookmarks."; Doorkeeper
// without Mastodon's wording: requires scope "write write:bookmarks"),
// else the one the refused request needs, else "".
func (e *APIError) scope() string {
	named := strings.FieldsFunc(e.Message+" "+e.Description, func(r rune) bool {
		return !(r == ':' || r == '_' || r >= 'a' && r <= 'z')
	})
	var found []string
	for _, w := range named {
		if slices.Contains(askedScopes, w) && !slices.Contains(found, w) {
			found = append(found, w)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return scopeOfEndpoint(e.Method, e.Path)
}

// scopeOfEndpoint names the OAuth scope a request needs: "" when the path
// is not one fedimarks calls.
func scopeOfEndpoint(method, path string) string {
	switch {
	case path == "/api/v1/bookmarks":
		return "read:bookmarks"
	case path == "/api/v2/search":
		return "read:search"
	case method == http.MethodPost && strings.HasPrefix(path, "/api/v1/statuses/") &&
		(strings.HasSuffix(path, "/bookmark") || strings.HasSuffix(path, "/unbookmark")):
		return "write:bookmarks"
	case path == "/api/v1/accounts/verify_credentials":
		return "profile (or read:accounts)"
	}
	return ""
}

// Answer returns the status and the server's message in a few words, for
// messages: "400 invalid_client".
func (e *APIError) Answer() string {
	return fmt.Sprintf("%d %s", e.StatusCode, e.Message)
}
