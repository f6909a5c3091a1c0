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
	var prev *fedimarks.JobListing
	if r.job.ID != 0 {
		l, err := r.im.Journal.JobListing(ctx, r.job.ID)
		if err != nil {
			return fmt.Errorf("read job %d: %w", r.job.ID, err)
		}
		prev = l
	}
	if prev != nil {
		compared := true
		for _, i := range todo {
			compared = compared && r.rows[i].Seq < prev.Rows
		}
		if compared {
			r.listing.set, r.listing.skipped = listingSet(prev.Bookmarks), true
			return nil
		}
	}
	var (
		fresh        []fedimarks.ListedBookmark
		pos          map[string]int
		streak, last int
		stopped      bool
		need         int
	)
	if prev != nil {
		pos = make(map[string]int, len(prev.Bookmarks))
		for i, b := range prev.Bookmarks {
			if _, ok := pos[b.ID]; !ok {
				pos[b.ID] = i
			}
		}
		need = min(knownRun, len(prev.Bookmarks))
	}
	err := r.im.Lister.EachBookmark(ctx, func(page []fedimarks.Status) error {
		for _, s := range page {
			fresh = append(fresh, listedOf(s))
			if p, ok := pos[s.ID]; ok && s.ID != "" {
				if streak > 0 && p > last {
					streak++
				} else {
					streak = 1
				}
				last = p
			} else {
				streak = 0
			}
			stopped = stopped || (need > 0 && streak >= need)
		}
		if stopped {
			return errListingKnown
		}
		return nil
	})
	if errors.Is(err, errListingKnown) {
		err = nil
	}
	if err != nil {
		if v, fatal := classify(err, false, r.req.Destination, false); v == vFatal {
			return fatal
		}
		return &fedimarks.Error{Code: fedimarks.EUnavailable, Message: "read the bookmarks of " + string(r.req.Destination) + ": " + err.Error(), Err: err}
	}
	r.listing.read = len(fresh)
	all := fresh
	if stopped {
		// Below the point reached, the listing is the last reading's
		// (less what was unbookmarked since, which cannot be told).
		have := make(map[string]bool, len(fresh))
		for _, b := range fresh {
			have[b.ID] = true
		}
		for _, b := range prev.Bookmarks {
			if !have[b.ID] {
				all = append(all, b)
			}
		}
	}
	r.listing.set = listingSet(all)
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
