package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/clocktest"
)

const destHost = "dest.example"

func newImporter(d *fakeDest, j Journal) *Importer {
	return &Importer{Writer: d, Lister: d, Journal: j, Log: &bytes.Buffer{}}
}

func req(items []fedimarks.ImportItem) Request {
	return Request{Destination: "bob@" + destHost, Server: "https://" + destHost, Inputs: []string{"test.csv"}, Items: items}
}

func TestRunOutcomesAndOrder(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	d.jitter = true
	var uris []string
	for i := 0; i < 60; i++ {
		p := d.add(&post{uri: fmt.Sprintf("https://a.example/users/alice/statuses/%d", i), visibility: "public"})
		uris = append(uris, p.uri)
	}
	local := d.add(&post{uri: "https://dest.example/users/carol/statuses/777", url: "https://dest.example/@carol/777", localID: "777"})
	deleted := d.add(&post{uri: "https://a.example/users/alice/statuses/gone", deleted: true})
	private := d.add(&post{uri: "https://a.example/users/dave/statuses/p1", hidden: true, visibility: "private"})
	direct := d.add(&post{uri: "https://a.example/users/dave/statuses/d1", hidden: true, visibility: "direct"})
	forbidden := "https://c.example/users/x/statuses/1"

	items := itemsOf(uris[:30]...)
	items = append(items,
		fedimarks.ImportItem{URI: local.url, Source: "test.csv:l"},    // local, by URL
		fedimarks.ImportItem{URI: deleted.uri},                        // not_found
		fedimarks.ImportItem{URI: private.uri, Visibility: "private"}, // not_visible
		fedimarks.ImportItem{URI: direct.uri, Visibility: "direct"},   // not_visible
		fedimarks.ImportItem{URI: uris[3], Source: "test.csv:dup"},    // duplicate
		fedimarks.ImportItem{URI: "not a url", Invalid: "not an http(s) URL", Source: "test.csv:99"},
		fedimarks.ImportItem{URI: forbidden},
	)
	for _, u := range uris[30:] {
		items = append(items, fedimarks.ImportItem{URI: u})
	}
	d.before = func(kind, arg string) error {
		if arg == forbidden {
			return &apiErr{403, "Forbidden"}
		}
		return nil
	}
	j := newMemJournal()
	// The job must be stored before any remote request.
	prev := d.before
	d.before = func(kind, arg string) error {
		if j.jobCount() == 0 {
			t.Errorf("%s request before the job was stored", kind)
		}
		return prev(kind, arg)
	}
	prog := &fakeProgress{}
	im := newImporter(d, j)
	im.Progress = prog
	rep, err := im.Run(ctx, req(items))
	if fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatalf("Run: %v, want a partial error", err)
	}
	if len(rep.Items) != len(items) {
		t.Fatalf("report has %d rows, want %d", len(rep.Items), len(items))
	}
	got := outcomesByURI(rep.Items)
	want := map[string]fedimarks.Outcome{
		local.url: fedimarks.Imported, deleted.uri: fedimarks.NotFound, private.uri: fedimarks.NotVisible,
		direct.uri: fedimarks.NotVisible, "not a url": fedimarks.Invalid, forbidden: fedimarks.NotVisible,
	}
	for _, u := range uris {
		want[u] = fedimarks.Imported
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes:\n got %v\nwant %v", got, want)
	}
	c := rep.Counts
	if c[fedimarks.Imported] != 61 || c[fedimarks.Duplicate] != 1 || c[fedimarks.Invalid] != 1 || c[fedimarks.NotVisible] != 3 || c[fedimarks.NotFound] != 1 {
		t.Errorf("counts %v", c)
	}
	// Written in input order, the local post between uris[29] and uris[30].
	wantOrder := append(append(append([]string{}, uris[:30]...), local.uri), uris[30:]...)
	if got := d.bookmarkedURIs(); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("destination order:\n got %v\nwant %v", got, wantOrder)
	}
	// The local post was bookmarked by id without a search; the duplicate
	// cost nothing: 60 remote + 3 failing remote resolves counted by the
	// fake (the 403 answers before counting).
	if d.resolves != 60+3 {
		t.Errorf("resolves = %d, want 63", d.resolves)
	}
	if d.writes["777"] != 1 || d.totalWrites() != 61 {
		t.Errorf("writes: %v", d.writes)
	}
	for _, it := range rep.Items {
		switch it.Address() {
		case private.uri:
			if !strings.Contains(it.Detail, "follow dave@a.example") {
				t.Errorf("private detail %q does not say whom to follow", it.Detail)
			}
		case direct.uri:
			if !strings.Contains(it.Detail, "mentions") {
				t.Errorf("direct detail %q", it.Detail)
			}
		}
		if it.InFlight {
			t.Errorf("row %d left in flight", it.Seq)
		}
	}
	if prog.total != int64(len(items)) || prog.done != int64(len(items)) {
		t.Errorf("progress %d/%d, want %d/%d", prog.done, prog.total, len(items), len(items))
	}

	// A rerun of the same request costs no bookmark request and no search.
	r0, w0, _ := d.counts()
	rep2, err := im.Run(ctx, req(items))
	if fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatalf("rerun: %v", err)
	}
	r1, w1, _ := d.counts()
	if r1 != r0 || w1 != w0 {
		t.Errorf("rerun made %d resolves and %d bookmarks", r1-r0, w1-w0)
	}
	if rep2.Job.ID != rep.Job.ID || j.jobCount() != 1 {
		t.Errorf("rerun made a new job")
	}
}

func TestRunAlreadyOnDestination(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	a := d.add(&post{uri: "https://a.example/users/a/statuses/1", url: "https://a.example/@a/1"})
	b := d.add(&post{uri: "https://a.example/users/a/statuses/2"})
	d.bookmarked[a.localID] = true
	d.bookmarks = []string{a.localID}
	// Matched by URL.
	items := []fedimarks.ImportItem{{URI: "https://A.example/@a/1"}, {URI: b.uri}}
	rep, err := newImporter(d, newMemJournal()).Run(ctx, req(items))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items[0].Outcome != fedimarks.Already || rep.Items[1].Outcome != fedimarks.Imported {
		t.Errorf("outcomes %v %v", rep.Items[0].Outcome, rep.Items[1].Outcome)
	}
	if d.resolves != 1 || d.writes[a.localID] != 0 || d.lists != 1 {
		t.Errorf("resolves %d, writes %v, lists %d", d.resolves, d.writes, d.lists)
	}
}

// TestRunResumeAfterKill stops a run at every possible point (as a kill
// would: the journal keeps what was committed) and checks the rerun
// finishes with each bookmark written once, or twice for the one row that
// was in flight.
func TestRunResumeAfterKill(t *testing.T) {
	for killAt := 1; killAt <= 12; killAt++ {
		t.Run(fmt.Sprint(killAt), func(t *testing.T) {
			d := newFakeDest(destHost)
			uris := d.addPosts(10)
			j := newMemJournal()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			d.before = func(kind, arg string) error {
				if kind == "bookmark" {
					n++
					if n == killAt {
						// The request reaches the server, then the process dies.
						go cancel()
					}
				}
				return nil
			}
			im := newImporter(d, j)
			im.Workers = 3
			_, err := im.Run(ctx, req(itemsOf(uris...)))
			if killAt <= 10 && fedimarks.ErrorCode(err) != fedimarks.EInterrupted && err != nil {
				t.Fatalf("first run: %v", err)
			}
			d.before = nil
			rep, err := im.Run(context.Background(), req(itemsOf(uris...)))
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if got := d.bookmarkedURIs(); !reflect.DeepEqual(got, uris) {
				t.Errorf("order %v", got)
			}
			extra := 0
			for id, c := range d.writes {
				if c > 2 {
					t.Errorf("id %s written %d times", id, c)
				}
				extra += c - 1
			}
			if extra > 1 {
				t.Errorf("%d extra writes: %v", extra, d.writes)
			}
			for _, it := range rep.Items {
				if it.Outcome != fedimarks.Imported {
					t.Errorf("row %d: %s %s", it.Seq, it.Outcome, it.Detail)
				}
			}
		})
	}
}

func TestRunInFlightRowFoundOnDestination(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	j := newMemJournal()
	items := itemsOf(p.uri)
	job, _ := j.CreateJob(ctx, fedimarks.ImportJob{Key: Key("bob@"+destHost, items)}, planItems(items, keySet{}))
	rows, _ := j.JobItems(ctx, job.ID)
	_ = j.MarkInFlight(ctx, rows[0].ID, p.localID)
	// The killed run's request reached the server.
	d.bookmarked[p.localID] = true
	d.bookmarks = []string{p.localID}
	rep, err := newImporter(d, j).Run(ctx, req(items))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items[0].Outcome != fedimarks.Imported || d.totalWrites() != 0 || d.resolves != 0 {
		t.Errorf("outcome %s, writes %d, resolves %d", rep.Items[0].Outcome, d.totalWrites(), d.resolves)
	}
}

func TestRunInFlightRowRedoneByID(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	j := newMemJournal()
	items := itemsOf(p.uri)
	job, _ := j.CreateJob(ctx, fedimarks.ImportJob{Key: Key("bob@"+destHost, items)}, planItems(items, keySet{}))
	rows, _ := j.JobItems(ctx, job.ID)
	_ = j.MarkInFlight(ctx, rows[0].ID, p.localID) // the request never arrived
	rep, err := newImporter(d, j).Run(ctx, req(items))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items[0].Outcome != fedimarks.Imported || d.writes[p.localID] != 1 || d.resolves != 0 {
		t.Errorf("outcome %s, writes %v, resolves %d", rep.Items[0].Outcome, d.writes, d.resolves)
	}
	if rep.Items[0].Attempts != 2 {
		t.Errorf("attempts %d, want 2", rep.Items[0].Attempts)
	}
}

func TestRunBreaker(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	d.down["c.example"] = true
	var items []fedimarks.ImportItem
	var cURIs []string
	for i := 0; i < 10; i++ {
		u := d.add(&post{uri: fmt.Sprintf("https://c.example/users/c/statuses/%d", i)}).uri
		cURIs = append(cURIs, u)
		items = append(items, fedimarks.ImportItem{URI: u})
		items = append(items, fedimarks.ImportItem{URI: d.add(&post{uri: fmt.Sprintf("https://a.example/users/a/statuses/%d", i)}).uri})
	}
	clock := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	j := newMemJournal()
	im := newImporter(d, j)
	im.Workers = 1 // deterministic: exactly 3 tries before the breaker opens
	im.Now = clock.Now
	rep, err := im.Run(ctx, req(items))
	if fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatalf("Run: %v", err)
	}
	if rep.Counts[fedimarks.Unreachable] != 10 || rep.Counts[fedimarks.Imported] != 10 {
		t.Errorf("counts %v", rep.Counts)
	}
	if d.resolves != 10+3 {
		t.Errorf("resolves = %d, want 13 (3 for c.example)", d.resolves)
	}
	skipped := 0
	for _, it := range rep.Items {
		if strings.Contains(it.Detail, "circuit breaker") {
			skipped++
			if !strings.Contains(it.Detail, "rerun") {
				t.Errorf("detail %q does not say a rerun retries it", it.Detail)
			}
		}
	}
	if skipped != 7 {
		t.Errorf("%d rows skipped by the breaker, want 7", skipped)
	}

	// c.example is back: a rerun retries the unreachable rows only, in order.
	d.down["c.example"] = false
	r0, _, _ := d.counts()
	rep, err = im.Run(ctx, req(items))
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	r1, _, _ := d.counts()
	if r1-r0 != 10 {
		t.Errorf("rerun resolved %d, want 10", r1-r0)
	}
	if rep.Counts[fedimarks.Imported] != 20 || rep.Counts[fedimarks.Unreachable] != 0 || len(rep.Items) != 20 {
		t.Errorf("rerun counts %v over %d rows, want 20 imported", rep.Counts, len(rep.Items))
	}
	got := d.bookmarkedURIs()
	if !reflect.DeepEqual(got[10:], cURIs) {
		t.Errorf("retried rows out of order: %v", got[10:])
	}
}

func TestBreakerHalfOpen(t *testing.T) {
	clock := clocktest.New(time.Unix(0, 0))
	b := newBreaker(BreakerPolicy{Failures: 2, Cooldown: time.Minute}, clock.Now)
	for i := 0; i < 2; i++ {
		if ok, _ := b.allow("x"); !ok {
			t.Fatal("closed breaker refused")
		}
		b.record("x", outcomeFail)
	}
	if ok, why := b.allow("x"); ok || !strings.Contains(why, "x did not answer 2 times") {
		t.Fatalf("open breaker allowed (%q)", why)
	}
	if ok, _ := b.allow("y"); !ok {
		t.Fatal("other domain refused")
	}
	clock.Advance(time.Minute)
	if ok, _ := b.allow("x"); !ok {
		t.Fatal("no trial after the cooldown")
	}
	if ok, _ := b.allow("x"); ok {
		t.Fatal("second request during the trial")
	}
	b.record("x", outcomeFail)
	if ok, _ := b.allow("x"); ok {
		t.Fatal("failed trial did not reopen")
	}
	clock.Advance(time.Minute)
	b.allow("x")
	b.record("x", outcomeOK)
	if ok, _ := b.allow("x"); !ok {
		t.Fatal("successful trial did not close")
	}
}

func TestRunAuthStopsResumably(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(5)
	n := 0
	d.before = func(kind, arg string) error {
		if kind == "bookmark" {
			n++
			if n == 3 {
				return &apiErr{401, "The access token is invalid"}
			}
		}
		return nil
	}
	im := newImporter(d, newMemJournal())
	rep, err := im.Run(ctx, req(itemsOf(uris...)))
	var fe *fedimarks.Error
	if !errors.As(err, &fe) || fe.Code != fedimarks.EAuth || fe.Hint != "" {
		t.Fatalf("Run: %v, want an auth error, resumable (the rerun below finishes), whose next command cli writes", err)
	}
	if strings.Contains(err.Error(), "Bearer") {
		t.Error("token in error")
	}
	if rep.Counts[fedimarks.Imported] != 2 || rep.Counts[fedimarks.Pending] != 3 {
		t.Errorf("counts after stop: %v", rep.Counts)
	}
	d.before = nil
	if _, err := im.Run(ctx, req(itemsOf(uris...))); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if got := d.bookmarkedURIs(); !reflect.DeepEqual(got, uris) {
		t.Errorf("order %v", got)
	}
}

func TestRunDestinationDownStops(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(20)
	n := 0
	d.before = func(kind, arg string) error {
		if kind == "bookmark" {
			n++
			if n == 5 {
				d.destDown = true
			}
		}
		return nil
	}
	im := newImporter(d, newMemJournal())
	im.Workers = 1
	rep, err := im.Run(ctx, req(itemsOf(uris...)))
	if fedimarks.ErrorCode(err) != fedimarks.EUnavailable {
		t.Fatalf("Run: %v, want unavailable", err)
	}
	if rep.Counts[fedimarks.Imported] != 4 || rep.Counts[fedimarks.Pending] < 10 {
		t.Errorf("counts %v", rep.Counts)
	}
	d.before = nil
	d.destDown = false
	rep, err = im.Run(ctx, req(itemsOf(uris...)))
	if err != nil {
		t.Fatalf("rerun: %v (%v)", err, rep.Counts)
	}
	if got := d.bookmarkedURIs(); !reflect.DeepEqual(got, uris) {
		t.Errorf("order %v", got)
	}
}

func TestRunSnacAlready(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	d.snac = true
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	d.bookmarked[p.localID] = true // bookmarked, but hidden from the listing (not in d.bookmarks)
	rep, err := newImporter(d, newMemJournal()).Run(ctx, req(itemsOf(p.uri)))
	// The resolved status says bookmarked: no POST at all.
	if err != nil || rep.Items[0].Outcome != fedimarks.Already || d.totalWrites() != 0 {
		t.Fatalf("err %v, outcome %s, writes %d", err, rep.Items[0].Outcome, d.totalWrites())
	}
}

func TestRunSnac422IsAlready(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	d.before = func(kind, arg string) error {
		if kind == "bookmark" {
			return &apiErr{422, "already bookmarked"}
		}
		return nil
	}
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	r := req(itemsOf(p.uri))
	r.Software = "snac"
	rep, err := newImporter(d, newMemJournal()).Run(ctx, r)
	if err != nil || rep.Items[0].Outcome != fedimarks.Already || !strings.Contains(rep.Items[0].Detail, "422") {
		t.Fatalf("err %v, row %+v", err, rep.Items[0])
	}
	// Elsewhere a 422 is a refusal, with the server's message.
	for _, sw := range []string{"mastodon", ""} {
		r.Software = sw
		rep, err = newImporter(d, newMemJournal()).Run(ctx, r)
		if fedimarks.ErrorCode(err) != fedimarks.EPartial || rep.Items[0].Outcome != fedimarks.Failed || !strings.Contains(rep.Items[0].Detail, "already bookmarked") {
			t.Fatalf("%q: err %v, row %+v", sw, err, rep.Items[0])
		}
	}
}

func TestRunLocalFallsBackToSearch(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	// The URI says id 55 but the destination knows the post as 90 (say, a
	// URL that is not the local id scheme): 404 by id, found by search.
	p := d.add(&post{uri: "https://dest.example/users/e/statuses/55", localID: "90"})
	rep, err := newImporter(d, newMemJournal()).Run(ctx, req(itemsOf(p.uri)))
	if err != nil || rep.Items[0].Outcome != fedimarks.Imported {
		t.Fatalf("err %v, row %+v", err, rep.Items[0])
	}
	if d.writes["55"] != 1 || d.writes["90"] != 1 || d.resolves != 1 {
		t.Errorf("writes %v resolves %d", d.writes, d.resolves)
	}
	// A local post that is really gone ends not_found after one search.
	d2 := newFakeDest(destHost)
	rep, err = newImporter(d2, newMemJournal()).Run(ctx, req(itemsOf("https://dest.example/@e/56")))
	if fedimarks.ErrorCode(err) != fedimarks.EPartial || rep.Items[0].Outcome != fedimarks.NotFound || d2.resolves != 1 {
		t.Fatalf("err %v, row %+v, resolves %d", err, rep.Items[0], d2.resolves)
	}
}

func TestRunRetryFailed(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1", hidden: true, visibility: "private"})
	items := itemsOf(p.uri)
	items[0].Visibility = "private"
	im := newImporter(d, newMemJournal())
	if rep, err := im.Run(ctx, req(items)); fedimarks.ErrorCode(err) != fedimarks.EPartial || rep.Items[0].Outcome != fedimarks.NotVisible {
		t.Fatalf("first: %v", err)
	}
	// A plain rerun does not retry not_visible.
	if _, err := im.Run(ctx, req(items)); fedimarks.ErrorCode(err) != fedimarks.EPartial || d.resolves != 1 {
		t.Fatalf("rerun: %v, resolves %d", err, d.resolves)
	}
	// The user followed the author: --retry-failed.
	p.hidden = false
	r := req(items)
	r.RetryFailed = true
	rep, err := im.Run(ctx, r)
	if err != nil || rep.Items[0].Outcome != fedimarks.Imported {
		t.Fatalf("retry: %v %+v", err, rep.Items[0])
	}
}

func TestRunDryRun(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	a := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	b := d.add(&post{uri: "https://a.example/users/a/statuses/2"})
	d.bookmarked[a.localID] = true
	d.bookmarks = []string{a.localID}
	items := itemsOf(a.uri, b.uri, b.uri, "https://dest.example/@me/5", "https://x.example/users/z/statuses/9")
	items = append(items, fedimarks.ImportItem{URI: "foo", Invalid: "not an http(s) URL"})
	j := newMemJournal()
	log := &bytes.Buffer{}
	im := newImporter(d, j)
	im.Log = log
	r := req(items)
	r.DryRun = true
	rep, err := im.Run(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Estimate
	if e == nil || e.Already != 1 || e.Duplicate != 1 || e.Invalid != 1 || e.Local != 1 || e.Remote != 2 {
		t.Fatalf("estimate %+v", e)
	}
	// one listing page + 1 local + 2*2 remote
	if e.Requests != 6 || e.Duration != 6*time.Second {
		t.Errorf("requests %d duration %s", e.Requests, e.Duration)
	}
	if j.jobCount() != 0 || d.resolves != 0 || d.totalWrites() != 0 {
		t.Errorf("dry run wrote: jobs %d resolves %d writes %d", j.jobCount(), d.resolves, d.totalWrites())
	}
	if !strings.Contains(log.String(), "6 requests") {
		t.Errorf("dry-run output lacks the requests:\n%s", log)
	}
	// The table: one row per count, labels in a column, counts
	// right-aligned in the next (every row ends at the same column).
	rows := map[string]string{}
	end := -1
	for _, line := range strings.Split(log.String(), "\n") {
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		if end >= 0 && len(line) != end {
			t.Errorf("misaligned row %q:\n%s", line, log)
		}
		end = len(line)
		f := strings.Fields(line)
		rows[strings.Join(f[:len(f)-1], " ")] = f[len(f)-1]
	}
	want := map[string]string{"rows": "6", "already bookmarked": "1", "duplicate": "1", "invalid": "1",
		"on dest.example (bookmarked by id)": "1", "elsewhere (search + bookmark)": "2"}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("table %v, want %v:\n%s", rows, want, log)
	}
}

func TestRunConfirm(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(3)
	r := req(itemsOf(uris...))
	refuse := errors.New("refused")
	var seen Estimate
	r.Confirm = func(ctx context.Context, e Estimate) error { seen = e; return refuse }
	j := newMemJournal()
	if _, err := newImporter(d, j).Run(ctx, r); !errors.Is(err, refuse) {
		t.Fatalf("err %v", err)
	}
	// Only the listing is read before the question: no search, no write.
	if seen.Remote != 3 || d.lists != 1 || d.resolves+d.totalWrites() != 0 || j.jobCount() != 1 {
		t.Errorf("estimate %+v; lists %d, other requests made: %d; jobs %d", seen, d.lists, d.resolves+d.totalWrites(), j.jobCount())
	}
}

// TestRunConfirmCountsWhatIsThere: the estimate the big-import question
// sees leaves out rows the destination has bookmarked already (1,100 rows
// all there: nothing to write, nothing to ask).
func TestRunConfirmCountsWhatIsThere(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	var uris []string
	for i := 0; i < 1100; i++ {
		p := d.add(&post{uri: fmt.Sprintf("https://a.example/users/a/statuses/%d", i)})
		uris = append(uris, p.uri)
		if i%2 == 0 || i < 1050 {
			d.bookmarked[p.localID] = true
			d.bookmarks = append(d.bookmarks, p.localID)
		}
	}
	r := req(itemsOf(uris...))
	var seen Estimate
	r.Confirm = func(ctx context.Context, e Estimate) error { seen = e; return nil }
	rep, err := newImporter(d, newMemJournal()).Run(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if seen.Already != 1075 || seen.ToWrite() != 25 {
		t.Errorf("estimate %+v, want 1075 already and 25 to write", seen)
	}
	if rep.Counts[fedimarks.Already] != 1075 || rep.Counts[fedimarks.Imported] != 25 || d.lists != 1 {
		t.Errorf("counts %v, lists %d", rep.Counts, d.lists)
	}
}

func TestRunReportFiles(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	ok1 := d.add(&post{uri: "https://a.example/users/a/statuses/1"}).uri
	gone1 := "https://a.example/users/a/statuses/404a"
	gone2 := "https://a.example/users/a/statuses/404b"
	items := itemsOf(gone1, ok1, gone2, ok1)
	items = append(items, fedimarks.ImportItem{URI: "bad row", Invalid: "not an http(s) URL", Source: "in.csv:7"})
	dir := t.TempDir()
	r := req(items)
	rep, err := runReported(ctx, newImporter(d, newMemJournal()), r, dir)
	var fe *fedimarks.Error
	if !errors.As(err, &fe) || fe.Code != fedimarks.EPartial || !strings.Contains(fe.Message, "3 of 5") {
		t.Fatalf("err %v", err)
	}
	for _, p := range []string{rep.FailuresPath, rep.ReportPath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", p, err)
		}
	}
	failures, _ := os.ReadFile(rep.FailuresPath)
	if string(failures) != gone2+"\n"+gone1+"\n" {
		t.Errorf("failures file:\n%s", failures)
	}
	report, _ := os.ReadFile(rep.ReportPath)
	want := "uri,outcome,detail\n" +
		gone1 + ",not_found,\"" + unknownVisibilityDetail + "\"\n" +
		ok1 + ",imported,\n" +
		gone2 + ",not_found,\"" + unknownVisibilityDetail + "\"\n" +
		ok1 + ",duplicate,same post as test.csv:3\n" +
		"bad row,invalid,in.csv:7: not an http(s) URL\n"
	if string(report) != want {
		t.Errorf("report:\n%s\nwant:\n%s", report, want)
	}
}

func TestRunAppendsToKeyedJob(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(6)
	j := newMemJournal()
	im := newImporter(d, j)
	r := req(itemsOf(uris[:4]...))
	r.Key = "migrate alice->bob"
	if _, err := im.Run(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Two more bookmarks archived since: the same job grows.
	r.Items = itemsOf(uris...)
	rep, err := im.Run(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if j.jobCount() != 1 || len(rep.Items) != 6 || d.totalWrites() != 6 {
		t.Errorf("jobs %d rows %d writes %d", j.jobCount(), len(rep.Items), d.totalWrites())
	}
	if got := d.bookmarkedURIs(); !reflect.DeepEqual(got, uris) {
		t.Errorf("order %v", got)
	}
}

func TestRunInterruptedBeforeWriting(t *testing.T) {
	d := newFakeDest(destHost)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newImporter(d, newMemJournal()).Run(ctx, req(itemsOf("https://a.example/users/a/statuses/1")))
	if err == nil {
		t.Fatal("no error from a cancelled run")
	}
}

func TestRunSamePostUnderTwoAddresses(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1", url: "https://a.example/@a/1"})
	local := d.add(&post{uri: "https://dest.example/users/l/statuses/5", url: "https://dest.example/@l/5", localID: "5"})
	// Two files, one listing URIs, the other URLs: the plan cannot tell.
	items := itemsOf(p.uri, local.uri, p.url, local.url)
	rep, err := newImporter(d, newMemJournal()).Run(ctx, req(items))
	if err != nil {
		t.Fatal(err)
	}
	want := []fedimarks.Outcome{fedimarks.Imported, fedimarks.Imported, fedimarks.Duplicate, fedimarks.Duplicate}
	for i, it := range rep.Items {
		if it.Outcome != want[i] {
			t.Errorf("row %d: %s %s", i, it.Outcome, it.Detail)
		}
	}
	if d.totalWrites() != 2 {
		t.Errorf("writes %v", d.writes)
	}
}

// TestRunLocksTheDestination: a run holds the destination's lock from
// before the job is stored until it ends; a second run meanwhile is
// refused before any request or journal write.
func TestRunLocksTheDestination(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(10)
	j, l := newMemJournal(), &memLocker{}
	im := newImporter(d, j)
	im.Locker = l
	var second error
	var secondRep *Report
	d.before = func(kind, arg string) error {
		if kind == "bookmark" && arg == d.posts[uris[3]].localID {
			secondRep, second = im.Run(ctx, req(itemsOf(uris...)))
		}
		return nil
	}
	rep, err := im.Run(ctx, req(itemsOf(uris...)))
	if err != nil {
		t.Fatal(err)
	}
	if fedimarks.ErrorCode(second) != fedimarks.EUnavailable || !strings.Contains(second.Error(), "PID 42") || secondRep != nil {
		t.Fatalf("second run: %v", second)
	}
	if d.totalWrites() != 10 || rep.Counts[fedimarks.Imported] != 10 || j.jobCount() != 1 {
		t.Errorf("writes %d, counts %v, jobs %d", d.totalWrites(), rep.Counts, j.jobCount())
	}
	// Released at the end: the next run goes on (and writes nothing).
	d.before = nil
	if _, err := im.Run(ctx, req(itemsOf(uris...))); err != nil || l.taken != 2 {
		t.Fatalf("rerun: %v (locks taken %d)", err, l.taken)
	}
	// A dry run takes no lock.
	r := req(itemsOf(uris...))
	r.DryRun = true
	if _, err := im.Run(ctx, r); err != nil || l.taken != 2 {
		t.Fatalf("dry run: %v (locks taken %d)", err, l.taken)
	}
}

// TestRunJobCreatedMeanwhile: when another run stores the job between
// this run's look and its write, this run goes on with that job instead
// of failing or making a second one.
func TestRunJobCreatedMeanwhile(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	j := newMemJournal()
	items := itemsOf(p.uri)
	if _, err := j.CreateJob(ctx, fedimarks.ImportJob{Key: Key("bob@"+destHost, items), Destination: "bob@" + destHost}, planItems(items, keySet{})); err != nil {
		t.Fatal(err)
	}
	j.hideJobs = 1
	rep, err := newImporter(d, j).Run(ctx, req(items))
	if err != nil || j.jobCount() != 1 || rep.Counts[fedimarks.Imported] != 1 || d.totalWrites() != 1 {
		t.Fatalf("err %v, jobs %d, counts %v, writes %d", err, j.jobCount(), rep.Counts, d.totalWrites())
	}
}

// TestRunDestination5xx: the destination's own 5xx answers and silences
// are its trouble, not the posts' servers': they leave the per-domain
// breaker alone, name the destination in the detail, and stop the job
// when they come in a row (also for bookmarks while searches succeed).
func TestRunDestination5xx(t *testing.T) {
	ctx := context.Background()
	newDest := func() (*fakeDest, []string) {
		d := newFakeDest(destHost)
		uris := d.addPosts(12)
		return d, uris
	}
	for _, fail := range []error{&apiErr{502, "Bad Gateway"}, &apiErr{503, "Service Unavailable"}, &apiErr{500, "Internal Server Error"}, netErr{}} {
		t.Run(fail.Error(), func(t *testing.T) {
			d, uris := newDest()
			n := 0
			d.before = func(kind, arg string) error {
				if kind == "resolve" {
					n++
					if n <= 2 { // two in a row: below the stop limit
						return fail
					}
				}
				return nil
			}
			im := newImporter(d, newMemJournal())
			im.Workers = 1
			im.Breaker = BreakerPolicy{Failures: 2}
			rep, err := im.Run(ctx, req(itemsOf(uris...)))
			if fedimarks.ErrorCode(err) != fedimarks.EPartial {
				t.Fatalf("Run: %v", err)
			}
			if rep.Counts[fedimarks.Imported] != 10 || rep.Counts[fedimarks.Unreachable] != 2 {
				t.Errorf("counts %v (the breaker blamed a.example?)", rep.Counts)
			}
			for _, it := range rep.Items[:2] {
				if !strings.Contains(it.Detail, "the destination "+destHost) || strings.Contains(it.Detail, "a.example did not answer") {
					t.Errorf("detail %q", it.Detail)
				}
			}
		})
	}
	t.Run("remote fetch failed", func(t *testing.T) {
		d, uris := newDest()
		d.down["a.example"] = true
		im := newImporter(d, newMemJournal())
		im.Workers = 1
		im.Breaker = BreakerPolicy{Failures: 2}
		rep, _ := im.Run(ctx, req(itemsOf(uris...)))
		if rep.Counts[fedimarks.Unreachable] != 12 || d.resolves != 2 {
			t.Errorf("counts %v, resolves %d: the breaker did not open for a.example", rep.Counts, d.resolves)
		}
		if !strings.Contains(rep.Items[0].Detail, "a.example did not answer") {
			t.Errorf("detail %q", rep.Items[0].Detail)
		}
	})
	t.Run("searches fail in a row", func(t *testing.T) {
		d, uris := newDest()
		d.before = func(kind, arg string) error {
			if kind == "resolve" {
				return &apiErr{502, "Bad Gateway"}
			}
			return nil
		}
		im := newImporter(d, newMemJournal())
		im.Workers = 1
		rep, err := im.Run(ctx, req(itemsOf(uris...)))
		if fedimarks.ErrorCode(err) != fedimarks.EUnavailable || !strings.Contains(err.Error(), destHost) || !strings.Contains(err.Error(), "3 requests in a row") {
			t.Fatalf("Run: %v", err)
		}
		if rep.Counts[fedimarks.Pending] < 8 {
			t.Errorf("counts %v", rep.Counts)
		}
	})
	t.Run("bookmarks fail while searches succeed", func(t *testing.T) {
		d, uris := newDest()
		posts := 0
		d.before = func(kind, arg string) error {
			if kind == "bookmark" {
				posts++
				return &apiErr{502, "Bad Gateway"}
			}
			return nil
		}
		im := newImporter(d, newMemJournal())
		im.Workers = 2
		rep, err := im.Run(ctx, req(itemsOf(uris...)))
		if fedimarks.ErrorCode(err) != fedimarks.EUnavailable {
			t.Fatalf("Run: %v (counts %v)", err, rep.Counts)
		}
		if posts != 3 {
			t.Errorf("%d bookmark requests before stopping, want 3", posts)
		}
	})
}

// TestRunNoSecondSearchForAResolvedPost: a row whose address is the URL
// of a post resolved earlier in the run (a form planning cannot match)
// costs no search and ends duplicate.
func TestRunNoSecondSearchForAResolvedPost(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/objects/8c1e", url: "https://a.example/notice/AbC"})
	q := d.add(&post{uri: "https://a.example/objects/99"})
	items := itemsOf(p.uri, q.uri, p.url)
	im := newImporter(d, newMemJournal())
	im.Workers = 1
	rep, err := im.Run(ctx, req(items))
	if err != nil {
		t.Fatal(err)
	}
	if d.resolves != 2 || d.totalWrites() != 2 {
		t.Errorf("resolves %d, writes %d; want 2 and 2", d.resolves, d.totalWrites())
	}
	if rep.Items[2].Outcome != fedimarks.Duplicate {
		t.Errorf("row 2: %s %s", rep.Items[2].Outcome, rep.Items[2].Detail)
	}
}

// TestRunServerDownAndBack: C goes down during a run and comes back: its
// rows meanwhile end unreachable (two by failure, the rest held back by
// the breaker without a request), after the cooldown a trial row closes
// the breaker and C's later rows are imported; a rerun retries the
// unreachable ones.
func TestRunServerDownAndBack(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	clock := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var uris []string
	for i := 0; i < 30; i++ {
		host := "a.example"
		if i%2 == 1 {
			host = "c.example"
		}
		uris = append(uris, d.add(&post{uri: fmt.Sprintf("https://%s/users/x/statuses/%d", host, i)}).uri)
	}
	cResolves := 0
	d.before = func(kind, arg string) error {
		if kind != "resolve" {
			return nil
		}
		switch arg {
		case uris[3]:
			d.mu.Lock()
			d.down["c.example"] = true
			d.mu.Unlock()
		case uris[20]:
			d.mu.Lock()
			d.down["c.example"] = false
			d.mu.Unlock()
			clock.Advance(6 * time.Minute)
		}
		if strings.Contains(arg, "c.example") {
			cResolves++
		}
		return nil
	}
	im := newImporter(d, newMemJournal())
	im.Workers = 1
	im.Now = clock.Now
	im.Breaker = BreakerPolicy{Failures: 2, Cooldown: 5 * time.Minute}
	rep, err := im.Run(ctx, req(itemsOf(uris...)))
	if fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatalf("Run: %v", err)
	}
	// c rows 3..19 (odd): 3 and 5 fail, 7..19 held back; 21.. imported.
	for i, it := range rep.Items {
		want := fedimarks.Imported
		if i%2 == 1 && i >= 3 && i <= 19 {
			want = fedimarks.Unreachable
		}
		if it.Outcome != want {
			t.Errorf("row %d (%s): %s %s, want %s", i, it.URI, it.Outcome, it.Detail, want)
		}
	}
	if cResolves != 1+2+5 { // row 1, the two failures, rows 21..29
		t.Errorf("%d searches of c.example posts", cResolves)
	}
	if !strings.Contains(rep.Items[7].Detail, "circuit breaker") {
		t.Errorf("held-back row detail %q", rep.Items[7].Detail)
	}
	d.before = nil
	rep, err = im.Run(ctx, req(itemsOf(uris...)))
	if err != nil || rep.Counts[fedimarks.Imported] != 30 {
		t.Fatalf("rerun: %v %v", err, rep.Counts)
	}
}
