package transfer

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// countingFinder counts the lookups the engine makes in the archive.
type countingFinder struct {
	f     VisibilityFinder
	calls int
}

func (c *countingFinder) Visibilities(ctx context.Context, addrs []string) (map[string]string, error) {
	c.calls++
	return c.f.Visibilities(ctx, addrs)
}

// TestRunVisibilityFromArchiveInOneLookup: rows from a file do not say a
// post's visibility; the archive does, for the posts it holds, by URI or
// by URL. A big file costs one lookup, not one or two queries a row, and
// a followers-only post the destination cannot find ends not_visible with
// the advice to follow its author.
func TestRunVisibilityFromArchiveInOneLookup(t *testing.T) {
	ctx := context.Background()
	ar, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	private, err := fedimarks.ParseStatus([]byte(`{"id":"7","uri":"https://p.example/users/f/statuses/7","url":"https://p.example/@f/7",` +
		`"visibility":"private","account":{"id":"1","acct":"f@p.example","url":"https://p.example/@f"}}`))
	if err != nil {
		t.Fatal(err)
	}
	run, err := ar.StartRun(ctx, "alice@a.example", true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := ar.SavePage(ctx, run, []fedimarks.Status{private}, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	d := newFakeDest(destHost)
	uris := d.addPosts(1000)
	uris = append(uris, private.URL) // by URL, as the three-column CSV gives it
	f := &countingFinder{f: ar}
	im := newImporter(d, ar)
	im.Finder = f
	rep, _ := im.Run(ctx, req(itemsOf(uris...)))
	if f.calls != 1 {
		t.Errorf("%d lookups in the archive for %d rows, want 1", f.calls, len(uris))
	}
	last := rep.Items[len(rep.Items)-1]
	if last.Outcome != fedimarks.NotVisible || last.Visibility != "private" {
		t.Errorf("followers-only row: %s %q (visibility %q)", last.Outcome, last.Detail, last.Visibility)
	}
	if n := rep.Counts[fedimarks.Imported]; n != 1000 {
		t.Errorf("%d imported, want 1000", n)
	}
}
