// Package transfer is the import engine: it plans a list of bookmarks to
// write into a destination account, journals the plan as a durable job
// before any remote request, resolves posts on the destination (a few
// workers ahead), bookmarks them strictly in order with one writer, and
// reports one outcome per row.
//
// The engine knows no concrete client or database: it declares the small
// ports it needs (Writer, Lister, Journal, VisibilityFinder, Progress) and
// internal/cli adapts internal/mastodon and internal/sqlite to them.
//
// Durability: every row's state is committed as it happens. Before each
// bookmark request the row is marked in flight (committed), and its outcome
// is committed right after the answer. A run killed at any moment and rerun
// with the same request costs no request for finished rows; a row found in
// flight is simply redone (bookmarking is idempotent).
package transfer

import (
	"context"
	"errors"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Writer is the destination account as the engine writes to it.
// Implementations must be safe for concurrent use: Resolve runs in several
// goroutines while Bookmark runs in one.
type Writer interface {
	// Resolve returns the destination's own copy of the post with the given
	// URI or URL (search with resolve=true), or nil, nil when the server
	// has none.
	Resolve(ctx context.Context, uri string) (*fedimarks.Status, error)
	// Bookmark bookmarks the post with the destination's own id.
	Bookmark(ctx context.Context, id string) (fedimarks.Status, error)
}

// Lister reads an account's current bookmarks, one page of statuses at a
// time, in the server's order (newest bookmark first). Returning an error
// from fn ends the walk with that error.
type Lister interface {
	EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error
}

// VisibilityFinder looks posts up in the local archive, many at once, by
// URI or URL, and returns the visibility of those found by the address
// asked (absent when not there). The engine uses it only to learn the
// visibility of rows whose input did not carry it.
type VisibilityFinder interface {
	Visibilities(ctx context.Context, addrs []string) (map[string]string, error)
}

// Progress receives progress as rows finish. ui.Progress satisfies it.
type Progress interface {
	Add(n int64)
	SetTotal(n int64)
	Note(format string, args ...any)
}

// Journal is the durable store of import jobs (internal/sqlite's archive,
// through an adapter). It is larger than the engine's other ports because
// the engine owns the job's whole life: every method must commit before it
// returns.
type Journal interface {
	// FindJob returns the job with the key, or nil, nil.
	FindJob(ctx context.Context, key string) (*Job, error)
	// CreateJob stores the job and its items (in Seq order, with the
	// outcomes given) in one transaction and returns the stored job, or
	// ErrJobExists (stores nothing) when a job with the key exists.
	CreateJob(ctx context.Context, job Job, items []Item) (*Job, error)
	// AddJobItems appends items whose URI is not yet in the job, Seq
	// continuing after the job's last row.
	AddJobItems(ctx context.Context, jobID int64, items []Item) (int, error)
	// JobItems returns the job's items in Seq order; no outcomes means all.
	JobItems(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) ([]Item, error)
	// ResetOutcomes puts the job's rows with the given outcomes back to
	// pending and returns how many.
	ResetOutcomes(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) (int, error)
	// MarkInFlight records that a bookmark request for the item is about
	// to be sent (in_flight set, dest id stored, attempts incremented).
	MarkInFlight(ctx context.Context, itemID int64, destID string) error
	// SetOutcome records the item's outcome (final, or pending) and clears
	// in flight.
	SetOutcome(ctx context.Context, itemID int64, o fedimarks.Outcome, detail, destID string) error
	// SetPostURI records the URI of the post the item resolved to on the
	// destination (see Item.PostURI).
	SetPostURI(ctx context.Context, itemID int64, uri string) error
	// Listing returns what the job's last reading of the destination's
	// bookmarks saw, or nil, nil.
	Listing(ctx context.Context, jobID int64) (*Listing, error)
	// SaveListing stores the job's listing, replacing the one before.
	SaveListing(ctx context.Context, jobID int64, l Listing) error
}

// Listing is what a job's last reading of the destination's bookmarks
// saw. A rerun reads the listing only down to the bookmarks seen then (new
// bookmarks come first) and takes the rest from here; when every row to do
// was compared with it, the rerun reads nothing and lets each row's search
// tell whether the post was bookmarked since. Its fields mirror
// internal/sqlite's JobListing (less the time it was read).
type Listing struct {
	// Rows is how many of the job's rows (Seq below it) were compared
	// with the listing.
	Rows int
	// Bookmarks are in the destination's order, newest first.
	Bookmarks []Listed
}

// Listed is one bookmark of a Listing: the post's id on the destination
// and its addresses (URI, URL, and those of a boosted post).
type Listed struct {
	ID    string
	Addrs []string
}

// ErrJobExists is returned (wrapped) by Journal.CreateJob when a job with
// the key is stored already: another run created it first. The engine then
// loads that job instead.
var ErrJobExists = errors.New("an import job with this key exists")

// Locker keeps two imports from writing into one destination at once, in
// this process or another: with two writers every row would be written
// twice and the destination's order lost. Lock takes the destination's
// lock for the whole run and returns the function that releases it; when
// another run holds it, Lock returns an error that names that run (its
// PID) and the engine stops before doing anything.
type Locker interface {
	Lock(ctx context.Context, dest fedimarks.Handle) (unlock func(), err error)
}

// Job is a durable import job. Its fields mirror internal/sqlite's Job
// field for field, so an adapter converts with a plain type conversion.
type Job struct {
	ID int64
	// Key identifies the same command: see Key.
	Key         string
	Destination fedimarks.Handle
	Inputs      []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DryRun      bool
}

// Item is one row of a job. Its fields mirror internal/sqlite's JobItem,
// plus PostURI, which the archive keeps beside (JobPostURIs).
type Item struct {
	ID int64
	// Seq is the write order: 0 is written first (the oldest bookmark).
	Seq        int
	URI        string
	URL        string
	AuthorURL  string
	Source     string
	Visibility string
	CreatedAt  time.Time
	Outcome    fedimarks.Outcome
	Detail     string
	// DestID is the post's id on the destination, once known.
	DestID   string
	Attempts int
	// InFlight is set while a bookmark request is out; a row found in
	// flight on a rerun is redone.
	InFlight  bool
	UpdatedAt time.Time
	// PostURI is the ActivityPub URI of the post the destination's search
	// found for the row, when it differs from the row's URI (a row read
	// as a web address); "" when nothing was resolved.
	PostURI string
}

// PostLink is the row's address for Mastodon's importer: the resolved
// post's URI when known, else Address.
func (it Item) PostLink() string {
	if it.PostURI != "" {
		return it.PostURI
	}
	return it.Address()
}

// Address is the row's post address as reports and journals name it: the
// URI first (the post's identity on every server), else the URL. It is
// not filtered to http(s): an invalid row's address is the input's text.
func (it Item) Address() string {
	if it.URI != "" {
		return it.URI
	}
	return it.URL
}

// RateLimit is the destination's request budget for one token. The zero
// value means Mastodon's: 300 requests per 5 minutes.
type RateLimit struct {
	Requests int
	Window   time.Duration
}

func (r RateLimit) orDefault() RateLimit {
	if r.Requests <= 0 || r.Window <= 0 {
		return RateLimit{Requests: 300, Window: 5 * time.Minute}
	}
	return r
}

// duration is how long n requests take at the sustained rate of r.
func (r RateLimit) duration(n int) time.Duration {
	r = r.orDefault()
	return time.Duration(int64(n) * int64(r.Window) / int64(r.Requests))
}
