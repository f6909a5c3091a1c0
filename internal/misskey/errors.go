package misskey

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// APIError is an error answer (status 400 and above) from a server. It
// never holds the token.
type APIError struct {
	// Endpoint is the API endpoint called ("i/favorites").
	Endpoint   string
	StatusCode int
	// Code, Message and ID are Misskey's error ("NO_SUCH_NOTE", "No such
	// note.", a UUID); for an answer that is not such JSON (a proxy's
	// page), Code is "" and Message a short excerpt or the status text.
	Code, Message, ID string
	// RetryAfter is the server's Retry-After, 0 if none.
	RetryAfter time.Duration
}

// Error returns e.g. "POST /api/i/favorites: 403 PERMISSION_DENIED: Your
// app does not have the necessary permissions to use this endpoint.".
func (e *APIError) Error() string {
	s := fmt.Sprintf("POST /api/%s: %d", e.Endpoint, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
		if e.Message != "" {
			s += ":"
		}
	}
	if e.Message != "" {
		s += " " + e.Message
	}
	return s
}

// NetError is a call that got no HTTP answer after its attempts.
type NetError struct {
	Endpoint string
	Attempts int
	Err      error
}

// Error returns e.g. "POST /api/i: no answer after 6 attempts: ...".
func (e *NetError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("POST /api/%s: no answer after %d attempts: %v", e.Endpoint, e.Attempts, e.Err)
	}
	return fmt.Sprintf("POST /api/%s: %v", e.Endpoint, e.Err)
}

// Unwrap returns the last connection failure.
func (e *NetError) Unwrap() error { return e.Err }

// readError drains and closes the body and builds the APIError.
func (c *Client) readError(endpoint string, resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	remote.DrainClose(resp.Body)
	e := &APIError{Endpoint: endpoint, StatusCode: resp.StatusCode, RetryAfter: remote.RetryAfter(resp.Header, c.now)}
	var wire struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			ID      string `json:"id"`
			Info    struct {
				ResetMs float64 `json:"resetMs"`
			} `json:"info"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) == nil && wire.Error.Code != "" {
		e.Code, e.Message, e.ID = wire.Error.Code, wire.Error.Message, wire.Error.ID
		if ms := wire.Error.Info.ResetMs; e.RetryAfter == 0 && resp.StatusCode == http.StatusTooManyRequests && ms > 0 {
			// Misskey sends no Retry-After: its limiter's info says when the
			// window ends, in Unix milliseconds (Sharkey's: milliseconds
			// from now).
			if ms > 1e12 {
				e.RetryAfter = time.UnixMilli(int64(ms)).Sub(c.now())
			} else {
				e.RetryAfter = time.Duration(ms * float64(time.Millisecond))
			}
			e.RetryAfter = max(e.RetryAfter, time.Second)
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && s[0] != '<' && s[0] != '{' && utf8.ValidString(s) {
		e.Message = s
	}
	if e.Message == "" && e.Code == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	// Servers are untrusted: their text reaches a terminal.
	e.Code = remote.Excerpt(c.redact(e.Code))
	e.Message = remote.Excerpt(c.redact(e.Message))
	e.ID = remote.Excerpt(e.ID)
	return e
}

// Remote returns err as the domain reads it: an *APIError or *NetError
// becomes a *fedimarks.RemoteError that wraps it, its Kind decided here,
// once; any other error is returned as it is.
func Remote(err error) error {
	var re *fedimarks.RemoteError
	if err == nil || errors.As(err, &re) {
		return err
	}
	var api *APIError
	if errors.As(err, &api) {
		re := &fedimarks.RemoteError{Kind: api.kind(), Status: statusLine(api.StatusCode), Message: api.Message, Err: err}
		if re.Kind == fedimarks.KindScope || re.Kind == fedimarks.KindForbidden {
			re.Scope = Permissions[api.Endpoint]
		}
		return re
	}
	var ne *NetError
	if errors.As(err, &ne) {
		return &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: err}
	}
	return err
}

// kind is what an error answer means. Misskey (ApiCallService) answers
// {"error":{"code":...}}: 401 AUTHENTICATION_FAILED (the token is unknown
// or revoked) or CREDENTIAL_REQUIRED; 403 PERMISSION_DENIED (the token
// lacks the endpoint's permission), YOUR_ACCOUNT_SUSPENDED and the like;
// 429 RATE_LIMIT_EXCEEDED; 400 for the endpoint's own errors: NO_SUCH_NOTE
// and NO_SUCH_OBJECT (nothing there), ALREADY_FAVORITED (done already),
// REQUEST_FAILED and RESPONSE_INVALID (ap/show could not fetch the object
// from its own server, or got garbage), INVALID_PARAM; 500 INTERNAL_ERROR.
// A proxy before a server that is down answers 502, 503 or 504.
func (e *APIError) kind() fedimarks.Kind {
	switch e.Code {
	case "AUTHENTICATION_FAILED", "CREDENTIAL_REQUIRED":
		return fedimarks.KindAuth
	case "PERMISSION_DENIED":
		return fedimarks.KindScope
	case "YOUR_ACCOUNT_SUSPENDED", "YOUR_ACCOUNT_MOVED", "ROLE_PERMISSION_DENIED", "ACCESS_DENIED":
		return fedimarks.KindForbidden
	case "RATE_LIMIT_EXCEEDED":
		return fedimarks.KindRateLimited
	case "NO_SUCH_NOTE", "NO_SUCH_OBJECT", "NO_SUCH_USER":
		return fedimarks.KindNotFound
	case "ALREADY_FAVORITED", "NOT_FAVORITED":
		return fedimarks.KindConflict
	case "REQUEST_FAILED", "RESPONSE_INVALID":
		return fedimarks.KindRemoteFetch
	case "INTERNAL_ERROR":
		return fedimarks.KindServerError
	case "UNKNOWN_API_ENDPOINT":
		return "" // not a Misskey server, or an older one
	}
	switch s := e.StatusCode; {
	case s == http.StatusUnauthorized:
		return fedimarks.KindAuth
	case s == http.StatusForbidden:
		return fedimarks.KindForbidden
	case s == http.StatusTooManyRequests:
		return fedimarks.KindRateLimited
	case s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout:
		return fedimarks.KindUnreachable
	case s >= 500:
		return fedimarks.KindServerError
	case s == http.StatusBadRequest && e.Code != "":
		return fedimarks.KindInvalid
	}
	return ""
}

// Permissions names the permission each endpoint fedimarks calls needs:
// the one a PERMISSION_DENIED refused.
var Permissions = map[string]string{
	"i":                      "read:account",
	"i/favorites":            "read:favorites",
	"ap/show":                "read:account",
	"notes/favorites/create": "write:favorites",
	"notes/favorites/delete": "write:favorites",
	"notes/state":            "read:account",
}

func statusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("HTTP %d", code)
}
