// Package journaltest is the contract of transfer.Journal, as tests. Run
// runs the same checks against any implementation: internal/sqlite's
// archive, which imports use, and the in-memory fake the engine's own
// tests use, so that the fake cannot drift from what the engine meets in
// production (the shape of restic's internal/backend/test and
// litestream's RunWithReplicaClient).
package journaltest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

// Run checks the Journal that open returns (a fresh, empty one for each
// subtest) against the contract transfer.Journal documents.
func Run(t *testing.T, open func(t *testing.T) transfer.Journal) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, j transfer.Journal)
	}{
		{"FindJobMissing", testFindJobMissing},
		{"CreateJob", testCreateJob},
		{"CreateJobKeyTaken", testCreateJobKeyTaken},
		{"CreateJobUnknownOutcome", testCreateJobUnknownOutcome},
		{"AddJobItems", testAddJobItems},
		{"JobItemsByOutcome", testJobItemsByOutcome},
		{"InFlightThenOutcome", testInFlightThenOutcome},
		{"UnknownItem", testUnknownItem},
		{"ResetOutcomes", testResetOutcomes},
		{"ResetEveryOutcome", testResetEveryOutcome},
		{"PostURI", testPostURI},
		{"Listing", testListing},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
	}
}

const dest fedimarks.Handle = "bob@b.example"

// created is the time the engine stamps a new job with.
var created = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func uri(n int) string { return "https://a.example/users/a/statuses/" + string(rune('a'+n)) }

// create stores a job under key with items and fails the test on error.
func create(t *testing.T, j transfer.Journal, key string, items ...fedimarks.JobItem) *fedimarks.ImportJob {
	t.Helper()
	job, err := j.CreateJob(context.Background(), fedimarks.ImportJob{Key: key, Destination: dest, Inputs: []string{"in.csv"},
		CreatedAt: created, UpdatedAt: created}, items)
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	return job
}

// rows returns the job's rows and fails the test on error.
func rows(t *testing.T, j transfer.Journal, jobID int64, outcomes ...fedimarks.Outcome) []fedimarks.JobItem {
	t.Helper()
	items, err := j.JobItems(context.Background(), jobID, outcomes...)
	if err != nil {
		t.Fatalf("JobItems: %v", err)
	}
	return items
}

// uris is the rows' URIs in order.
func uris(items []fedimarks.JobItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.URI
	}
	return out
}

func testFindJobMissing(t *testing.T, j transfer.Journal) {
	job, err := j.FindJob(context.Background(), "no such key")
	if job != nil || err != nil {
		t.Fatalf("FindJob of a missing key = %+v, %v; want nil, nil", job, err)
	}
}

// testCreateJob: the job comes back stored (an id, its fields kept), FindJob
// finds it, and its rows are stored in Seq order, renumbered from 0, with
// every field kept and an empty outcome read as pending.
func testCreateJob(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	at := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	job, err := j.CreateJob(ctx, fedimarks.ImportJob{Key: "k", Destination: dest, Inputs: []string{"a.csv", "b.json"},
		CreatedAt: created, UpdatedAt: created, DryRun: true}, []fedimarks.JobItem{
		{Seq: 7, URI: uri(2)},
		{Seq: 3, URI: uri(0), URL: "https://a.example/@a/0", AuthorURL: "https://a.example/@a", Source: "a.csv:2",
			Visibility: "private", CreatedAt: at},
		{Seq: 5, URI: "not a post", Outcome: fedimarks.Invalid, Detail: "not a URL"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if job.ID == 0 || job.Key != "k" || job.Destination != dest || !reflect.DeepEqual(job.Inputs, []string{"a.csv", "b.json"}) ||
		!job.DryRun || !job.CreatedAt.Equal(created) {
		t.Errorf("stored job %+v", job)
	}
	found, err := j.FindJob(ctx, "k")
	if err != nil || found == nil || found.ID != job.ID || found.Destination != dest || !found.CreatedAt.Equal(created) {
		t.Fatalf("FindJob = %+v, %v", found, err)
	}
	items := rows(t, j, job.ID)
	if got, want := uris(items), []string{uri(0), "not a post", uri(2)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v (Seq order)", got, want)
	}
	for i, it := range items {
		if it.Seq != i || it.ID == 0 || it.InFlight || it.Attempts != 0 {
			t.Errorf("row %d: %+v", i, it)
		}
	}
	first := items[0]
	if first.URL != "https://a.example/@a/0" || first.AuthorURL != "https://a.example/@a" || first.Source != "a.csv:2" ||
		first.Visibility != "private" || !first.CreatedAt.Equal(at) || first.Outcome != fedimarks.Pending {
		t.Errorf("first row %+v", first)
	}
	if it := items[1]; it.Outcome != fedimarks.Invalid || it.Detail != "not a URL" {
		t.Errorf("invalid row %+v", it)
	}
	if it := items[2]; it.Outcome != fedimarks.Pending || !it.CreatedAt.IsZero() {
		t.Errorf("last row %+v", it)
	}
}

// testCreateJobKeyTaken: a second job under a stored key stores nothing
// and says so with fedimarks.ErrJobExists.
func testCreateJobKeyTaken(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	first := create(t, j, "k", fedimarks.JobItem{URI: uri(0)})
	second, err := j.CreateJob(ctx, fedimarks.ImportJob{Key: "k", Destination: dest, CreatedAt: created},
		[]fedimarks.JobItem{{URI: uri(1)}, {URI: uri(2)}})
	if !errors.Is(err, fedimarks.ErrJobExists) || second != nil {
		t.Fatalf("second CreateJob = %+v, %v; want ErrJobExists", second, err)
	}
	found, err := j.FindJob(ctx, "k")
	if err != nil || found == nil || found.ID != first.ID {
		t.Fatalf("FindJob = %+v, %v; want job %d", found, err, first.ID)
	}
	if got := uris(rows(t, j, first.ID)); !reflect.DeepEqual(got, []string{uri(0)}) {
		t.Errorf("rows after the refused create: %v", got)
	}
}

func testCreateJobUnknownOutcome(t *testing.T, j transfer.Journal) {
	_, err := j.CreateJob(context.Background(), fedimarks.ImportJob{Key: "k", Destination: dest, CreatedAt: created},
		[]fedimarks.JobItem{{URI: uri(0), Outcome: "weird"}})
	if fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("CreateJob with an unknown outcome: %v; want EInvalid", err)
	}
}

// testAddJobItems: only rows whose URI the job does not hold are added
// (once, when a call repeats one), numbered after the last row.
func testAddJobItems(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URI: uri(0)}, fedimarks.JobItem{URI: uri(1)})
	n, err := j.AddJobItems(ctx, job.ID, []fedimarks.JobItem{{URI: uri(1)}, {URI: uri(2), Source: "b.csv:1"}, {URI: uri(3)}, {URI: uri(2)}})
	if err != nil || n != 2 {
		t.Fatalf("AddJobItems = %d, %v; want 2", n, err)
	}
	items := rows(t, j, job.ID)
	if got, want := uris(items), []string{uri(0), uri(1), uri(2), uri(3)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for i, it := range items {
		if it.Seq != i || it.Outcome != fedimarks.Pending {
			t.Errorf("row %d: %+v", i, it)
		}
	}
	if items[2].Source != "b.csv:1" {
		t.Errorf("added row %+v", items[2])
	}
}

func testJobItemsByOutcome(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URI: uri(0)}, fedimarks.JobItem{URI: uri(1)}, fedimarks.JobItem{URI: uri(2)})
	items := rows(t, j, job.ID)
	for i, o := range []fedimarks.Outcome{fedimarks.Imported, fedimarks.NotFound, fedimarks.Imported} {
		if err := j.SetOutcome(ctx, items[i].ID, o, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := uris(rows(t, j, job.ID, fedimarks.Imported)); !reflect.DeepEqual(got, []string{uri(0), uri(2)}) {
		t.Errorf("imported rows %v", got)
	}
	if got := uris(rows(t, j, job.ID, fedimarks.NotFound, fedimarks.Failed)); !reflect.DeepEqual(got, []string{uri(1)}) {
		t.Errorf("not_found or failed rows %v", got)
	}
	if got := rows(t, j, job.ID, fedimarks.Pending); len(got) != 0 {
		t.Errorf("pending rows %v", uris(got))
	}
}

// testInFlightThenOutcome: a row marked in flight carries the id asked
// and counts the attempt; its outcome clears in flight, and an empty id
// keeps the one stored.
func testInFlightThenOutcome(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URI: uri(0)})
	id := rows(t, j, job.ID)[0].ID
	if err := j.MarkInFlight(ctx, id, "111"); err != nil {
		t.Fatal(err)
	}
	it := rows(t, j, job.ID)[0]
	if !it.InFlight || it.DestID != "111" || it.Attempts != 1 || it.Outcome != fedimarks.Pending {
		t.Fatalf("in flight: %+v", it)
	}
	if err := j.SetOutcome(ctx, id, fedimarks.Unreachable, "no answer", ""); err != nil {
		t.Fatal(err)
	}
	it = rows(t, j, job.ID)[0]
	if it.InFlight || it.DestID != "111" || it.Outcome != fedimarks.Unreachable || it.Detail != "no answer" {
		t.Fatalf("after the outcome: %+v", it)
	}
	if err := j.MarkInFlight(ctx, id, "111"); err != nil {
		t.Fatal(err)
	}
	if err := j.SetOutcome(ctx, id, fedimarks.Imported, "", "222"); err != nil {
		t.Fatal(err)
	}
	it = rows(t, j, job.ID)[0]
	if it.InFlight || it.DestID != "222" || it.Attempts != 2 || it.Outcome != fedimarks.Imported || it.Detail != "" {
		t.Errorf("imported: %+v", it)
	}
}

func testUnknownItem(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URI: uri(0)})
	const missing = 1 << 40
	if err := j.MarkInFlight(ctx, missing, "1"); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("MarkInFlight of an unknown row: %v; want ENotFound", err)
	}
	if err := j.SetOutcome(ctx, missing, fedimarks.Imported, "", "1"); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("SetOutcome of an unknown row: %v; want ENotFound", err)
	}
	if err := j.SetJobItemPostURI(ctx, missing, uri(1)); fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		t.Errorf("SetJobItemPostURI of an unknown row: %v; want ENotFound", err)
	}
	id := rows(t, j, job.ID)[0].ID
	if err := j.SetOutcome(ctx, id, "weird", "", ""); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("SetOutcome with an unknown outcome: %v; want EInvalid", err)
	}
}

// testResetOutcomes: rows with the outcomes given go back to pending,
// their detail and in flight cleared, their attempts and destination ids
// kept; pending among the outcomes counts nothing.
func testResetOutcomes(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URI: uri(0)}, fedimarks.JobItem{URI: uri(1)}, fedimarks.JobItem{URI: uri(2)},
		fedimarks.JobItem{URI: uri(3)})
	items := rows(t, j, job.ID)
	for i, o := range []fedimarks.Outcome{fedimarks.Unreachable, fedimarks.Imported, fedimarks.NotFound} {
		if err := j.MarkInFlight(ctx, items[i].ID, "9"+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
		if err := j.SetOutcome(ctx, items[i].ID, o, "why", ""); err != nil {
			t.Fatal(err)
		}
	}
	n, err := j.ResetOutcomes(ctx, job.ID, fedimarks.Unreachable, fedimarks.NotFound, fedimarks.Pending)
	if err != nil || n != 2 {
		t.Fatalf("ResetOutcomes = %d, %v; want 2", n, err)
	}
	items = rows(t, j, job.ID)
	for i, want := range []fedimarks.Outcome{fedimarks.Pending, fedimarks.Imported, fedimarks.Pending, fedimarks.Pending} {
		it := items[i]
		if it.Outcome != want || it.InFlight {
			t.Errorf("row %d: %s (in flight %v), want %s", i, it.Outcome, it.InFlight, want)
		}
		if i == 1 || i == 3 {
			continue
		}
		if it.Detail != "" || it.Attempts != 1 || it.DestID != "9"+string(rune('0'+i)) {
			t.Errorf("reset row %d: %+v", i, it)
		}
	}
}

// testResetEveryOutcome: with no outcome given, every row not pending is
// reset.
func testResetEveryOutcome(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URI: uri(0)}, fedimarks.JobItem{URI: uri(1)}, fedimarks.JobItem{URI: uri(2)})
	items := rows(t, j, job.ID)
	for i, o := range []fedimarks.Outcome{fedimarks.Imported, fedimarks.Failed} {
		if err := j.SetOutcome(ctx, items[i].ID, o, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := j.ResetOutcomes(ctx, job.ID); err != nil || n != 2 {
		t.Fatalf("ResetOutcomes = %d, %v; want 2", n, err)
	}
	if got := rows(t, j, job.ID, fedimarks.Pending); len(got) != 3 {
		t.Errorf("pending after reset: %v", uris(got))
	}
}

// testPostURI: the URI a row resolved to comes back with the row.
func testPostURI(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URL: "https://a.example/@a/1"}, fedimarks.JobItem{URI: uri(1)})
	items := rows(t, j, job.ID)
	if err := j.SetJobItemPostURI(ctx, items[0].ID, uri(0)); err != nil {
		t.Fatal(err)
	}
	if err := j.SetJobItemPostURI(ctx, items[0].ID, uri(2)); err != nil {
		t.Fatal(err)
	}
	items = rows(t, j, job.ID)
	if items[0].PostURI != uri(2) || items[0].PostLink() != uri(2) || items[1].PostURI != "" {
		t.Errorf("post URIs %q %q", items[0].PostURI, items[1].PostURI)
	}
}

// testListing: a job has no listing until one is saved; a saved one comes
// back as it was (bookmarks in order, addresses kept) and the next save
// replaces it; jobs keep their own.
func testListing(t *testing.T, j transfer.Journal) {
	ctx := context.Background()
	job := create(t, j, "k", fedimarks.JobItem{URI: uri(0)})
	other := create(t, j, "other", fedimarks.JobItem{URI: uri(0)})
	if l, err := j.JobListing(ctx, job.ID); l != nil || err != nil {
		t.Fatalf("listing before any = %+v, %v", l, err)
	}
	first := fedimarks.JobListing{Rows: 1, ReadAt: created, Bookmarks: []fedimarks.ListedBookmark{
		{ID: "3", Addrs: []string{uri(3), "https://a.example/@a/3"}}, {ID: "1", Addrs: []string{uri(1)}}, {ID: "2"}}}
	if err := j.SaveJobListing(ctx, job.ID, first); err != nil {
		t.Fatal(err)
	}
	l, err := j.JobListing(ctx, job.ID)
	if err != nil || l == nil {
		t.Fatalf("listing = %+v, %v", l, err)
	}
	if l.Rows != 1 || len(l.Bookmarks) != 3 || !reflect.DeepEqual(l.Bookmarks[:2], first.Bookmarks[:2]) ||
		l.Bookmarks[2].ID != "2" || len(l.Bookmarks[2].Addrs) != 0 {
		t.Errorf("listing %+v, want %+v", l, first)
	}
	if err := j.SaveJobListing(ctx, job.ID, fedimarks.JobListing{Rows: 4, Bookmarks: []fedimarks.ListedBookmark{{ID: "5", Addrs: []string{uri(5)}}}}); err != nil {
		t.Fatal(err)
	}
	if l, err = j.JobListing(ctx, job.ID); err != nil || l == nil || l.Rows != 4 || len(l.Bookmarks) != 1 || l.Bookmarks[0].ID != "5" {
		t.Errorf("replaced listing %+v, %v", l, err)
	}
	if l, err := j.JobListing(ctx, other.ID); l != nil || err != nil {
		t.Errorf("other job's listing = %+v, %v", l, err)
	}
}
