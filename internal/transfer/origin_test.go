package transfer

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

// fakeOrigin is the posts' own servers: answer says what each answers.
type fakeOrigin struct {
	mu     sync.Mutex
	answer func(uri string) (string, error)
	calls  map[string]int
}

func (o *fakeOrigin) FetchObject(ctx context.Context, uri string) (string, error) {
	o.mu.Lock()
	if o.calls == nil {
		o.calls = map[string]int{}
	}
	o.calls[uri]++
	f := o.answer
	o.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return f(uri)
}

func (o *fakeOrigin) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.calls {
		n += c
	}
	return n
}

// pauses records the waits of the engine and returns at once.
type pauses struct {
	mu sync.Mutex
	ds []time.Duration
}

func (p *pauses) Sleep(ctx context.Context, d time.Duration) error {
	p.mu.Lock()
	p.ds = append(p.ds, d)
	p.mu.Unlock()
	return ctx.Err()
}

// TestRunOriginDecides: for each row the destination's search did not
// find, the post's own server is asked once, and its answer decides the
// outcome and is named in the detail: gone (404, 410, a Tombstone) is
// not_found, no answer or a 5xx is unreachable, a refusal of unsigned
// fetches keeps not_found and says so, and a post it serves is searched
// again after a pause: imported when found then, else failed; so is one
// whose server refuses to tell (then not_found when still not found). Found rows
// and posts of the destination itself are not asked about.
func TestRunOriginDecides(t *testing.T) {
	ctx := context.Background()
	type row struct {
		name       string
		visibility string
		answer     func() (string, error)
		foundLater bool // the second search finds it
		want       fedimarks.Outcome
		detail     string
	}
	deadline := func() (string, error) { return "", fmt.Errorf("GET /x: %w", context.DeadlineExceeded) }
	rows := []row{
		{"gone410", "", func() (string, error) { return "", &apiErr{410, "Gone"} }, false, fedimarks.NotFound, "its server a.example answers 410 Gone: deleted"},
		{"tombstone", "", func() (string, error) { return "Tombstone", nil }, false, fedimarks.NotFound, "its server a.example serves a Tombstone: deleted"},
		{"gone404public", "public", func() (string, error) { return "", &apiErr{404, "Record not found"} }, false, fedimarks.NotFound, "its server a.example answers 404 Not Found: deleted"},
		{"gone404file", "", func() (string, error) { return "", &apiErr{404, "Record not found"} }, false, fedimarks.NotFound, unknownVisibilityDetail + " (its server a.example answers 404 Not Found)"},
		{"gone404private", "private", func() (string, error) { return "", &apiErr{404, "Record not found"} }, false, fedimarks.NotVisible, "followers-only post: follow a@a.example from the destination account, then rerun with --retry-failed (its server a.example answers 404 Not Found)"},
		{"refused", "public", func() (string, error) { return "", &apiErr{401, "Request not signed"} }, false, fedimarks.NotFound, "(its server a.example refuses unsigned fetches (401 Unauthorized), so it could not tell; searched twice)"},
		{"refusedFoundLater", "public", func() (string, error) { return "", &apiErr{403, "Forbidden"} }, true, fedimarks.Imported, ""},
		{"down", "public", func() (string, error) { return "", netErr{} }, false, fedimarks.Unreachable, "its server a.example did not answer (dial tcp: connection refused), and dest.example found nothing; a rerun retries it"},
		{"5xx", "public", func() (string, error) { return "", &apiErr{502, "Bad Gateway"} }, false, fedimarks.Unreachable, "its server a.example did not answer properly (502 Bad Gateway)"},
		{"timeout", "public", deadline, false, fedimarks.Unreachable, "did not answer (context deadline exceeded)"},
		{"served", "public", func() (string, error) { return "Note", nil }, false, fedimarks.Failed, "its server a.example serves it, but dest.example could not fetch it (searched twice); retry later with --retry-failed"},
		{"servedLater", "public", func() (string, error) { return "Note", nil }, true, fedimarks.Imported, ""},
		{"odd", "public", func() (string, error) { return "", &apiErr{400, "Bad Request"} }, false, fedimarks.NotFound, "(its server a.example answered: 400 Bad Request)"},
	}
	for _, c := range rows {
		t.Run(c.name, func(t *testing.T) {
			d := newFakeDest(destHost)
			p := d.add(&post{uri: "https://a.example/users/a/statuses/" + c.name, hidden: true})
			ok := d.add(&post{uri: "https://a.example/users/a/statuses/ok"})
			local := d.add(&post{uri: "https://dest.example/users/d/statuses/9", hidden: true, localID: "9"})
			searches := 0
			d.before = func(kind, arg string) error {
				if kind == "resolve" && arg == p.uri {
					searches++
					if searches == 2 && c.foundLater {
						d.mu.Lock()
						p.hidden = false
						d.mu.Unlock()
					}
				}
				return nil
			}
			o := &fakeOrigin{answer: func(string) (string, error) { return c.answer() }}
			sl := &pauses{}
			im := newImporter(d, newMemJournal())
			im.Origin, im.Sleep = o, sl.Sleep
			items := itemsOf(ok.uri, p.uri, local.uri)
			items[1].Visibility = c.visibility
			rep, _ := im.Run(ctx, req(items))
			got := rep.Items[1]
			if got.Outcome != c.want || !strings.Contains(got.Detail, c.detail) {
				t.Errorf("row: %s %q\nwant %s %q", got.Outcome, got.Detail, c.want, c.detail)
			}
			if o.calls[p.uri] != 1 || o.total() != 1 {
				t.Errorf("origin asked %v, want once about the row", o.calls)
			}
			wantSearches, wantPauses := 1, 0
			if strings.HasPrefix(c.name, "served") || strings.HasPrefix(c.name, "refused") {
				wantSearches, wantPauses = 2, 1
			}
			if searches != wantSearches || len(sl.ds) != wantPauses || (wantPauses == 1 && sl.ds[0] != 2*time.Second) {
				t.Errorf("%d searches, pauses %v; want %d, %d of 2s", searches, sl.ds, wantSearches, wantPauses)
			}
			if rep.Items[0].Outcome != fedimarks.Imported || rep.Items[2].Outcome != fedimarks.NotFound {
				t.Errorf("other rows: %s, %s", rep.Items[0].Outcome, rep.Items[2].Outcome)
			}
		})
	}
}

// TestRunOriginDownOpensBreaker: a server that does not answer when asked
// about its posts counts against it like a failed fetch: after three, its
// other rows end unreachable without a search or a question; a rerun once
// it answers imports them in order.
func TestRunOriginDownOpensBreaker(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	var items []fedimarks.ImportItem
	var cPosts []*post
	for i := 0; i < 8; i++ {
		p := d.add(&post{uri: fmt.Sprintf("https://c.example/users/c/statuses/%d", i), hidden: true})
		cPosts = append(cPosts, p)
		items = append(items, fedimarks.ImportItem{URI: p.uri})
		items = append(items, fedimarks.ImportItem{URI: d.add(&post{uri: fmt.Sprintf("https://a.example/users/a/statuses/%d", i)}).uri})
	}
	o := &fakeOrigin{answer: func(string) (string, error) { return "", netErr{} }}
	im := newImporter(d, newMemJournal())
	im.Workers, im.Origin = 1, o
	rep, err := im.Run(ctx, req(items))
	if fedimarks.ErrorCode(err) != fedimarks.EPartial || rep.Counts[fedimarks.Unreachable] != 8 || rep.Counts[fedimarks.Imported] != 8 {
		t.Fatalf("Run: %v %v", err, rep.Counts)
	}
	if o.total() != 3 || d.resolves != 8+3 {
		t.Errorf("origin asked %d times, %d searches; want 3 and 11", o.total(), d.resolves)
	}
	if !strings.Contains(rep.Items[8].Detail, "circuit breaker") {
		t.Errorf("held-back row: %q", rep.Items[8].Detail)
	}
	// c.example is back, and the destination can fetch its posts again.
	for _, p := range cPosts {
		p.hidden = false
	}
	o.answer = func(string) (string, error) { return "Note", nil }
	log := &bytes.Buffer{}
	im.Log = log
	rep, err = runReported(ctx, im, req(items), "")
	if err != nil || rep.Counts[fedimarks.Imported] != 16 {
		t.Fatalf("rerun: %v %v", err, rep.Counts)
	}
	got := d.bookmarkedURIs()
	var want []string
	for _, p := range cPosts {
		want = append(want, p.uri)
	}
	if !reflect.DeepEqual(got[8:], want) {
		t.Errorf("retried rows: %v", got[8:])
	}
	// Each row of c comes before a row imported by the first run.
	if !strings.Contains(log.String(), "8 rows were bookmarked after rows that follow them in the source") {
		t.Errorf("summary:\n%s", log)
	}
	if !strings.Contains(rep.Items[14].Detail, lateDetail) || rep.Items[15].Detail != "" {
		t.Errorf("late details: %q, %q", rep.Items[14].Detail, rep.Items[15].Detail)
	}
}

// racyDest loses searches in parallel, as GoToSocial (through the post's
// server) and snac do: a search that starts while another is in flight
// finds nothing. Until one is lost, each search waits up to hold for
// company, so that searches sent together overlap; it counts the most in
// flight at once.
type racyDest struct {
	*fakeDest
	hold     time.Duration
	mu       sync.Mutex
	inflight int
	most     int
	lost     int
	company  chan struct{}
}

func (r *racyDest) Resolve(ctx context.Context, uri string) (*fedimarks.Status, error) {
	r.mu.Lock()
	r.inflight++
	r.most = max(r.most, r.inflight)
	if r.inflight > 1 {
		r.lost++
		r.inflight--
		if r.company != nil {
			close(r.company)
			r.company = nil
		}
		r.mu.Unlock()
		return nil, nil
	}
	ch := make(chan struct{})
	r.company = ch
	hold := r.hold
	if r.lost > 0 {
		hold = 0
	}
	r.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(hold):
	}
	r.mu.Lock()
	r.inflight--
	if r.company == ch {
		r.company = nil
	}
	r.mu.Unlock()
	return r.fakeDest.Resolve(ctx, uri)
}

// TestRunLostSearchesGoOneAtATime: a destination that loses posts to
// searches in parallel, whatever its software: the posts' server serves
// them, so each lost one is searched again alone, the destination gets
// one search at a time from then on (said once), and every row ends
// imported, in order.
func TestRunLostSearchesGoOneAtATime(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(8)
	rd := &racyDest{fakeDest: d, hold: 5 * time.Second}
	o := &fakeOrigin{answer: func(string) (string, error) { return "Note", nil }}
	prog := &fakeProgress{}
	im := &Importer{Writer: rd, Lister: d, Journal: newMemJournal(), Origin: o, Sleep: (&pauses{}).Sleep, Progress: prog, Log: &bytes.Buffer{}}
	rep, err := im.Run(ctx, req(itemsOf(uris...)))
	if err != nil {
		t.Fatalf("Run: %v %v", err, rep.Counts)
	}
	if rd.lost == 0 {
		t.Fatal("no search was lost: the test proves nothing")
	}
	if !reflect.DeepEqual(d.bookmarkedURIs(), uris) {
		t.Errorf("order %v", d.bookmarkedURIs())
	}
	if o.total() != rd.lost {
		t.Errorf("origin asked %d times for %d lost searches", o.total(), rd.lost)
	}
	if len(prog.notes) != 1 || !strings.Contains(prog.notes[0], "dest.example found nothing for a post that its server a.example serves: searching one post at a time from now on") {
		t.Errorf("notes %q", prog.notes)
	}
}

// TestRunSnacOneSearchAtATime: snac gets one search at a time from the
// start, so it loses none.
func TestRunSnacOneSearchAtATime(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(6)
	rd := &racyDest{fakeDest: d, hold: 5 * time.Millisecond}
	im := &Importer{Writer: rd, Lister: d, Journal: newMemJournal(), Log: &bytes.Buffer{}}
	r := req(itemsOf(uris...))
	r.Software = "snac"
	if rep, err := im.Run(ctx, r); err != nil || rd.most != 1 {
		t.Fatalf("Run: %v %v; %d searches at once", err, rep.Counts, rd.most)
	}
}

// TestRunBookmark404AfterResolve: a 404 to a bookmark request right after
// the post was found is followed by a search, alone: a post found
// bookmarked ends imported (snac stored it); one found otherwise is
// bookmarked once more; a second 404 is final.
func TestRunBookmark404AfterResolve(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name          string
		stored        bool // the 404'd request stored the bookmark
		fails         int  // how many requests answer 404
		want          fedimarks.Outcome
		writes, finds int
	}{
		{"stored", true, 1, fedimarks.Imported, 1, 2},
		{"lost", false, 1, fedimarks.Imported, 2, 2},
		{"gone", false, 2, fedimarks.NotFound, 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newFakeDest(destHost)
			p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
			n := 0
			d.before = func(kind, arg string) error {
				if kind != "bookmark" {
					return nil
				}
				if n++; n > c.fails {
					return nil
				}
				if c.stored {
					d.mu.Lock()
					d.bookmarked[p.localID] = true
					d.bookmarks = append(d.bookmarks, p.localID)
					d.mu.Unlock()
				}
				return &apiErr{404, "Record not found"}
			}
			rep, _ := newImporter(d, newMemJournal()).Run(ctx, req(itemsOf(p.uri)))
			it := rep.Items[0]
			if it.Outcome != c.want || n != c.writes || d.resolves != c.finds || it.InFlight {
				t.Errorf("%s %q (in flight %v), %d bookmark requests, %d searches; want %s, %d, %d", it.Outcome, it.Detail, it.InFlight, n, d.resolves, c.want, c.writes, c.finds)
			}
			if c.stored && !strings.Contains(it.Detail, "answered 404 to the bookmark request, but stored it") {
				t.Errorf("detail %q", it.Detail)
			}
		})
	}
}

// TestRunResumeBookmarksLocalByID: a rerun that reads no listing (every
// row to do was compared with the last one) still bookmarks posts of the
// destination's own server by id, without a search.
func TestRunResumeBookmarksLocalByID(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	var uris []string
	for i := 0; i < 6; i++ {
		uris = append(uris, d.add(&post{uri: fmt.Sprintf("https://dest.example/users/d/statuses/%d", 100+i), localID: fmt.Sprint(100 + i)}).uri)
	}
	j := newMemJournal()
	im := newImporter(d, j)
	cctx, cancel := context.WithCancel(ctx)
	d.before = func(kind, arg string) error {
		if kind == "bookmark" && arg == "102" {
			cancel()
		}
		return nil
	}
	if _, err := im.Run(cctx, req(itemsOf(uris...))); fedimarks.ErrorCode(err) != fedimarks.EInterrupted {
		t.Fatalf("first run: %v", err)
	}
	d.before = nil
	lists := d.lists
	rep, err := im.Run(ctx, req(itemsOf(uris...)))
	if err != nil || rep.Counts[fedimarks.Imported] != 6 {
		t.Fatalf("rerun: %v %v", err, rep.Counts)
	}
	if d.lists != lists || d.resolves != 0 {
		t.Errorf("rerun read the listing %d times and searched %d posts", d.lists-lists, d.resolves)
	}
	if !reflect.DeepEqual(d.bookmarkedURIs(), uris) {
		t.Errorf("order %v", d.bookmarkedURIs())
	}
}

// TestRunRetryFailedSaysLate: a row imported by --retry-failed after
// later rows were imported is said to be out of order; one retried
// without a later row imported before it is not.
func TestRunRetryFailedSaysLate(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	first := d.add(&post{uri: "https://a.example/users/a/statuses/1", hidden: true})
	mid := d.add(&post{uri: "https://a.example/users/a/statuses/2"})
	last := d.add(&post{uri: "https://a.example/users/a/statuses/3", hidden: true})
	items := itemsOf(first.uri, mid.uri, last.uri)
	im := newImporter(d, newMemJournal())
	if _, err := im.Run(ctx, req(items)); fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatalf("first run: %v", err)
	}
	first.hidden, last.hidden = false, false
	log := &bytes.Buffer{}
	im.Log = log
	r := req(items)
	r.RetryFailed = true
	rep, err := runReported(ctx, im, r, "")
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !strings.Contains(log.String(), "1 row was bookmarked after rows that follow it in the source: it is among the newest bookmarks on bob@dest.example") {
		t.Errorf("summary:\n%s", log)
	}
	if !strings.Contains(rep.Items[0].Detail, lateDetail) || rep.Items[2].Detail != "" {
		t.Errorf("details %q, %q", rep.Items[0].Detail, rep.Items[2].Detail)
	}
}
