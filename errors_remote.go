package fedimarks

import (
	"errors"
	"fmt"
)

// Kind is what a server's answer to one request means, or its silence.
// The adapter that sent the request (internal/mastodon; a Misskey adapter
// later) decides it once, from its protocol's status, body and request,
// and returns a *RemoteError; engines and internal/cli switch on the Kind
// and never read a protocol's numbers or a server's wording. The kinds are
// protocol-neutral: each says what the answer means for fedimarks, not how
// a protocol spells it.
type Kind string

// The kinds of answers. An answer that fits none (say a 405 from an HTTP
// server) is a RemoteError with Kind "": it means nothing more than what
// its text says.
const (
	// KindNotFound: the server knows no such thing (a post, an account),
	// or will not say to this account that it exists.
	KindNotFound Kind = "not_found"
	// KindGone: the server says the thing existed and was deleted.
	KindGone Kind = "gone"
	// KindForbidden: the server refuses this account this request, for a
	// reason other than a missing scope (a post it may not see or act on).
	// On a request about the whole account it most likely means a missing
	// permission too; Scope then names the one the request needs.
	KindForbidden Kind = "forbidden"
	// KindScope: the credential lacks a permission the request needs;
	// Scope names it when known. Signing in again grants it.
	KindScope Kind = "scope"
	// KindAuth: the server refused the credential the request presented:
	// the access token is missing, invalid or revoked, or, at sign-in, the
	// authorization code is wrong, expired or used. Sign in again.
	KindAuth Kind = "auth"
	// KindNotUser: the credential is valid but is an application's, not a
	// signed-in user's, and the request needs a user.
	KindNotUser Kind = "not_user"
	// KindAppUnknown: at sign-in, the server does not know the application
	// fedimarks registered on it (its admin removed it, or it was reset):
	// register again.
	KindAppUnknown Kind = "app_unknown"
	// KindRateLimited: the server's request budget stayed spent through
	// the adapter's waits.
	KindRateLimited Kind = "rate_limited"
	// KindInvalid: the server refused the request as malformed.
	KindInvalid Kind = "invalid"
	// KindConflict: the server understood the request but will not do it
	// as things stand: it fails the server's checks, or it is done already
	// (snac refuses a second bookmark of a post this way).
	KindConflict Kind = "conflict"
	// KindUnreachable: the server did not answer, after the adapter's
	// retries: no connection, no answer in time, or a gateway or overload
	// answer in its stead.
	KindUnreachable Kind = "unreachable"
	// KindRemoteFetch: the server answered that another server, from which
	// it had to fetch what was asked (a post's own server), did not answer
	// it. The server asked is up; the other one is not.
	KindRemoteFetch Kind = "remote_fetch"
	// KindServerError: the server answered with a failure of its own.
	KindServerError Kind = "server_error"
	// KindRedirected: the server sent the request, or the next page of a
	// listing, to another server: not followed, since the answer would not
	// be the account's, and the credential goes nowhere else.
	KindRedirected Kind = "redirected"
)

// Kinds lists every Kind, for tables that must cover them all.
var Kinds = []Kind{KindNotFound, KindGone, KindForbidden, KindScope, KindAuth, KindNotUser, KindAppUnknown,
	KindRateLimited, KindInvalid, KindConflict, KindUnreachable, KindRemoteFetch, KindServerError, KindRedirected}

// RemoteError is a server's answer to a request, or its silence, as the
// domain reads it: what it means (Kind) and the facts messages need. Its
// text is the adapter's error's: the request, the answer and the server's
// own words (never a token).
type RemoteError struct {
	// Kind is what the answer means; "" for an answer that fits no kind.
	Kind Kind
	// Scope names, for KindScope and KindForbidden, the permission the
	// refused request needs, as the server named it or as the adapter
	// knows the request (space-separated when several; "" unknown).
	Scope string
	// Status is the answer's status in a few words for messages, as its
	// protocol writes it ("410 Gone"); "" when the server did not answer.
	// Nothing compares it.
	Status string
	// Message is what the server said of its refusal, one clean line
	// ("Record not found"); "" when it said nothing.
	Message string
	// Err is the adapter's own error, never nil.
	Err error
}

// Error returns the adapter's error's text.
func (e *RemoteError) Error() string { return e.Err.Error() }

// Unwrap returns the adapter's error, so that errors.As can still reach
// its own type (for its details in messages).
func (e *RemoteError) Unwrap() error { return e.Err }

// ErrorKind returns the Kind of the first *RemoteError in err's chain, and
// "" when there is none (err is nil, or not about a server's answer) or
// the answer fits no kind.
func ErrorKind(err error) Kind {
	var re *RemoteError
	if errors.As(err, &re) {
		return re.Kind
	}
	return ""
}

// IsUnreachable reports whether err says a server did not answer: the one
// asked (KindUnreachable), or one it had to fetch from (KindRemoteFetch).
// A local failure, such as a full disk, is not unreachable. It is named
// IsUnreachable because Unreachable is the outcome of an import row.
func IsUnreachable(err error) bool {
	switch ErrorKind(err) {
	case KindUnreachable, KindRemoteFetch:
		return true
	}
	return false
}

// Busy is the cause of an error saying that another fedimarks process
// holds the work asked for (an import into an account, a backup of it):
// waiting for it to finish, then running the command again, is the next
// step.
type Busy struct {
	// PID is the other process's id, Host the machine it runs on.
	PID  int
	Host string
}

// Error returns e.g. "held by fedimarks PID 42 on laptop".
func (b *Busy) Error() string { return fmt.Sprintf("held by fedimarks PID %d on %s", b.PID, b.Host) }
