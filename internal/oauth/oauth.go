// Package oauth signs a person in to a fediverse server: it runs the
// protocol (for Mastodon's API: app registration, PKCE, state, the
// loopback receiver, the out-of-band code, scope negotiation) and asks
// the person only through a Prompter, which the command line supplies
// with the terminal and the browser. A flow returns a token and the
// account it belongs to; it saves neither.
//
// Mastodon is the flow of servers that speak Mastodon's API (Mastodon,
// GoToSocial, snac, Akkoma, Pixelfed). Misskey's MiAuth is meant to be a
// second flow beside it, behind the same Prompter and Result.
package oauth

import (
	"context"
	"errors"

	"github.com/fedimarks/fedimarks"
)

// Prompter is the person signing in, as a flow reaches them. Its methods
// are called from one goroutine at a time.
type Prompter interface {
	// Say tells the person one line (it may hold a server's text).
	Say(line string)
	// CanOpenBrowser reports whether a browser can be opened here (a
	// display, an opener). When it cannot, a flow has the person open
	// addresses themselves and paste what the page shows.
	CanOpenBrowser() bool
	// OpenBrowser opens url in the person's browser and returns once the
	// browser is told, not when the page is done.
	OpenBrowser(url string) error
	// ReadCode shows prompt, then reads the code the person pastes from
	// the page. It gives up when ctx ends (returning ctx.Err()) or when
	// the person takes too long.
	ReadCode(ctx context.Context, prompt string) (string, error)
}

// Result is what a sign-in gives. Token is a secret: keep it out of
// output.
type Result struct {
	Token string
	// Account is whom the token belongs to (not yet saved), with the
	// scopes the server granted and its software.
	Account fedimarks.Account
	// Forgotten are apps kept here that the server turned out to have
	// forgotten during the sign-in: a token they issued (the one the
	// sign-in replaces) may need their credentials to be revoked (snac).
	Forgotten []fedimarks.App
}

// AppStore keeps the app registered on each server, so that a sign-in
// reuses it (Mastodon allows 5 registrations per address in 10 minutes).
type AppStore interface {
	// App returns the app kept for server, nil when none is.
	App(ctx context.Context, server string) (*fedimarks.App, error)
	// SaveApp keeps app for app.Server, replacing the one kept before.
	SaveApp(ctx context.Context, app fedimarks.App) error
	DeleteApp(ctx context.Context, server string) error
}

// What failed in a sign-in, for the caller to say what to do next. The
// errors a flow returns wrap them in a *fedimarks.Error that says what
// happened.
var (
	// ErrTooManyApps: the server refuses to register another app from
	// this address for now.
	ErrTooManyApps = errors.New("too many app registrations")
	// ErrWrongState: the browser's answer was not for this sign-in:
	// something other than the person's browser answered.
	ErrWrongState = errors.New("wrong state")
	// ErrDenied: the person or the server declined the app.
	ErrDenied = errors.New("not authorized")
	// ErrNoCode: the browser's answer carried no code.
	ErrNoCode = errors.New("no authorization code")
	// ErrTimedOut: no answer came from the browser in time.
	ErrTimedOut = errors.New("no approval in time")
	// ErrCodeRefused: the server refused the code: mistyped, expired or
	// already used.
	ErrCodeRefused = errors.New("authorization code refused")
)

// failure is a sign-in error: what happened (message) and what failed
// (kind, wrapped with the cause).
func failure(code string, kind, cause error, message string) error {
	return &fedimarks.Error{Code: code, Message: message, Err: errors.Join(kind, cause)}
}

// IdentifyError is a sign-in that got a token, then could not learn whose
// it is: the server refused or did not answer the account's own request.
// Its text is the cause's.
type IdentifyError struct{ Err error }

func (e *IdentifyError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *IdentifyError) Unwrap() error { return e.Err }
