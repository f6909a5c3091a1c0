package fedimarks

import (
	"errors"
	"fmt"
)

// Error codes. They say what kind of trouble an Error is, so that one place
// (internal/cli) can map them to exit codes and messages.
const (
	EInternal    = "internal"    // a bug or an unexpected failure
	EInvalid     = "invalid"     // bad input from the user: arguments, files
	EAuth        = "auth"        // token missing, invalid or revoked; log in again
	EScope       = "scope"       // token lacks a scope; log in again
	ENotFound    = "not_found"   // the thing asked for does not exist
	EUnavailable = "unavailable" // a server did not answer after retries
	EPartial     = "partial"     // finished, but some items failed (report written)
	EInterrupted = "interrupted" // stopped by a signal; the work is resumable
)

// Error is an error meant for a person: Code says its kind, Message says
// what happened in one line, Hint (optional) says what to do next, e.g. the
// command to run. Err is the underlying cause, if any: a *RemoteError for
// a server's answer, a *Busy for a lock another process holds. Engines and
// adapters return the facts; internal/cli writes the next commands (one
// table), and hints about an input's own shape are written where it is
// read.
type Error struct {
	Code    string
	Message string
	Hint    string
	Err     error
}

// Error returns the message (the cause's text when Message is empty),
// followed by the hint in parentheses when there is one.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Hint != "" {
		return msg + " (" + e.Hint + ")"
	}
	return msg
}

// Unwrap returns the underlying cause, Err (nil if none), so that
// errors.Is and errors.As see through an *Error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return EInternal
}
