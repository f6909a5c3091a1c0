package fedimarks

import "time"

// BackupRun is one pass of a backup over an account's bookmarks, kept in
// the archive so that an interrupted pass can be finished later.
//
// Positions of the bookmarks a run saves derive from ID and Index: a later
// run's bookmarks sort above an earlier run's, and within a run the order
// of the server's listing (newest first) is kept.
type BackupRun struct {
	ID      int64
	Account Handle
	// Full runs walk every page and, when they finish, record the
	// bookmarks they did not see as removed.
	Full      bool
	StartedAt time.Time
	// NextURL is the page to fetch next when the run resumes ("" when it
	// has not fetched anything yet or reached the end).
	NextURL string
	// Index counts the bookmarks the run has positioned so far.
	Index                      int64
	Pages, New, Seen, Restored int
}
