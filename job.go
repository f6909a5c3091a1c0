package fedimarks

import (
	"errors"
	"time"
)

// ImportJob is one import command's durable state: which rows go to which
// account, and (in its JobItems) how far it got. internal/sqlite stores
// it; internal/transfer runs it.
type ImportJob struct {
	ID int64
	// Key identifies the same command, so that running it again resumes
	// the job: a caller-computed hash of destination and inputs.
	Key         string
	Destination Handle
	// Inputs names what the rows were read from (files, or an archived
	// account), for reports.
	Inputs []string
	// CreatedAt is set when the job is stored (unless given); UpdatedAt
	// moves with every outcome.
	CreatedAt, UpdatedAt time.Time
	DryRun               bool
}

// JobItem is one row of an ImportJob.
type JobItem struct {
	ID int64
	// Seq is the write order: 0 is written first (the oldest bookmark).
	Seq                                     int
	URI, URL, AuthorURL, Source, Visibility string
	CreatedAt                               time.Time
	// Outcome is Pending until the row is done.
	Outcome Outcome
	// Detail says why, for outcomes other than imported.
	Detail string
	// DestID is the post's id on the destination, once known.
	DestID   string
	Attempts int
	// InFlight is set while a bookmark request is out (its outcome not
	// yet recorded); a row found in flight on a rerun is redone.
	InFlight  bool
	UpdatedAt time.Time
	// PostURI is the ActivityPub URI of the post the destination's search
	// found for the row, when it differs from the row's URI (a row read
	// as a web address); "" when nothing was resolved.
	PostURI string
}

// PostLink is the row's address for Mastodon's importer: the resolved
// post's URI when known, else Address.
func (it JobItem) PostLink() string {
	if it.PostURI != "" {
		return it.PostURI
	}
	return it.Address()
}

// Address is the row's post address as reports and journals name it: the
// URI first (the post's identity on every server), else the URL. It is
// not filtered to http(s): an invalid row's address is the input's text.
func (it JobItem) Address() string {
	if it.URI != "" {
		return it.URI
	}
	return it.URL
}

// JobListing is what an import job's last reading of the destination's
// bookmarks saw. A rerun reads the listing only down to the bookmarks seen
// then (new bookmarks come first) and takes the rest from here; when every
// row to do was compared with it, the rerun reads nothing and lets each
// row's search tell whether the post was bookmarked since.
type JobListing struct {
	// Rows is how many of the job's rows (Seq below it) were compared
	// with the listing.
	Rows int
	// ReadAt is when the destination was read; a zero ReadAt is stored
	// as the time of storing.
	ReadAt time.Time
	// Bookmarks are in the destination's order, newest first.
	Bookmarks []ListedBookmark
}

// ListedBookmark is one bookmark of a JobListing: the post's id on the
// destination and its addresses (URI, URL, and those of a boosted post).
// Addresses contain no tab.
type ListedBookmark struct {
	ID    string
	Addrs []string
}

// ErrJobExists is returned (wrapped) when an import job is created with a
// key that a stored job has already: another run created it first, and
// nothing was stored.
var ErrJobExists = errors.New("an import job with this key exists")
