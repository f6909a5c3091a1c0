package remote

import (
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
)

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
	switch {
	case strings.Contains(msg, "server closed idle connection"),
		strings.Contains(msg, "transport connection broken"),
		strings.Contains(msg, "client connection lost"),
		strings.Contains(msg, "connection reset"):
		return true, "retry after connection reset"
	case strings.Contains(msg, "malformed HTTP"):
		return true, "retry after a cut answer"
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

// Scrub replaces a *url.Error (whose text holds the whole URL, query
// included) by its cause, so that messages carry only what the adapter
// says of the call.
func Scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// DrainClose reads a bounded rest of body so the connection can be
// reused, then closes it.
func DrainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	_ = body.Close()
}

// Excerpt makes server text fit for a terminal: control characters
// (escape sequences) removed, one line, at most 200 bytes (cut on a rune,
// "…" added).
func Excerpt(s string) string {
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
