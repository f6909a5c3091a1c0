package transfer

import (
	"context"
	"errors"

	"github.com/fedimarks/fedimarks"
)

// unreachable reports whether err says a server did not answer after the
// client's retries; for the import a deadline that ran out counts too.
func unreachable(err error) bool {
	if fedimarks.IsUnreachable(err) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) && !isCanceled(err)
}

func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// destinationFailed reports whether err says the destination itself did
// not answer properly: no answer after the client's retries, or a failure
// of its own. A search's word that the post's server did not answer it
// blames that server, not the destination; the same word to a bookmark
// request blames the destination.
func destinationFailed(err error, bookmark bool) bool {
	if err == nil || isCanceled(err) {
		return false
	}
	switch fedimarks.ErrorKind(err) {
	case fedimarks.KindServerError, fedimarks.KindUnreachable:
		return true
	case fedimarks.KindRemoteFetch:
		return bookmark
	case "":
		return unreachable(err)
	}
	return false
}

// verdict is how the engine reads one remote error.
type verdict int

const (
	vFailed      verdict = iota // the row fails with the server's message
	vNotFound                   // unknown or invisible, or gone
	vNotVisible                 // forbidden to the account
	vUnreachable                // the post's server did not answer the destination's fetch
	vDestDown                   // the destination did not answer, or failed on its own
	vAlready                    // snac's refusal of a bookmark: already bookmarked
	vFatal                      // stops the job: auth, scope, interrupt, rate limit exhausted
)

// classify reads an error of Resolve (bookmark false) or Bookmark (true).
// A fatal verdict comes with the *fedimarks.Error to stop the job with.
// snac says whether the destination is snac, whose refusal of a bookmark
// (KindConflict: its 422) means it is there already.
func classify(err error, bookmark bool, dest fedimarks.Handle, snac bool) (verdict, error) {
	if isCanceled(err) {
		return vFatal, interrupted(err)
	}
	switch fedimarks.ErrorKind(err) {
	case fedimarks.KindAuth:
		return vFatal, &fedimarks.Error{Code: fedimarks.EAuth, Message: string(dest) + " rejected the access token", Err: err}
	case fedimarks.KindScope:
		return vFatal, &fedimarks.Error{Code: fedimarks.EScope, Message: "the token for " + string(dest) + " lacks a scope the import needs (read:bookmarks write:bookmarks read:search)", Err: err}
	case fedimarks.KindRateLimited:
		return vFatal, &fedimarks.Error{Code: fedimarks.EUnavailable, Message: string(dest) + " kept answering 429 Too many requests", Err: err}
	case fedimarks.KindForbidden:
		return vNotVisible, nil
	case fedimarks.KindNotFound, fedimarks.KindGone:
		return vNotFound, nil
	case fedimarks.KindConflict:
		if bookmark && snac {
			return vAlready, nil
		}
	case fedimarks.KindRemoteFetch:
		if !bookmark {
			return vUnreachable, nil
		}
	}
	if destinationFailed(err, bookmark) {
		return vDestDown, nil
	}
	return vFailed, nil
}

// notFoundOutcome is the outcome of a row whose post the destination could
// not find: a followers-only or direct post is most likely there but not
// visible to this account, so it says what to do.
func notFoundOutcome(it fedimarks.JobItem) (fedimarks.Outcome, string) {
	switch it.Visibility {
	case "private":
		who := authorOf(it)
		return fedimarks.NotVisible, "followers-only post: " + followAdvice(who, destinationAccount)
	case "direct":
		return fedimarks.NotVisible, "direct message: only the accounts it mentions can see it"
	}
	if it.Visibility == "" {
		// From a file: nothing says whether the post was public, and a
		// followers-only or direct post looks exactly like a deleted one.
		return fedimarks.NotFound, unknownVisibilityDetail
	}
	return fedimarks.NotFound, "the destination found no such post (deleted, or unknown to its server)"
}

// unknownVisibilityDetail is the detail of a not_found row whose
// visibility the input did not say.
var unknownVisibilityDetail = "the destination found no such post: deleted, unknown, or followers-only/direct: " + followAdvice("the author", destinationAccount)

// errDetail is the detail of a failed row: the error's text, which for an
// API error is the method, path, status and the server's message (never
// the token).
func errDetail(err error) string {
	return err.Error()
}
