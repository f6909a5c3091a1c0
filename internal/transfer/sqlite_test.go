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

// archiveJournal is the engine's Journal over a real archive file, as
// internal/cli adapts it.
type archiveJournal struct{ ar *sqlite.Archive }

func (j archiveJournal) FindJob(ctx context.Context, key string) (*Job, error) {
	job, err := j.ar.FindJob(ctx, key)
	if job == nil || err != nil {
		return nil, err
	}
	t := Job(*job)
	return &t, nil
}

func (j archiveJournal) CreateJob(ctx context.Context, job Job, items []Item) (*Job, error) {
	stored, created, err := j.ar.CreateJobOnce(ctx, sqlite.Job(job), toJobItems(items))
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, ErrJobExists
	}
	t := Job(*stored)
	return &t, nil
}

func (j archiveJournal) AddJobItems(ctx context.Context, jobID int64, items []Item) (int, error) {
	return j.ar.AddJobItems(ctx, jobID, toJobItems(items))
}

func (j archiveJournal) JobItems(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) ([]Item, error) {
	items, err := j.ar.JobItems(ctx, jobID, outcomes...)
	if err != nil {
		return nil, err
	}
	posts, err := j.ar.JobPostURIs(ctx, jobID)
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = itemOf(it, posts[it.ID])
	}
	return out, err
}

func (j archiveJournal) SetPostURI(ctx context.Context, itemID int64, uri string) error {
	return j.ar.SetJobItemPostURI(ctx, itemID, uri)
}

func (j archiveJournal) Listing(ctx context.Context, jobID int64) (*Listing, error) {
	l, err := j.ar.JobListing(ctx, jobID)
	if l == nil || err != nil {
		return nil, err
	}
	out := &Listing{Rows: l.Rows, Bookmarks: make([]Listed, len(l.Bookmarks))}
	for i, b := range l.Bookmarks {
		out.Bookmarks[i] = Listed(b)
	}
	return out, nil
}

func (j archiveJournal) SaveListing(ctx context.Context, jobID int64, l Listing) error {
	bs := make([]sqlite.ListedBookmark, len(l.Bookmarks))
	for i, b := range l.Bookmarks {
		bs[i] = sqlite.ListedBookmark(b)
	}
	return j.ar.SaveJobListing(ctx, jobID, sqlite.JobListing{Rows: l.Rows, Bookmarks: bs})
}

// itemOf converts an archive's job item and the post URI kept beside it.
func itemOf(it sqlite.JobItem, postURI string) Item {
	return Item{ID: it.ID, Seq: it.Seq, URI: it.URI, URL: it.URL, AuthorURL: it.AuthorURL, Source: it.Source,
		Visibility: it.Visibility, CreatedAt: it.CreatedAt, Outcome: it.Outcome, Detail: it.Detail, DestID: it.DestID,
		Attempts: it.Attempts, InFlight: it.InFlight, UpdatedAt: it.UpdatedAt, PostURI: postURI}
}

func (j archiveJournal) ResetOutcomes(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) (int, error) {
	return j.ar.ResetOutcomes(ctx, jobID, outcomes...)
}

func (j archiveJournal) MarkInFlight(ctx context.Context, itemID int64, destID string) error {
	return j.ar.MarkInFlight(ctx, itemID, destID)
}

func (j archiveJournal) SetOutcome(ctx context.Context, itemID int64, o fedimarks.Outcome, detail, destID string) error {
	return j.ar.SetOutcome(ctx, itemID, o, detail, destID)
}

func toJobItems(items []Item) []sqlite.JobItem {
	out := make([]sqlite.JobItem, len(items))
	for i, it := range items {
		out[i] = sqlite.JobItem{ID: it.ID, Seq: it.Seq, URI: it.URI, URL: it.URL, AuthorURL: it.AuthorURL, Source: it.Source,
			Visibility: it.Visibility, CreatedAt: it.CreatedAt, Outcome: it.Outcome, Detail: it.Detail, DestID: it.DestID,
			Attempts: it.Attempts, InFlight: it.InFlight, UpdatedAt: it.UpdatedAt}
	}
	return out
}

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
				var uris []string
				for i := 0; i < 6; i++ {
					uris = append(uris, d.add(&post{uri: fmt.Sprintf("https://a.example/users/a/statuses/%d", i)}).uri)
				}
				ar, err := sqlite.Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				im := newImporter(d, &crashingJournal{Journal: archiveJournal{ar}, at: at, window: window})
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
				rep, err := newImporter(d, archiveJournal{ar}).Run(ctx, req(itemsOf(uris...)))
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
