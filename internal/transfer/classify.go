package transfer

import (
	"context"
	"errors"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// httpStatus returns the HTTP status of an API error (internal/mastodon's
// *APIError has HTTPStatus), or 0 when the server gave no answer.
func httpStatus(err error) int {
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatus()
	}
	return 0
}

// unreachable reports whether err says a server did not answer after the
// client's retries.
func unreachable(err error) bool {
	var u interface{ Unreachable() bool }
	if errors.As(err, &u) && u.Unreachable() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) && !isCanceled(err)
}

func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// verdict is how the engine reads one remote error.
type verdict int

const (
	vFailed      verdict = iota // the row fails with the server's message
	vNotFound                   // 404: unknown or invisible
	vNotVisible                 // 403
	vUnreachable                // the post's server (or the destination) did not answer
	vAlready                    // 422 to a bookmark: snac's answer for an already-bookmarked post
	vFatal                      // stops the job: auth, scope, interrupt, rate limit exhausted
)

// classify reads an error of Resolve (bookmark false) or Bookmark (true).
// A fatal verdict comes with the *fedimarks.Error to stop the job with.
func classify(err error, bookmark bool, dest fedimarks.Handle) (verdict, error) {
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
	case st == 422 && bookmark:
		return vAlready, nil
	case st == 502 || st == 503 || st == 504:
		return vUnreachable, nil
	case st != 0:
		return vFailed, nil
	}
	if unreachable(err) {
		return vUnreachable, nil
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
		return fedimarks.NotVisible, "followers-only post: follow " + who + " from the destination account first, then rerun with --retry-failed"
	case "direct":
		return fedimarks.NotVisible, "direct message: only the accounts it mentions can see it"
	}
	return fedimarks.NotFound, "the destination found no such post (deleted, or unknown to its server)"
}

// authorOf names a row's author as well as the row allows: the profile
// URL, else user@host from a /users/NAME/ or /@NAME/ path, else "its author".
func authorOf(it Item) string {
	if it.AuthorURL != "" {
		return it.AuthorURL
	}
	for _, a := range []string{it.URI, it.URL} {
		host := fedimarks.HostOf(a)
		if host == "" {
			continue
		}
		_, rest, _ := strings.Cut(a, host)
		parts := strings.Split(strings.Trim(rest, "/"), "/")
		if len(parts) >= 2 && parts[0] == "users" && parts[1] != "" {
			return parts[1] + "@" + host
		}
		if len(parts) >= 1 && strings.HasPrefix(parts[0], "@") && len(parts[0]) > 1 {
			return parts[0][1:] + "@" + host
		}
	}
	return "its author"
}

// errDetail is the detail of a failed row: the error's text, which for an
// API error is the method, path, status and the server's message (never
// the token).
func errDetail(err error) string {
	return err.Error()
}
