package mastodon

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

// Stop is returned by a WalkBookmarks callback to end the walk early; the
// walk then returns nil.
var Stop = errors.New("stop")

// ErrTooLarge is wrapped by the error Download returns when a body exceeds
// its size limit.
var ErrTooLarge = errors.New("too large")

// APIError is an HTTP error answer (status 400 and above) from a server.
// It never holds the token, nor the query of the URL.
type APIError struct {
	// Method and Path say which request failed; Path has no query.
	Method, Path string
	// StatusCode is the HTTP status.
	StatusCode int
	// Message and Description are the server's "error" and
	// "error_description"; for a body that is not such JSON, Message is a
	// short excerpt of the text or the status text.
	Message, Description string
	// RetryAfter is the server's Retry-After, 0 if none.
	RetryAfter time.Duration
}

// Error returns e.g. "GET /api/v1/bookmarks: 401 The access token is invalid".
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.StatusCode, msg)
	if e.Description != "" && e.Description != e.Message {
		s += ": " + e.Description
	}
	return s
}

// Unreachable reports whether the server (or a gateway before it) did not
// answer properly: status 502, 503 or 504.
func (e *APIError) Unreachable() bool {
	switch e.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// IsStatus reports whether err's chain holds an *APIError with the given
// HTTP status.
func IsStatus(err error, code int) bool {
	var e *APIError
	return errors.As(err, &e) && e.StatusCode == code
}

// NetError is a request that got no HTTP answer: the connection failed
// (refused, reset, dropped, timed out, name not resolved, TLS failure) on
// every attempt. Err is the last failure.
type NetError struct {
	Method, Path string
	// Attempts is how many times the request was sent.
	Attempts int
	Err      error
}

// Error returns e.g. "GET /api/v1/bookmarks: no answer after 6 attempts: ...".
func (e *NetError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("%s %s: no answer after %d attempts: %v", e.Method, e.Path, e.Attempts, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the last connection failure.
func (e *NetError) Unwrap() error { return e.Err }

// Unreachable always reports true: the server did not answer.
func (e *NetError) Unreachable() bool { return true }

// RedirectError is an API call that the server redirected to another
// server: not followed, since that answer would not be the account's (and
// the token goes nowhere else). It is neither an HTTP error nor
// unreachable: the server answered, wrongly.
type RedirectError struct {
	Method, Path string
	// To is the scheme and host redirected to.
	To string
}

// Error returns e.g. "GET /api/v1/bookmarks: redirected to
// https://other.example, another server: not followed".
func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s %s: redirected to %s, another server: not followed", e.Method, e.Path, e.To)
}

// readAPIError drains and closes resp.Body and builds the APIError.
func (c *Client) readAPIError(method, path string, resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	remote.DrainClose(resp.Body)
	e := &APIError{
		Method:     method,
		Path:       path,
		StatusCode: resp.StatusCode,
		RetryAfter: remote.RetryAfter(resp.Header, c.now),
	}
	var wire struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(body, &wire) == nil && len(wire.Error) > 0 {
		var s string
		if json.Unmarshal(wire.Error, &s) == nil {
			e.Message = s
		} else {
			// Some servers nest an object; keep it short.
			e.Message = remote.Excerpt(string(wire.Error))
		}
		e.Description = wire.ErrorDescription
	} else {
		e.Message = textExcerpt(body)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	// Servers are untrusted: their text reaches a terminal, so it is cut
	// to one short line with no control characters (escape sequences).
	e.Message = remote.Excerpt(c.redact(e.Message))
	e.Description = remote.Excerpt(c.redact(e.Description))
	return e
}

// textExcerpt returns a short, single-line excerpt of a non-JSON error
// body, or "" for HTML pages (noise for a person) and empty bodies.
func textExcerpt(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || s[0] == '<' || !utf8.ValidString(s) {
		return ""
	}
	return remote.Excerpt(s)
}

// redact removes the token from a string that came from a server, should
// one ever echo it, also with invisible characters or escape sequences
// inside.
func (c *Client) redact(s string) string {
	if c.creds.token == "" || s == "" {
		return s
	}
	return fedimarks.Redact(s, []string{c.creds.token}, "[redacted]")
}
