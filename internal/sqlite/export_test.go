package sqlite

import (
	"context"
	"database/sql"

	fedimarks "github.com/fedimarks/fedimarks"
)

// SetTimelineEvery sets how far apart a timeline's page anchors are, for
// tests over small archives, and returns what puts it back.
func SetTimelineEvery(n int) (restore func()) {
	old := timelineEvery
	timelineEvery = n
	return func() { timelineEvery = old }
}

// AnchorWalks returns how many listings a has read in full to find their
// page anchors (not counting anchors read as the backup stored them).
func AnchorWalks(a *Archive) int64 { return a.anchors.walks.Load() }

// CountReads returns how many searches a has counted from their listing
// (not from a kept count).
func CountReads(a *Archive) int64 { return a.counts.reads.Load() }

// NoOrders makes a search in SQL alone: no listing order answers it (see
// listOrder), as in a process whose stored order is behind.
func NoOrders(a *Archive) { a.noOrders = true }

// OrderBuilds returns how many listing orders a has built from the
// bookmarks (not read from listing_orders).
func OrderBuilds(a *Archive) int {
	a.orders.mu.Lock()
	defer a.orders.mu.Unlock()
	return a.orders.builds
}

// OrderedAnswers reports whether a listing order answers q now (see
// searchOrdered): q is one it can answer and the account's order is at
// hand at its generation, kept, stored or built.
func OrderedAnswers(ctx context.Context, a *Archive, q fedimarks.Query) (bool, error) {
	notes, err := a.notesMatch(ctx, q)
	if err != nil || !ordered(q, notes) {
		return false, err
	}
	tx, err := a.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	_, ok, err := a.searchOrdered(ctx, tx, q, false)
	return ok, err
}

// OrderReads returns how many listing orders this process has read in
// full from the bookmarks (not followed from the log, not decoded).
func OrderReads() int64 { return orderReads.Load() }

// ListOrderFormat is the packing of listing_orders.entries this version
// writes.
const ListOrderFormat = listOrderFormat
