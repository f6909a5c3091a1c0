package transfer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

var errCrash = errors.New("process killed")

// crashingJournal dies (returns errCrash) at the nth bookmark, in one of
// the two windows a kill can hit: after the row is marked in flight but
// before the request ("before"), or after the request reached the server
// but before its outcome was committed ("after").
type crashingJournal struct {
	Journal
	at     int
	window string
	marks  int
}

func (c *crashingJournal) MarkInFlight(ctx context.Context, itemID int64, destID string) error {
	if err := c.Journal.MarkInFlight(ctx, itemID, destID); err != nil {
		return err
	}
	c.marks++
	if c.window == "before" && c.marks == c.at {
		return errCrash
	}
	return nil
}

func (c *crashingJournal) SetOutcome(ctx context.Context, itemID int64, o fedimarks.Outcome, detail, destID string) error {
	if c.window == "after" && c.marks == c.at && o == fedimarks.Imported {
		return errCrash // the answer arrived; the process died before the commit
	}
	return c.Journal.SetOutcome(ctx, itemID, o, detail, destID)
}

// TestRunResumeAfterKillSQLite kills a run (its journal stops mid-row and
// the archive file is closed, as when the process dies) at each bookmark
// in each crash window, reopens the file like a new process and reruns:
// every row ends imported, in order, and no bookmark is written twice
// (the in-flight row is found on the destination, or redone once when its
// request never left).
func TestRunResumeAfterKillSQLite(t *testing.T) {
	ctx := context.Background()
	for _, window := range []string{"before", "after"} {
		for at := 1; at <= 6; at++ {
			t.Run(fmt.Sprint(window, at), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "archive.db")
				d := newFakeDest(destHost)
				uris := d.addPosts(6)
				ar, err := sqlite.Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				im := newImporter(d, &crashingJournal{Journal: ar, at: at, window: window})
				im.Workers = 3
				if _, err := im.Run(ctx, req(itemsOf(uris...))); !errors.Is(err, errCrash) {
					t.Fatalf("first run: %v", err)
				}
				ar.Close()

				ar, err = sqlite.Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				defer ar.Close()
				rep, err := newImporter(d, ar).Run(ctx, req(itemsOf(uris...)))
				if err != nil {
					t.Fatalf("rerun: %v", err)
				}
				if got := d.bookmarkedURIs(); !reflect.DeepEqual(got, uris) {
					t.Errorf("order %v", got)
				}
				for id, c := range d.writes {
					if c != 1 {
						t.Errorf("id %s written %d times", id, c)
					}
				}
				for _, it := range rep.Items {
					if it.Outcome != fedimarks.Imported || it.InFlight {
						t.Errorf("row %d: %s %s (in flight %v)", it.Seq, it.Outcome, it.Detail, it.InFlight)
					}
				}
				if n := rep.Items[at-1].Attempts; (window == "after" && n != 1) || (window == "before" && n != 2) {
					t.Errorf("crashed row: %d attempts", n)
				}
			})
		}
	}
}
