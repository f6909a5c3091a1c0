package transfer

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestRunRereadsOnlyWhatIsNew: a rerun that appends rows reads the
// destination's listing down to the bookmarks its last reading saw, and
// no further. A post of that reading unbookmarked and bookmarked again
// since comes first in the listing and does not stop the reading early:
// the bookmark made by hand below it is still seen, and its row ends
// already without a search or a bookmark request. The listing is kept in
// the archive file.
func TestRunRereadsOnlyWhatIsNew(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	for i := 0; i < 100; i++ {
		p := d.add(&post{uri: fmt.Sprintf("https://k.example/users/k/statuses/%d", i)})
		d.bookmarked[p.localID] = true
		d.bookmarks = append(d.bookmarks, p.localID)
	}
	first := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	byHand := d.add(&post{uri: "https://a.example/users/a/statuses/2"})
	path := filepath.Join(t.TempDir(), "archive.db")
	ar, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	r := req(itemsOf(first.uri))
	r.Key = "migrate-like"
	if _, err := newImporter(d, ar).Run(ctx, r); err != nil {
		t.Fatal(err)
	}
	ar.Close()

	// Between the runs: bookmarks by hand, then an old one redone, a
	// page above the first of them.
	d.bookmarked[byHand.localID] = true
	d.bookmarks = append(d.bookmarks, byHand.localID)
	for i := 0; i < 45; i++ {
		p := d.add(&post{uri: fmt.Sprintf("https://h.example/users/h/statuses/%d", i)})
		d.bookmarked[p.localID] = true
		d.bookmarks = append(d.bookmarks, p.localID)
	}
	redone := d.bookmarks[50]
	d.bookmarks = append(slices.Delete(d.bookmarks, 50, 51), redone)
	resolves, writes, _ := d.counts()

	ar, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	r.Items = itemsOf(first.uri, byHand.uri)
	var pages int
	im := newImporter(nil, ar)
	im.Writer, im.Lister = d, pageCounter{d, &pages}
	rep, err := im.Run(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomesByURI(rep.Items); got[byHand.uri] != fedimarks.Already || got[first.uri] != fedimarks.Imported {
		t.Errorf("outcomes %v", got)
	}
	if r2, w2, _ := d.counts(); r2 != resolves || w2 != writes {
		t.Errorf("%d searches and %d bookmark requests for a row bookmarked by hand", r2-resolves, w2-writes)
	}
	if pages != 2 { // 48 bookmarks made since, then the first known ones
		t.Errorf("read %d pages of the listing, want 2", pages)
	}
}

// pageCounter is a Lister that counts the pages its caller took.
type pageCounter struct {
	l     Lister
	pages *int
}

func (p pageCounter) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	return p.l.EachBookmark(ctx, func(page []fedimarks.Status) error {
		*p.pages++
		return fn(page)
	})
}
