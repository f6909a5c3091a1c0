package transfer

import (
	"context"
	"errors"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// httpStatus returns the HTTP status of an API error, or 0 when the server
// gave no answer.
func httpStatus(err error) int { return fedimarks.HTTPStatus(err) }

// unreachable reports whether err says a server did not answer after the
// client's retries; for the import a deadline that ran out counts too.
func unreachable(err error) bool {
	if fedimarks.IsUnreachable(err) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) && !isCanceled(err)
}

func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// remoteFetchFailed reports whether err is Mastodon's answer to a search
// whose post's server did not answer: 503 "Remote data could not be
// fetched". Only this answer blames the post's server; any other 5xx is
// the destination's own trouble.
func remoteFetchFailed(err error) bool {
	return httpStatus(err) == 503 && strings.Contains(strings.ToLower(err.Error()), "remote data could not be fetched")
}

// destinationFailed reports whether err says the destination itself did
// not answer properly: no answer after the client's retries, or a 5xx
// other than a search's remote-fetch failure.
func destinationFailed(err error, bookmark bool) bool {
	if err == nil || isCanceled(err) {
		return false
	}
	switch st := httpStatus(err); {
	case st >= 500:
		return bookmark || !remoteFetchFailed(err)
	case st != 0:
		return false
	}
	return unreachable(err)
}

// verdict is how the engine reads one remote error.
type verdict int

const (
	vFailed      verdict = iota // the row fails with the server's message
	vNotFound                   // 404: unknown or invisible
	vNotVisible                 // 403
	vUnreachable                // the post's server did not answer the destination's fetch
	vDestDown                   // the destination did not answer (5xx, no answer)
	vAlready                    // 422 to a bookmark on snac: already bookmarked
	vFatal                      // stops the job: auth, scope, interrupt, rate limit exhausted
)

// classify reads an error of Resolve (bookmark false) or Bookmark (true).
// A fatal verdict comes with the *fedimarks.Error to stop the job with.
// snac says whether the destination is snac, whose 422 to a bookmark means
// it is there already.
func classify(err error, bookmark bool, dest fedimarks.Handle, snac bool) (verdict, error) {
	if isCanceled(err) {
		return vFatal, &fedimarks.Error{Code: fedimarks.EInterrupted, Message: "import interrupted", Hint: "rerun the same command to resume", Err: err}
	}
	switch st := httpStatus(err); {
	case st == 401:
		return vFatal, &fedimarks.Error{Code: fedimarks.EAuth, Message: string(dest) + " rejected the access token",
			Hint: "log in to " + string(dest) + " again, then rerun the same command to resume", Err: err}
	case st == 403 && strings.Contains(strings.ToLower(err.Error()), "scope"):
		return vFatal, &fedimarks.Error{Code: fedimarks.EScope, Message: "the token for " + string(dest) + " lacks a scope the import needs (read:bookmarks write:bookmarks read:search)",
			Hint: "log in again, then rerun the same command to resume", Err: err}
	case st == 429:
		return vFatal, &fedimarks.Error{Code: fedimarks.EUnavailable, Message: string(dest) + " kept answering 429 Too many requests",
			Hint: "wait a few minutes, then rerun the same command to resume", Err: err}
	case st == 403:
		return vNotVisible, nil
	case st == 404 || st == 410:
		return vNotFound, nil
	case st == 422 && bookmark && snac:
		return vAlready, nil
	case st == 503 && !bookmark && remoteFetchFailed(err):
		return vUnreachable, nil
	}
	if destinationFailed(err, bookmark) {
		return vDestDown, nil
	}
	return vFailed, nil
}

// notFoundOutcome is the outcome of a row whose post the destination could
// not find: a followers-only or direct post is most likely there but not
// visible to this account, so it says what to do.
func notFoundOutcome(it Item) (fedimarks.Outcome, string) {
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
