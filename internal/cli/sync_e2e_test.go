package cli

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// syncEvents reads sync --json's lines.
func syncEvents(t *testing.T, stdout string) []syncEvent {
	t.Helper()
	var out []syncEvent
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var e syncEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("sync --json line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func eventURIs(evs []syncEvent, kind string) []string {
	var out []string
	for _, e := range evs {
		if e.Event == kind {
			out = append(out, e.URI)
		}
	}
	return out
}

// TestSyncFiveHundredThenTwentyThenNothing is the issue's first "done
// means": 500 bookmarks of alice copied to bob oldest first; 20 new ones
// then one check writes exactly those 20, in order; a check with nothing
// new reads one page of bookmarks on each side and writes nothing.
func TestSyncFiveHundredThenTwentyThenNothing(t *testing.T) {
	f := newFediverse(t)
	carol, erin := f.a.AddAccount("carol"), f.c.AddAccount("erin")
	for i := 0; i < 500; i++ {
		author := carol
		if i%3 == 1 {
			author = erin
		}
		f.alice.Bookmark(author.Post(mastodontest.PostOptions{}))
	}
	byHand := carol.Post(mastodontest.PostOptions{})
	f.bob.Bookmark(byHand) // on bob only: sync leaves it alone
	f.login(t, f.alice, f.bob)
	args := []string{"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--json"}
	r := mustRun(t, ExitOK, f.home, "", args...)
	if got := f.bob.BookmarkURIs(); !slices.Equal(got[:500], f.alice.BookmarkURIs()) || got[500] != byHand.URI() {
		t.Fatalf("bob's bookmarks are not alice's 500 in order above his own")
	}
	if added := eventURIs(syncEvents(t, r.stdout), "added"); !slices.Equal(added, reversed(f.alice.BookmarkURIs())) {
		t.Errorf("%d added events, want alice's 500 oldest first", len(added))
	}

	var fresh []string
	for i := 0; i < 20; i++ {
		s := erin.Post(mastodontest.PostOptions{})
		f.alice.Bookmark(s)
		fresh = append(fresh, s.URI())
	}
	f.a.ResetCounts()
	f.b.ResetCounts()
	r = mustRun(t, ExitOK, f.home, "", args...)
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 20 {
		t.Errorf("the check after 20 new bookmarks made %d bookmark requests, want 20\n%s", n, r.stderr)
	}
	if got := f.bob.BookmarkURIs(); !slices.Equal(got[:20], reversed(fresh)) {
		t.Errorf("the 20 new bookmarks are not on top of bob's, in alice's order")
	}
	if added := eventURIs(syncEvents(t, r.stdout), "added"); !slices.Equal(added, fresh) {
		t.Errorf("added events %d, want the 20 new ones in order", len(added))
	}

	f.a.ResetCounts()
	f.b.ResetCounts()
	r = mustRun(t, ExitOK, f.home, "", args...)
	for _, in := range []*mastodontest.Instance{f.a, f.b} {
		if n := in.Requests("GET", "/api/v1/bookmarks"); n != 1 {
			t.Errorf("a check with nothing new read %d pages of bookmarks on %s, want 1", n, in.Host())
		}
		if n := in.Requests("POST", "/"); n != 0 {
			t.Errorf("a check with nothing new wrote %d times on %s", n, in.Host())
		}
		if n := in.Requests("GET", "/api/v2/search"); n != 0 {
			t.Errorf("a check with nothing new searched %d times on %s", n, in.Host())
		}
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("events for a check with nothing new: %s", r.stdout)
	}

	st := mustRun(t, ExitOK, f.home, "", "sync", "--status")
	for _, want := range []string{f.alice.Handle() + " to " + f.bob.Handle(), "added by sync: 520", "520 bookmarks on " + f.alice.Handle(), "521 bookmarks on " + f.bob.Handle(), "pending: 0 rows"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("sync --status lacks %q:\n%s", want, st.stdout)
		}
	}
}

// TestSyncMirrorRemovesOnlyWhatSyncAdded: with --mirror, 5 bookmarks
// removed on alice are removed on bob, and only those: a post bob had
// bookmarked himself before the first sync stays on bob even when alice
// removes it, and so does one bob bookmarked alone. A post re-bookmarked
// on alice later is copied again.
func TestSyncMirrorRemovesOnlyWhatSyncAdded(t *testing.T) {
	// With the scopes 'fedimarks login' asks for (no read:statuses, so
	// GET /api/v1/statuses/ID is refused), and with "read write follow".
	for name, scopes := range map[string][]string{
		"login scopes": {"read:bookmarks", "write:bookmarks", "read:search", "profile"},
		"read write":   nil,
	} {
		t.Run(name, func(t *testing.T) { syncMirrorRemovesOnlyWhatSyncAdded(t, scopes) })
	}
}

func syncMirrorRemovesOnlyWhatSyncAdded(t *testing.T, scopes []string) {
	f := newFediverse(t)
	posts := aliceBookmarksCarol(f, 60)
	both, alone := posts[10], posts[0].Author().Post(mastodontest.PostOptions{})
	f.bob.Bookmark(both) // bob's own, before any sync
	f.bob.Bookmark(alone)
	for _, acc := range []*mastodontest.Account{f.alice, f.bob} {
		mustRun(t, 0, f.home, acc.Token(scopes...)+"\n", "login", acc.Instance().URL(), "--token-stdin")
	}
	args := []string{"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--mirror", "--json"}
	mustRun(t, ExitOK, f.home, "", args...)
	if n := len(f.bob.BookmarkURIs()); n != 61 {
		t.Fatalf("bob has %d bookmarks after the first sync, want 61", n)
	}
	gone := []*mastodontest.Status{posts[3], posts[20], posts[33], posts[40], posts[59]}
	var goneURIs []string
	for _, s := range gone {
		f.alice.Unbookmark(s)
		goneURIs = append(goneURIs, s.URI())
	}
	f.alice.Unbookmark(both)
	r := mustRun(t, ExitOK, f.home, "", args...)
	bob := f.bob.BookmarkURIs()
	for _, s := range gone {
		if slices.Contains(bob, s.URI()) {
			t.Errorf("%s removed on alice is still on bob", s.URI())
		}
	}
	if !slices.Contains(bob, both.URI()) || !slices.Contains(bob, alone.URI()) {
		t.Errorf("sync removed a bookmark bob made himself")
	}
	if len(bob) != 56 {
		t.Errorf("bob has %d bookmarks, want 56 (61 less the 5 sync added)", len(bob))
	}
	evs := syncEvents(t, r.stdout)
	if removed := eventURIs(evs, "removed"); !slices.Equal(removed, goneURIs) {
		t.Errorf("removed events %v, want %v oldest first", removed, goneURIs)
	}
	if !strings.Contains(r.stderr, "removed from "+f.bob.Handle()) {
		t.Errorf("the removals are not said:\n%s", r.stderr)
	}

	// Bookmarked again on alice: new again, copied to bob on top.
	f.alice.Bookmark(gone[1])
	r = mustRun(t, ExitOK, f.home, "", args...)
	if got := f.bob.BookmarkURIs(); got[0] != gone[1].URI() {
		t.Errorf("a post bookmarked again on alice is not copied again: %v", eventURIs(syncEvents(t, r.stdout), "added"))
	}
	if removed := eventURIs(syncEvents(t, r.stdout), "removed"); len(removed) != 0 {
		t.Errorf("a second check removed again: %v", removed)
	}
	st := mustRun(t, ExitOK, f.home, "", "sync", "--status", "--json")
	var ps syncPairStatus
	if err := json.Unmarshal([]byte(st.stdout), &ps); err != nil || ps.Removed != 5 || ps.Added != 55 || !ps.Mirror {
		t.Errorf("sync --status --json: %v %+v", err, ps)
	}
}

// TestSyncBothWays: with --both, what either account bookmarked appears on
// the other; new bookmarks on both sides then one check copy each side's
// new ones, and a check with nothing new writes nothing. With --mirror, a
// bookmark removed on the side where it was made is removed where sync
// copied it, and a removed copy is not brought back.
func TestSyncBothWays(t *testing.T) {
	f := newFediverse(t)
	carol, dave := f.a.AddAccount("carol"), f.b.AddAccount("dave")
	shared := carol.Post(mastodontest.PostOptions{})
	var onA, onB []*mastodontest.Status
	for i := 0; i < 30; i++ {
		s := carol.Post(mastodontest.PostOptions{})
		onA = append(onA, s)
		f.alice.Bookmark(s)
	}
	for i := 0; i < 20; i++ {
		s := dave.Post(mastodontest.PostOptions{})
		onB = append(onB, s)
		f.bob.Bookmark(s)
	}
	f.alice.Bookmark(shared)
	f.bob.Bookmark(shared)
	f.login(t, f.alice, f.bob)
	args := []string{"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--both", "--mirror", "--json"}
	mustRun(t, ExitOK, f.home, "", args...)
	set := func(a *mastodontest.Account) []string { return slices.Sorted(slices.Values(a.BookmarkURIs())) }
	if a, b := set(f.alice), set(f.bob); len(a) != 51 || !slices.Equal(a, b) {
		t.Fatalf("after sync --both alice has %d, bob %d bookmarks, want the same 51", len(a), len(b))
	}
	if !inOrder(reversed(f.bob.BookmarkURIs()), uris(onA)) || !inOrder(reversed(f.alice.BookmarkURIs()), uris(onB)) {
		t.Errorf("copies are not in the source's order")
	}

	newA := []*mastodontest.Status{carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{})}
	newB := []*mastodontest.Status{dave.Post(mastodontest.PostOptions{}), dave.Post(mastodontest.PostOptions{})}
	for _, s := range newA {
		f.alice.Bookmark(s)
	}
	for _, s := range newB {
		f.bob.Bookmark(s)
	}
	f.a.ResetCounts()
	f.b.ResetCounts()
	r := mustRun(t, ExitOK, f.home, "", args...)
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 3 {
		t.Errorf("%d writes on bob, want 3", n)
	}
	if n := f.a.Requests("POST", "/api/v1/statuses/"); n != 2 {
		t.Errorf("%d writes on alice, want 2", n)
	}
	if got := eventURIs(syncEvents(t, r.stdout), "added"); !slices.Equal(got, append(uris(newA), uris(newB)...)) {
		t.Errorf("added events %v", got)
	}
	if a, b := set(f.alice), set(f.bob); len(a) != 56 || !slices.Equal(a, b) {
		t.Fatalf("after the second check alice has %d, bob %d bookmarks, want the same 56", len(a), len(b))
	}

	// Removed where it was made: removed where sync copied it. A copy
	// removed (onB[0] on alice) stays removed on alice and on bob.
	f.alice.Unbookmark(onA[5])
	f.bob.Unbookmark(onB[7])
	f.alice.Unbookmark(onB[0])
	r = mustRun(t, ExitOK, f.home, "", args...)
	a, b := f.alice.BookmarkURIs(), f.bob.BookmarkURIs()
	if slices.Contains(b, onA[5].URI()) || slices.Contains(a, onB[7].URI()) {
		t.Errorf("a removal was not mirrored: %v", eventURIs(syncEvents(t, r.stdout), "removed"))
	}
	if slices.Contains(a, onB[0].URI()) || !slices.Contains(b, onB[0].URI()) {
		t.Errorf("a removed copy came back, or bob's own bookmark was removed")
	}
	if !slices.Contains(a, shared.URI()) || !slices.Contains(b, shared.URI()) {
		t.Errorf("a bookmark made on both sides was touched")
	}
	f.a.ResetCounts()
	f.b.ResetCounts()
	mustRun(t, ExitOK, f.home, "", args...)
	if n := f.a.Requests("POST", "/") + f.b.Requests("POST", "/"); n != 0 {
		t.Errorf("a check with nothing new wrote %d times", n)
	}
	for _, in := range []*mastodontest.Instance{f.a, f.b} {
		// --mirror walks both sides in full: 2 pages of 40 for 53, nothing else.
		if n, all := in.Requests("GET", "/api/v1/bookmarks"), in.Requests("GET", "/"); n != 2 || all != 2 {
			t.Errorf("a check with nothing new made %d requests on %s (%d pages of bookmarks), want the 2 pages of a full walk", all, in.Host(), n)
		}
	}
}

func uris(ss []*mastodontest.Status) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.URI())
	}
	return out
}

// TestSyncWatchServerDownThenUp: --watch with bob's server down for the
// first two checks says it waits (and emits "waiting"), goes on, copies
// everything once the server is back, picks up what is bookmarked later,
// and stops cleanly when its context ends (Ctrl-C, SIGTERM). The clock is
// a fake: no test time is spent waiting.
func TestSyncWatchServerDownThenUp(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	for i := 0; i < 10; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	f.b.SetDown(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var late []string
	waits := 0
	sleep := func(ctx context.Context, d time.Duration) error {
		if d != 7*time.Minute {
			return ctx.Err() // the clients' retries and pauses
		}
		waits++
		switch waits {
		case 2:
			f.b.SetDown(false)
		case 3:
			for i := 0; i < 2; i++ {
				s := carol.Post(mastodontest.PostOptions{})
				f.alice.Bookmark(s)
				late = append(late, s.URI())
			}
		case 4:
			cancel()
		}
		return ctx.Err()
	}
	r := runToolWith(t, ctx, f.home, "", func(o *IO) { o.Sleep = sleep },
		"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--watch", "--every", "7m", "--json")
	if r.code != ExitOK {
		t.Fatalf("sync --watch: exit %d\n%s", r.code, r.stderr)
	}
	if waits != 4 {
		t.Errorf("%d waits between checks, want 4", waits)
	}
	if !slices.Equal(f.bob.BookmarkURIs(), f.alice.BookmarkURIs()) {
		t.Errorf("bob's bookmarks are not alice's 12 in order after the server came back")
	}
	evs := syncEvents(t, r.stdout)
	if n := len(eventURIs(evs, "waiting")); n != 2 {
		t.Errorf("%d waiting events, want 2 (one per check while bob's server was down)", n)
	}
	if added := eventURIs(evs, "added"); len(added) != 12 || !slices.Equal(added[10:], late) {
		t.Errorf("added events: %v", added)
	}
	if strings.Count(r.stderr, "sync waiting: ") != 2 || !strings.Contains(r.stderr, "trying again in 7m") || strings.Contains(r.stderr, "the same command") {
		t.Errorf("the waits are not said:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "sync stopped; everything done so far is saved") {
		t.Errorf("the stop is not said:\n%s", r.stderr)
	}
	st := mustRun(t, ExitOK, f.home, "", "sync", "--status")
	if !strings.Contains(st.stdout, "added by sync: 12") || strings.Contains(st.stdout, "failing") {
		t.Errorf("sync --status after the server came back:\n%s", st.stdout)
	}
}

// TestSyncMirrorKeepsBookmarksTheListingHides: a full walk of alice records
// as removed the bookmarks her server's listing hides (muted authors;
// snac: authors not followed), though they are still there. --mirror asks
// her server about each before removing its copy: those still bookmarked
// stay on bob, the one she really removed goes.
func TestSyncMirrorKeepsBookmarksTheListingHides(t *testing.T) {
	f := newFediverse(t)
	posts := aliceBookmarksCarol(f, 20)
	f.login(t, f.alice, f.bob)
	args := []string{"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--mirror", "--json"}
	mustRun(t, ExitOK, f.home, "", args...)
	f.a.SetHideEvery(5) // 4 of alice's 20 vanish from her listing
	f.alice.Unbookmark(posts[2])
	r := mustRun(t, ExitOK, f.home, "", args...)
	if removed := eventURIs(syncEvents(t, r.stdout), "removed"); !slices.Equal(removed, []string{posts[2].URI()}) {
		t.Errorf("removed %v, want only %s\n%s", removed, posts[2].URI(), r.stderr)
	}
	if n := len(f.bob.BookmarkURIs()); n != 19 {
		t.Errorf("bob has %d bookmarks, want 19", n)
	}
	if strings.Count(r.stderr, "is still bookmarked on "+f.alice.Handle()) != 4 {
		t.Errorf("the kept bookmarks are not said:\n%s", r.stderr)
	}
}

// TestSyncWatchSleepsThroughRateLimit: bob's server allows 20 requests per
// 5 minutes; a --watch check that needs about 70 sleeps through the windows
// (on a fake clock) instead of failing, and finishes with every bookmark in
// order and no request refused.
func TestSyncWatchSleepsThroughRateLimit(t *testing.T) {
	f := newFediverse(t)
	clock := newTestClock(f.net)
	carol := f.a.AddAccount("carol")
	for i := 0; i < 30; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	f.b.SetRateLimit(20, 5*time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var slept time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		if d == time.Hour {
			cancel() // the first check is over
			return ctx.Err()
		}
		slept += d
		clock.Advance(d)
		return ctx.Err()
	}
	r := runToolWith(t, ctx, f.home, "", func(o *IO) { o.Sleep, o.Now = sleep, clock.Now },
		"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--watch", "--every", "1h", "--json")
	if r.code != ExitOK {
		t.Fatalf("sync --watch: exit %d\n%s", r.code, r.stderr)
	}
	if n := len(eventURIs(syncEvents(t, r.stdout), "waiting")); n < 2 {
		t.Errorf("%d waiting events for the rate limit, want one per window waited for", n)
	}
	if !slices.Equal(f.bob.BookmarkURIs(), f.alice.BookmarkURIs()) {
		t.Errorf("bob has %d of alice's 30 bookmarks, or in another order\n%s", len(f.bob.BookmarkURIs()), r.stderr)
	}
	if n := f.b.Responses(429); n != 0 {
		t.Errorf("%d requests refused with 429", n)
	}
	if slept < 10*time.Minute {
		t.Errorf("slept %s through the rate limit, want at least two windows", slept)
	}
}

// TestSyncMirrorRemovalResumed: a run killed after recording a removal and
// before its answer leaves it pending; the next run sends that unbookmark
// (once) and records it, with its event. A removal whose answer never came
// (bob's server down) stays pending, with no false outcome, and is done by
// the check after.
func TestSyncMirrorRemovalResumed(t *testing.T) {
	f := newFediverse(t)
	posts := aliceBookmarksCarol(f, 5)
	f.login(t, f.alice, f.bob)
	args := []string{"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--mirror", "--json"}
	mustRun(t, ExitOK, f.home, "", args...)

	// As a run killed between the record and the request leaves it.
	ctx := context.Background()
	ar := openHomeArchive(t, f.home)
	destID := f.b.LocalID(posts[1].URI())
	if _, err := ar.BeginSyncRemoval(ctx, fedimarks.Handle(f.alice.Handle()), fedimarks.Handle(f.bob.Handle()), posts[1].URI(), destID, time.Now()); err != nil {
		t.Fatal(err)
	}
	ar.Close()
	f.alice.Unbookmark(posts[1])
	r := mustRun(t, ExitOK, f.home, "", args...)
	if got := eventURIs(syncEvents(t, r.stdout), "removed"); !slices.Equal(got, []string{posts[1].URI()}) {
		t.Errorf("removed events %v, want the pending one once", got)
	}
	if slices.Contains(f.bob.BookmarkURIs(), posts[1].URI()) {
		t.Errorf("the pending removal was not done")
	}

	f.alice.Unbookmark(posts[3])
	f.b.SetDown(true)
	r = mustRun(t, ExitError, f.home, "", args...)
	if got := eventURIs(syncEvents(t, r.stdout), "removed"); len(got) != 0 {
		t.Errorf("removed while bob's server was down: %v", got)
	}
	f.b.SetDown(false)
	st := mustRun(t, ExitOK, f.home, "", "sync", "--status")
	if !strings.Contains(st.stdout, "failing: the last 1 check failed") {
		t.Errorf("sync --status does not show the failed check:\n%s", st.stdout)
	}
	r = mustRun(t, ExitOK, f.home, "", args...)
	if got := eventURIs(syncEvents(t, r.stdout), "removed"); !slices.Equal(got, []string{posts[3].URI()}) {
		t.Errorf("after the server came back: removed %v", got)
	}
	if got, want := f.bob.BookmarkURIs(), f.alice.BookmarkURIs(); !slices.Equal(got, want) {
		t.Errorf("bob %v, alice %v", got, want)
	}
}

// TestSyncWatchStopsOnRevokedToken: a refused token does not heal by
// waiting: --watch stops with exit 4 and the login to run.
func TestSyncWatchStopsOnRevokedToken(t *testing.T) {
	f := newFediverse(t)
	f.alice.Bookmark(f.a.AddAccount("carol").Post(mastodontest.PostOptions{}))
	tok := f.bob.Token()
	f.login(t, f.alice)
	mustRun(t, 0, f.home, tok+"\n", "login", f.b.URL(), "--token-stdin")
	f.b.RevokeToken(tok)
	waits := 0
	r := runToolWith(t, nil, f.home, "", func(o *IO) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if d == defaultSyncEvery {
				waits++
			}
			if waits > 3 {
				return context.Canceled
			}
			return nil
		}
	}, "sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--watch")
	if r.code != ExitAuth || waits != 0 {
		t.Errorf("sync --watch with a revoked token: exit %d after %d waits\n%s", r.code, waits, r.stderr)
	}
	if !strings.Contains(r.stderr, "fedimarks login") {
		t.Errorf("no login hint:\n%s", r.stderr)
	}
}

// TestSyncAlreadyCheckedWhenArchiveIsStale: bob bookmarked a post himself,
// then removed it; his archive still lists it (no full walk since). When
// alice bookmarks it, the check does not call it already on the archive's
// word: bob's server says it is not bookmarked, so it is written.
func TestSyncAlreadyCheckedWhenArchiveIsStale(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	for i := 0; i < 3; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	post, kept := carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{})
	f.bob.Bookmark(post)
	f.bob.Bookmark(kept)
	f.login(t, f.alice, f.bob)
	args := []string{"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--json"}
	mustRun(t, ExitOK, f.home, "", args...)
	f.bob.Unbookmark(post)
	f.alice.Bookmark(post)
	f.alice.Bookmark(kept)
	r := mustRun(t, ExitOK, f.home, "", args...)
	if !slices.Contains(f.bob.BookmarkURIs(), post.URI()) {
		t.Fatalf("the post bob removed was called already on his archive's word\n%s", r.stderr)
	}
	if got := eventURIs(syncEvents(t, r.stdout), "added"); !slices.Equal(got, []string{post.URI()}) {
		t.Errorf("added %v, want only the post bob no longer had", got)
	}
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 3+1 {
		t.Errorf("%d bookmark requests on bob, want 4 (3, then the one he no longer had)", n)
	}
}

// TestSyncFailedRowsReportedOnce: a followers-only post bob cannot see ends
// not_visible: a failed event (once, not again at the next check), exit 3,
// and --status counts it by outcome.
func TestSyncFailedRowsReportedOnce(t *testing.T) {
	f := newFediverse(t)
	frank := f.a.AddAccount("frank")
	f.alice.Follow(frank)
	hidden := frank.Post(mastodontest.PostOptions{Visibility: "private"})
	f.alice.Bookmark(hidden)
	f.alice.Bookmark(frank.Post(mastodontest.PostOptions{}))
	f.login(t, f.alice, f.bob)
	args := []string{"sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--json"}
	r := mustRun(t, ExitPartial, f.home, "", args...)
	evs := syncEvents(t, r.stdout)
	if got := eventURIs(evs, "failed"); !slices.Equal(got, []string{hidden.URI()}) || evs[0].Outcome != "not_visible" {
		t.Errorf("failed events %+v", evs)
	}
	if !strings.Contains(r.stderr, "1 bookmark added, 0 bookmarks removed, 1 row failed") {
		t.Errorf("the pair's line:\n%s", r.stderr)
	}
	r = mustRun(t, ExitPartial, f.home, "", args...)
	if got := eventURIs(syncEvents(t, r.stdout), "failed"); len(got) != 0 {
		t.Errorf("the failed row is reported again: %v", got)
	}
	st := mustRun(t, ExitOK, f.home, "", "sync", "--status")
	if !strings.Contains(st.stdout, "failed: 1 row, 1 not_visible") {
		t.Errorf("sync --status:\n%s", st.stdout)
	}
}

// aliceBookmarksCarol has alice bookmark n new posts of carol (on alice's
// server), oldest first, and returns them.
func aliceBookmarksCarol(f *fediverse, n int) []*mastodontest.Status {
	carol := f.a.AddAccount("carol")
	var posts []*mastodontest.Status
	for i := 0; i < n; i++ {
		s := carol.Post(mastodontest.PostOptions{})
		posts = append(posts, s)
		f.alice.Bookmark(s)
	}
	return posts
}
