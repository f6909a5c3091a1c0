package transfer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// destListing is what the run knows of the destination's bookmarks.
type destListing struct {
	// set holds the addresses of the destination's bookmarks.
	set keySet
	// read is how many bookmarks the destination listed in this run (a
	// rerun lists only those made since the last reading).
	read int
	// skipped is set when the destination's bookmarks were not read
	// because every row to do was compared with them before: the rows are
	// then searched, even those whose destination id is known, and the
	// search's answer says whether the post was bookmarked since.
	skipped bool
}

// errListingKnown stops the reading of the destination's bookmarks where
// it reaches those of the last reading.
var errListingKnown = errors.New("reached the bookmarks read before")

// knownRun is how many bookmarks of the last reading must follow each
// other, in that reading's order, for a rerun to stop reading there: one
// post unbookmarked and bookmarked again since comes first in the listing
// (it is new) and must not stop the reading.
const knownRun = 3

// readExisting reads the destination's bookmarks, as little as it can:
// not at all when every row to do was compared with the job's last reading
// (their searches tell whether a post was bookmarked since); down to the
// bookmarks of the last reading when there was one (new bookmarks come
// first in the listing), the rest taken from it; else all of them. What it
// saw is stored with the job for the next run.
func (r *run) readExisting(ctx context.Context, todo []int) error {
	prev, err := r.lastListing(ctx)
	if err != nil {
		return err
	}
	if prev != nil && r.allCompared(todo, prev) {
		r.listing.set, r.listing.skipped = listingSet(prev.Bookmarks), true
		return nil
	}
	fresh, reached, err := r.listNew(ctx, prev)
	if err != nil {
		return err
	}
	r.listing.read = len(fresh)
	all := fresh
	if reached {
		all = withEarlier(fresh, prev.Bookmarks)
	}
	r.listing.set = listingSet(all)
	return r.saveListing(ctx, all)
}

// lastListing is the job's last reading of the destination's bookmarks,
// nil if none.
func (r *run) lastListing(ctx context.Context) (*fedimarks.JobListing, error) {
	if r.job.ID == 0 {
		return nil, nil
	}
	l, err := r.im.Journal.JobListing(ctx, r.job.ID)
	if err != nil {
		return nil, fmt.Errorf("read job %d: %w", r.job.ID, err)
	}
	return l, nil
}

// allCompared reports whether every row of todo was compared with the
// last reading (it was made when the job had more rows than their Seq).
func (r *run) allCompared(todo []int, prev *fedimarks.JobListing) bool {
	for _, i := range todo {
		if r.rows[i].Seq >= prev.Rows {
			return false
		}
	}
	return true
}

// listNew reads the destination's bookmarks, newest first, down to where
// they reach those of the last reading (reached), if any.
func (r *run) listNew(ctx context.Context, prev *fedimarks.JobListing) (fresh []fedimarks.ListedBookmark, reached bool, err error) {
	tail := newKnownTail(prev)
	err = r.im.Lister.EachBookmark(ctx, func(page []fedimarks.Status) error {
		for _, s := range page {
			fresh = append(fresh, listedOf(s))
			reached = tail.see(s.ID) || reached
		}
		if reached {
			return errListingKnown
		}
		return nil
	})
	if errors.Is(err, errListingKnown) {
		err = nil
	}
	if err != nil {
		if v, fatal := classify(err, false, r.req.Destination, false); v == vFatal {
			return nil, false, fatal
		}
		why := err.Error()
		var re *fedimarks.RemoteError
		unreachable := fedimarks.ErrorKind(err) == fedimarks.KindUnreachable
		switch {
		case unreachable && errors.As(err, &re) && re.Status != "":
			// It answered, that it cannot now (503 while it is down
			// for maintenance): say the answer, not "did not answer".
			why = r.destHost + " answers " + re.Status
			if re.Message != "" && !strings.Contains(re.Status, re.Message) {
				why += " (" + re.Message + ")"
			}
		case unreachable:
			// No answer at all: what happened, not the request and the
			// socket call around it.
			why = r.destHost + " did not answer (" + cause(err) + ")"
		}
		return nil, false, &fedimarks.Error{Code: fedimarks.EUnavailable, Message: "read the " + r.req.API.Marks() + " of " + string(r.req.Destination) + ": " + why, Err: err}
	}
	return fresh, reached, nil
}

// knownTail tells when a listing reaches the bookmarks of the last
// reading: knownRun of them in a row, in that reading's order.
type knownTail struct {
	pos          map[string]int // a bookmark's place in the last reading
	need         int            // 0: there is no last reading
	streak, last int
}

func newKnownTail(prev *fedimarks.JobListing) *knownTail {
	k := &knownTail{}
	if prev == nil {
		return k
	}
	k.pos = make(map[string]int, len(prev.Bookmarks))
	for i, b := range prev.Bookmarks {
		if _, ok := k.pos[b.ID]; !ok {
			k.pos[b.ID] = i
		}
	}
	k.need = min(knownRun, len(prev.Bookmarks))
	return k
}

// see counts the listed bookmark id and reports whether the listing has
// reached the last reading.
func (k *knownTail) see(id string) bool {
	if p, ok := k.pos[id]; ok && id != "" {
		if k.streak > 0 && p > k.last {
			k.streak++
		} else {
			k.streak = 1
		}
		k.last = p
	} else {
		k.streak = 0
	}
	return k.need > 0 && k.streak >= k.need
}

// withEarlier completes a listing that stopped where it reached the last
// reading: below that point, the listing is the last reading's (less what
// was unbookmarked since, which cannot be told).
func withEarlier(fresh, earlier []fedimarks.ListedBookmark) []fedimarks.ListedBookmark {
	have := make(map[string]bool, len(fresh))
	for _, b := range fresh {
		have[b.ID] = true
	}
	all := fresh
	for _, b := range earlier {
		if !have[b.ID] {
			all = append(all, b)
		}
	}
	return all
}

// saveListing stores what the run saw of the destination's bookmarks with
// the job, for the next run (not for a dry run).
func (r *run) saveListing(ctx context.Context, all []fedimarks.ListedBookmark) error {
	if r.req.DryRun || r.job.ID == 0 {
		return nil
	}
	if err := r.im.Journal.SaveJobListing(ctx, r.job.ID, fedimarks.JobListing{Rows: len(r.rows), Bookmarks: all}); err != nil {
		return fmt.Errorf("journal job %d: %w", r.job.ID, err)
	}
	return nil
}

// listedOf keeps what matching needs of a listed status: its id and the
// addresses of it and of the post it boosts.
func listedOf(s fedimarks.Status) fedimarks.ListedBookmark {
	b := fedimarks.ListedBookmark{ID: s.ID}
	for _, a := range []string{s.URI, s.URL} {
		if a != "" && !strings.ContainsRune(a, '\t') {
			b.Addrs = append(b.Addrs, a)
		}
	}
	if s.Reblog != nil {
		for _, a := range []string{s.Reblog.URI, s.Reblog.URL} {
			if a != "" && !strings.ContainsRune(a, '\t') {
				b.Addrs = append(b.Addrs, a)
			}
		}
	}
	return b
}

func listingSet(bs []fedimarks.ListedBookmark) keySet {
	set := make(keySet, 4*len(bs))
	for _, b := range bs {
		set.add(b.ID, b.Addrs...) // find then tells the bookmark's id on the destination
	}
	return set
}
