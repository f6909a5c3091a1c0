// Package transfer is the import engine: it plans a list of bookmarks to
// write into a destination account, journals the plan as a durable job
// before any remote request, resolves posts on the destination (a few
// workers ahead), bookmarks them strictly in order with one writer, and
// reports one outcome per row.
//
// The engine knows no concrete client or database: it declares the small
// ports it needs (Writer, Lister, Journal, VisibilityFinder, Progress) and
// internal/cli joins internal/mastodon and internal/sqlite to them.
//
// Durability: every row's state is committed as it happens. Before each
// bookmark request the row is marked in flight (committed), and its outcome
// is committed right after the answer. A run killed at any moment and rerun
// with the same request costs no request for finished rows; a row found in
// flight is simply redone (bookmarking is idempotent).
//
// The engine reads in the order it works: run.go (Importer.Run and the
// Report it returns), reconcile.go (find or create the job, add new rows,
// put rows to retry back to pending), listing.go (read what the
// destination holds already, as little as possible), pipeline.go
// (resolvers a few rows ahead of the one writer), row.go (each row's
// state machine, from its resolve answer to its committed outcome).
// summary.go says in words what a Report holds; the caller prints it.
package transfer

import (
	"context"
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

// Journal is the durable store of import jobs: internal/sqlite's Archive
// satisfies it as it is. It is larger than the engine's other ports
// because the engine owns the job's whole life: every method must commit
// before it returns. journaltest.Run checks an implementation against
// this contract.
type Journal interface {
	// FindJob returns the job with the key, or nil, nil.
	FindJob(ctx context.Context, key string) (*fedimarks.ImportJob, error)
	// CreateJob stores the job and its items (stably sorted by Seq and
	// renumbered from 0; an empty outcome is pending) in one transaction
	// and returns the stored job, or an error wrapping
	// fedimarks.ErrJobExists (and stores nothing) when a job with the key
	// exists.
	CreateJob(ctx context.Context, job fedimarks.ImportJob, items []fedimarks.JobItem) (*fedimarks.ImportJob, error)
	// AddJobItems appends the items whose URI is not yet in the job (nor
	// an earlier item of the call), Seq continuing after the job's last
	// row, and returns how many.
	AddJobItems(ctx context.Context, jobID int64, items []fedimarks.JobItem) (int, error)
	// JobItems returns the job's items in Seq order, PostURI included; no
	// outcomes means all.
	JobItems(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) ([]fedimarks.JobItem, error)
	// ResetOutcomes puts the job's rows with the given outcomes (every
	// row not pending, when none is given) back to pending, clearing
	// detail and in flight but keeping attempts and destination ids, and
	// returns how many.
	ResetOutcomes(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) (int, error)
	// MarkInFlight records that a bookmark request for the item is about
	// to be sent (in flight set, dest id stored, attempts incremented).
	MarkInFlight(ctx context.Context, itemID int64, destID string) error
	// SetOutcome records the item's outcome (final, or pending) and clears
	// in flight; an empty destID keeps the one stored.
	SetOutcome(ctx context.Context, itemID int64, o fedimarks.Outcome, detail, destID string) error
	// SetJobItemPostURI records the URI of the post the item resolved to
	// on the destination (see fedimarks.JobItem.PostURI).
	SetJobItemPostURI(ctx context.Context, itemID int64, uri string) error
	// JobListing returns what the job's last reading of the destination's
	// bookmarks saw, or nil, nil.
	JobListing(ctx context.Context, jobID int64) (*fedimarks.JobListing, error)
	// SaveJobListing stores the job's listing, replacing the one before.
	SaveJobListing(ctx context.Context, jobID int64, l fedimarks.JobListing) error
}

// Locker keeps two imports from writing into one destination at once, in
// this process or another: with two writers every row would be written
// twice and the destination's order lost. Lock takes the destination's
// lock for the whole run and returns the function that releases it; when
// another run holds it, Lock returns an error that names that run (its
// PID) and the engine stops before doing anything.
type Locker interface {
	Lock(ctx context.Context, dest fedimarks.Handle) (unlock func(), err error)
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
