package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// recordLabels keeps the local tags and notes that the rows carry (a
// fedimarks json, jsonl or netscape export, or the source account of a
// migrate or sync) as dest's, before any row is written: tags are added,
// a note only where dest's post has none, and the line is printed only
// when something was new. Tags are local, so they
// are recorded whatever the server does with the row: keyed by the post's
// URI, they apply as soon as dest's archive holds the post (its next
// backup), and stay waiting if the row ends not_found. A row known by its
// web address (netscape) is keyed by the URI of the archived post with
// that address, when the archive has one.
func recordLabels(ctx context.Context, errOut io.Writer, ar *sqlite.Archive, dest fedimarks.Handle, items []fedimarks.ImportItem) error {
	var ls []sqlite.Labels
	for _, it := range items {
		if it.Invalid != "" || len(it.Tags) == 0 && it.Note == "" {
			continue
		}
		uri := it.URI
		if s, err := ar.StatusByURI(ctx, uri); err != nil {
			return err
		} else if s != nil {
			uri = s.URI
			if o := s.Original(); o.URI != "" && (o.URL == it.URI || o.URI == it.URI) {
				uri = o.URI
			}
		}
		ls = append(ls, sqlite.Labels{URI: uri, Tags: it.Tags, Note: it.Note})
	}
	if len(ls) == 0 {
		return nil
	}
	n, err := ar.AddLabels(ctx, dest, ls)
	if err != nil || n == 0 {
		return err
	}
	fmt.Fprintf(errOut, "Local tags and notes of %s kept for %s (they show once its backup has the posts).\n",
		fedimarks.Plural(n, "post"), dest)
	return nil
}
