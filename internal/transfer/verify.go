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
		v.Missing = append(v.Missing, fedimarks.ImportItem{
			URI: it.URI, URL: it.URL, AuthorURL: it.AuthorURL, CreatedAt: it.CreatedAt,
			Visibility: it.Visibility, Source: it.Source,
		})
	}
	for i := range v.Missing {
		v.Missing[i].Order = i
	}
	return v, nil
}
