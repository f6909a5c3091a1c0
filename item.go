package fedimarks

import "time"

// Outcome is how one import row ended. Every row ends in exactly one.
type Outcome string

// The outcomes of an import row.
const (
	// Pending: not done yet (resumable state, never a final outcome).
	Pending Outcome = "pending"
	// Imported: bookmarked on the destination by this run.
	Imported Outcome = "imported"
	// Already: the destination had it bookmarked before.
	Already Outcome = "already"
	// Duplicate: the same post appeared earlier in the input.
	Duplicate Outcome = "duplicate"
	// NotFound: the post is deleted or unknown to every server asked.
	NotFound Outcome = "not_found"
	// NotVisible: the post exists but this account may not see it
	// (followers-only: follow the author first; direct: only if mentioned).
	NotVisible Outcome = "not_visible"
	// Unreachable: the post's server did not answer after retries; retried
	// on the next run.
	Unreachable Outcome = "unreachable"
	// Invalid: the row is not a post URL.
	Invalid Outcome = "invalid"
	// Failed: anything else; Detail carries the server's message.
	Failed Outcome = "failed"
)

// Outcomes lists the final outcomes in report order.
var Outcomes = []Outcome{Imported, Already, Duplicate, NotFound, NotVisible, Unreachable, Invalid, Failed}

// Succeeded reports whether o leaves the bookmark in place on the
// destination (or needs nothing): imported, already or duplicate.
func (o Outcome) Succeeded() bool {
	return o == Imported || o == Already || o == Duplicate
}

// ImportItem is one row read from an input file (or an archive) to be
// bookmarked on a destination.
type ImportItem struct {
	// URI is the post's ActivityPub id or web URL, as read (trimmed).
	URI string
	// URL is the post's web page when the input has both (3-column CSV,
	// fedimarks json), else "".
	URL string
	// AuthorURL is the author's profile page, when known.
	AuthorURL string
	// CreatedAt is the post's creation time, when known.
	CreatedAt time.Time
	// Visibility is the post's visibility (public, unlisted, private,
	// direct) when the input carries it (fedimarks json, the archive);
	// it tells a post that needs a follow first from a deleted one.
	Visibility string
	// Source names where the row came from for error messages, e.g.
	// "bookmarks.csv:12".
	Source string
	// Order is the row's position counting from the oldest bookmark (0 is
	// the oldest): readers know their format's order and set it so that
	// rows are written oldest first.
	Order int
	// Invalid is set (with a reason) when the row is not a post URL; the
	// row is still reported, with outcome Invalid.
	Invalid string
	// Tags and Note are the local tags and note a fedimarks export
	// carried for the post, recorded for the destination account.
	Tags []string
	Note string
	// Folder is the bookmark folder the row was in at its source (a
	// fedimarks export, the archive), by name; nil for none. An import
	// into a server with folders files the bookmark there.
	Folder *Folder
}
