package fedimarks

import "errors"

// IsUnreachable reports whether err says a server did not answer: some
// error in its chain has an Unreachable() bool method that returns true
// (internal/mastodon marks a request that got no HTTP answer, and a
// 502/503/504 after the client's retries, this way). A local failure, such
// as a full disk, is not unreachable. It is named IsUnreachable because
// Unreachable is the outcome of an import row.
func IsUnreachable(err error) bool {
	var u interface{ Unreachable() bool }
	return errors.As(err, &u) && u.Unreachable()
}

// HTTPStatus returns the HTTP status of the first error in err's chain
// that has an HTTPStatus() int method (internal/mastodon's API errors do),
// or 0 when there is none: the server gave no HTTP answer, or err is not
// about HTTP at all.
func HTTPStatus(err error) int {
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatus()
	}
	return 0
}
