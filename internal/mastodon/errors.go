package mastodon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
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
	drainClose(resp.Body)
	e := &APIError{
		Method:     method,
		Path:       path,
		StatusCode: resp.StatusCode,
		RetryAfter: retryAfter(resp.Header, c.now),
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
			e.Message = excerpt(string(wire.Error))
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
	e.Message = excerpt(c.redact(e.Message))
	e.Description = excerpt(c.redact(e.Description))
	return e
}

// textExcerpt returns a short, single-line excerpt of a non-JSON error
// body, or "" for HTML pages (noise for a person) and empty bodies.
func textExcerpt(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || s[0] == '<' || !utf8.ValidString(s) {
		return ""
	}
	return excerpt(s)
}

func excerpt(s string) string {
	s = fedimarks.CleanText(s)
	const max = 200
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
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

// drainClose reads a bounded rest of body so the connection can be reused,
// then closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	_ = body.Close()
}

// transient reports whether a transport error is worth retrying, and a
// short reason for the wait.
func transient(err error) (bool, string) {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return true, "retry after connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED):
		return true, "retry after connection reset"
	case errors.Is(err, syscall.EPIPE):
		return true, "retry after broken pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true, "retry after dropped connection"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout || dnsErr.IsTemporary {
			return true, "retry after DNS failure"
		}
		return false, ""
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true, "retry after timeout"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true, "retry after connection error"
	}
	msg := err.Error()
	if strings.Contains(msg, "server closed idle connection") ||
		strings.Contains(msg, "transport connection broken") ||
		strings.Contains(msg, "client connection lost") ||
		strings.Contains(msg, "connection reset") {
		return true, "retry after connection reset"
	}
	return false, ""
}

// nothingSent reports whether a transport error happened before any byte
// of the request reached the server (so even a non-idempotent request may
// be sent again).
func nothingSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}
