package cli

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// newFediverseTo is newFediverse with bob's server B of the given family:
// alice on A (Mastodon) bookmarks posts written on A and C (Mastodon).
func newFediverseTo(t *testing.T, q mastodontest.Quirk) *fediverse {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	f := &fediverse{net: net, home: newHome(t), reports: t.TempDir()}
	f.a = net.NewInstance(mastodontest.InstanceOptions{})
	f.b = net.NewInstance(mastodontest.InstanceOptions{Quirk: q})
	f.c = net.NewInstance(mastodontest.InstanceOptions{})
	f.alice = f.a.AddAccount("alice")
	f.bob = f.b.AddAccount("bob")
	return f
}

// details maps each row's address to its detail in the newest report.
func (f *fediverse) details(t *testing.T) map[string]string {
	t.Helper()
	_, rows := f.report(t)
	m := map[string]string{}
	for _, r := range rows {
		m[r[0]] = r[2]
	}
	return m
}

// TestMigrateOriginDownWholeRun is issue 9's "done means": C is down for
// the whole migrate into a GoToSocial account, whose search answers a post
// it cannot fetch with nothing, as for a deleted one. C's rows end
// unreachable (C did not answer fedimarks either), not not_found, and the
// summary says so; a plain rerun once C is back imports them, in their
// order, and says they are now the newest bookmarks.
func TestMigrateOriginDownWholeRun(t *testing.T) {
	f := newFediverseTo(t, mastodontest.GoToSocial)
	carol, erin := f.a.AddAccount("carol"), f.c.AddAccount("erin")
	var onA, onC []string // oldest bookmark first
	for i := 0; i < 16; i++ {
		s := carol.Post(mastodontest.PostOptions{})
		if i%2 == 1 {
			s = erin.Post(mastodontest.PostOptions{})
			onC = append(onC, s.URI())
		} else {
			onA = append(onA, s.URI())
		}
		f.alice.Bookmark(s)
	}
	f.login(t, f.alice, f.bob)
	f.c.SetDown(true)
	args := []string{"migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports}
	r := mustRun(t, ExitPartial, f.home, "", args...)
	got := f.details(t)
	outcomes, _ := f.report(t)
	for _, u := range onC {
		if outcomes[u] != "unreachable" {
			t.Errorf("%s: %s (%s), want unreachable", u, outcomes[u], got[u])
		}
	}
	for _, u := range onA {
		if outcomes[u] != "imported" {
			t.Errorf("%s: %s (%s)", u, outcomes[u], got[u])
		}
	}
	if !strings.Contains(got[onC[0]], f.c.Host()+" did not answer") {
		t.Errorf("detail of a row of C: %q", got[onC[0]])
	}
	for _, s := range []string{"8 imported, 8 unreachable", "unreachable rows are retried when you run the same command again (rows by server: " + f.c.Host() + " 8)"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("summary lacks %q:\n%s", s, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "not_found") {
		t.Errorf("summary calls rows of a down server not_found:\n%s", r.stderr)
	}

	f.c.SetDown(false)
	r = mustRun(t, ExitOK, f.home, "", args...)
	// C's rows land on top, in their own order.
	want := append(reversed(onC), reversed(onA)...)
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, want) {
		t.Errorf("bob's bookmarks, newest first:\n got %v\nwant %v", got, want)
	}
	// The last row of C is the source's newest: it lands in its place.
	if !strings.Contains(r.stderr, "7 rows were bookmarked after rows that follow them in the source") {
		t.Errorf("the rerun does not say 7 rows landed out of order:\n%s", r.stderr)
	}
}

// TestImportOriginGone: posts deleted on their server, which answers 410
// (with a Tombstone) or 404, end not_found, and each row says what the
// post's server answered; fedimarks asked each server once per row.
func TestImportOriginGone(t *testing.T) {
	f := newFediverseTo(t, mastodontest.GoToSocial)
	carol, erin := f.a.AddAccount("carol"), f.c.AddAccount("erin")
	gone410, gone404, ok := erin.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{})
	gone410.Delete()
	gone404.Delete()
	f.c.SetGoneAnswer(http.StatusGone)
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", ok.URI()+"\n"+gone404.URI()+"\n"+gone410.URI()+"\n")
	mustRun(t, ExitPartial, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	outcomes, _ := f.report(t)
	details := f.details(t)
	if outcomes[gone410.URI()] != "not_found" || !strings.Contains(details[gone410.URI()], f.c.Host()+" answers 410 Gone: deleted") {
		t.Errorf("410 row: %s %q", outcomes[gone410.URI()], details[gone410.URI()])
	}
	if outcomes[gone404.URI()] != "not_found" || !strings.Contains(details[gone404.URI()], f.a.Host()+" answers 404 Not Found") {
		t.Errorf("404 row: %s %q", outcomes[gone404.URI()], details[gone404.URI()])
	}
	if outcomes[ok.URI()] != "imported" {
		t.Errorf("ok row: %s", outcomes[ok.URI()])
	}
	if n, accepts := f.c.UnsignedFetches(); n != 1 || !strings.Contains(accepts[0], "application/activity+json") {
		t.Errorf("C was asked %d times (%v), want once, for ActivityPub", n, accepts)
	}
	if n, _ := f.a.UnsignedFetches(); n != 1 {
		t.Errorf("A was asked %d times, want once (the post found needs no asking)", n)
	}
}

// TestImportOriginSlow: C answers, but too slowly for the destination,
// which gives up its fetch and finds nothing: fedimarks, told by C that
// the post is there, searches once more, alone, and then says the
// destination could not fetch it, not that it is gone.
func TestImportOriginSlow(t *testing.T) {
	f := newFediverseTo(t, mastodontest.GoToSocial)
	erin := f.c.AddAccount("erin")
	s := erin.Post(mastodontest.PostOptions{})
	f.c.SetLatency(100 * time.Millisecond)
	f.b.SetFetchTimeout(20 * time.Millisecond)
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", s.URI()+"\n")
	r := mustRun(t, ExitPartial, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	outcomes, _ := f.report(t)
	want := "its server " + f.c.Host() + " serves it, but " + f.b.Host() + " could not fetch it"
	if d := f.details(t)[s.URI()]; outcomes[s.URI()] != "failed" || !strings.Contains(d, want) {
		t.Errorf("row: %s %q, want failed %q", outcomes[s.URI()], d, want)
	}
	if n := f.b.Requests("GET", "/api/v2/search"); n != 2 {
		t.Errorf("%d searches, want 2 (one retry)\n%s", n, r.stderr)
	}
}

// TestMigrateGoToSocialHandshakeRace: between two GoToSocial servers,
// simultaneous searches for one author's posts fail on the origin (the
// destination's key is new there) and the destination finds nothing.
// fedimarks asks the origin, which (being GoToSocial) refuses every
// unsigned fetch and so cannot tell; it searches them again, one at a
// time, and every row ends imported, in order.
func TestMigrateGoToSocialHandshakeRace(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	f := &fediverse{net: net, home: newHome(t), reports: t.TempDir()}
	f.a = net.NewInstance(mastodontest.InstanceOptions{})
	f.b = net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial})
	f.c = net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial})
	f.alice, f.bob = f.a.AddAccount("alice"), f.b.AddAccount("bob")
	carol := f.c.AddAccount("carol")
	// The origin holds the first fetch until a second one loses the race.
	f.c.SetRaces(mastodontest.Races{Handshake: true, Hold: 5 * time.Second})
	for i := 0; i < 10; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	r := mustRun(t, ExitOK, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports)
	if f.c.Raced() == 0 {
		t.Fatal("no search lost the race: the test proves nothing")
	}
	// GoToSocial answers no unsigned fetch: fedimarks could not learn that
	// the posts exist, and searched again anyway.
	if n, _ := f.c.UnsignedFetches(); n != f.c.Raced() {
		t.Errorf("C was asked %d times for %d lost searches", n, f.c.Raced())
	}
	if !slices.Equal(f.bob.BookmarkURIs(), f.alice.BookmarkURIs()) {
		t.Errorf("bob's bookmarks differ from alice's, or are in another order\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "searching one post at a time from now on") {
		t.Errorf("the switch to one search at a time is not said:\n%s", r.stderr)
	}
}

// TestMigrateSnacSearchRace: snac finds nothing for posts that exist when
// several resolving searches run at once. No row ends falsely not_found,
// and the rows land in the source's order.
func TestMigrateSnacSearchRace(t *testing.T) {
	f := newFediverseTo(t, mastodontest.Snac)
	carol := f.a.AddAccount("carol")
	for i := 0; i < 8; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.b.SetRaces(mastodontest.Races{Searches: true})
	f.login(t, f.alice, f.bob)
	r := mustRun(t, ExitOK, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports)
	if strings.Contains(r.stderr, "not_found") {
		t.Errorf("rows of posts that exist ended not_found:\n%s", r.stderr)
	}
	if !slices.Equal(f.bob.BookmarkURIs(), f.alice.BookmarkURIs()) {
		t.Errorf("bob's bookmarks differ from alice's, or are in another order")
	}
}

// TestImportSnacBookmarkRace: snac answers 404 to a bookmark POST made
// while one of its searches fetches a post (here one that bob's phone
// started, of a slow server), though it stores the bookmark. fedimarks
// searches the post again, sees it bookmarked, and says imported, without
// a second request; the rows are in order.
func TestImportSnacBookmarkRace(t *testing.T) {
	f := newFediverseTo(t, mastodontest.Snac)
	carol := f.a.AddAccount("carol")
	var uris []string
	for i := 0; i < 8; i++ {
		uris = append(uris, carol.Post(mastodontest.PostOptions{}).URI())
	}
	f.b.SetRaces(mastodontest.Races{Bookmarks: true})
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	slow := f.c.AddAccount("erin").Post(mastodontest.PostOptions{})
	f.c.SetLatency(time.Minute) // until the test ends
	go searchAs(f.b, f.bob.Token(), slow.URI())
	for f.b.Requests("GET", "/api/v2/search") == 0 {
		time.Sleep(time.Millisecond)
	}
	r := mustRun(t, ExitOK, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if n := f.b.Raced(); n != len(uris) {
		t.Errorf("%d bookmark requests lost the race, want all %d", n, len(uris))
	}
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != len(uris) {
		t.Errorf("%d bookmark requests, want %d", n, len(uris))
	}
	outcomes, _ := f.report(t)
	details := f.details(t)
	for _, u := range uris {
		if outcomes[u] != "imported" || !strings.Contains(details[u], "answered 404 to the bookmark request, but stored it") {
			t.Errorf("%s: %s %q\n%s", u, outcomes[u], details[u], r.stderr)
		}
	}
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, reversed(uris)) {
		t.Errorf("bob has %v", got)
	}
}

// searchAs sends a resolving search to inst with tok, as another app of
// the account would, and ignores the answer.
func searchAs(inst *mastodontest.Instance, tok, q string) {
	req, err := http.NewRequest("GET", inst.URL()+"/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(q), nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

// TestImportResumeBookmarksLocalPostsByID: an import of posts of the
// destination's own server, interrupted and resumed, bookmarks the rest
// by the id in their address, as the first run did: no search.
func TestImportResumeBookmarksLocalPostsByID(t *testing.T) {
	f := newFediverse(t)
	dave := f.b.AddAccount("dave")
	var uris []string
	for i := 0; i < 60; i++ {
		uris = append(uris, dave.Post(mastodontest.PostOptions{}).URI())
	}
	slices.Reverse(uris)
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(uris, "\n")+"\n")
	ctx := interruptAfterBookmarks(t, f.b, 10)
	if r := runTool(t, ctx, f.home, "", "import", file, "--to", f.bob.Handle()); r.code != ExitInterrupted {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	f.b.SetLatency(0)
	done := len(f.bob.BookmarkURIs())
	f.b.ResetCounts()
	mustRun(t, ExitOK, f.home, "", "import", file, "--to", f.bob.Handle())
	if n := f.b.Requests("GET", "/api/v2/search"); n != 0 {
		t.Errorf("the resumed import searched %d posts of the destination's own server", n)
	}
	if n, want := f.b.Requests("POST", "/api/v1/statuses/"), len(uris)-done; n > want+1 {
		t.Errorf("%d bookmark requests for %d rows left", n, want)
	}
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, uris) {
		t.Errorf("after the resume bob has %d bookmarks, want %d in order", len(got), len(uris))
	}
}

// interruptAfterBookmarks returns a context that is cancelled (as SIGINT
// does in main) once inst has answered n bookmark requests; inst answers
// slowly meanwhile, so that the run is caught in the middle.
func interruptAfterBookmarks(t *testing.T, inst *mastodontest.Instance, n int) context.Context {
	t.Helper()
	inst.SetLatency(2 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for inst.Requests("POST", "/api/v1/statuses/") < n && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	return ctx
}
