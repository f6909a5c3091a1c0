package transfer

import (
	"context"
	"fmt"

	"github.com/fedimarks/fedimarks"
)

// Verification is the result of Verify.
type Verification struct {
	// Rows is the number of source rows, Present those bookmarked on the
	// destination, Duplicate repeats within the source, Invalid rows that
	// name no post.
	Rows, Present, Duplicate, Invalid int
	// Missing are the source rows not bookmarked on the destination, in
	// the source's write order (oldest first).
	Missing []fedimarks.ImportItem
	// DestinationCount is how many bookmarks the destination listed.
	DestinationCount int
}

// Verify reads the destination's bookmarks once and lists the source rows
// (in write order, see Merge) missing there, matching by URI or URL.
// Missing takes the place of items, whose memory it reuses (a second
// list of 200,000 rows would cost 30 MB): items must not be used after.
func Verify(ctx context.Context, items []fedimarks.ImportItem, dest Lister) (*Verification, error) {
	have := keySet{}
	v := &Verification{Rows: len(items)}
	err := dest.EachBookmark(ctx, func(page []fedimarks.Status) error {
		for _, s := range page {
			have.addStatus(s)
		}
		v.DestinationCount += len(page)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read destination bookmarks: %w", err)
	}
	seen := keySet{}
	missing := 0 // items[:missing] holds the missing rows: never ahead of the row read
	for it := range planSeq(items, seen) {
		switch it.Outcome {
		case fedimarks.Invalid:
			v.Invalid++
			continue
		case fedimarks.Duplicate:
			v.Duplicate++
			continue
		}
		if _, ok := have.find(it.URI, it.URL); ok {
			v.Present++
			continue
		}
		items[missing] = fedimarks.ImportItem{
			URI: it.URI, URL: it.URL, AuthorURL: it.AuthorURL, CreatedAt: it.CreatedAt,
			Visibility: it.Visibility, Source: it.Source, Order: missing,
		}
		missing++
	}
	clear(items[missing:]) // let the other rows' text go
	v.Missing = items[:missing:missing]
	return v, nil
}
