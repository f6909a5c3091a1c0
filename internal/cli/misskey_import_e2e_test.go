package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// saveMisskeyLogin signs acc (a user of a Misskey instance) in, with its
// token on standard input.
func saveMisskeyLogin(t *testing.T, home string, acc *mastodontest.Account) {
	t.Helper()
	mustRun(t, 0, home, acc.Token()+"\n", "login", acc.Instance().URL(), "--token-stdin")
}

// misskeyWorld is fediverse (Mastodon-like A, B, C) plus a Misskey
// instance M with mika, and a slow Mastodon-like D.
type misskeyWorld struct {
	*fediverse
	m, d *mastodontest.Instance
	mika *mastodontest.Account
}

func newMisskeyWorld(t *testing.T) *misskeyWorld {
	t.Helper()
	f := newFediverse(t)
	w := &misskeyWorld{fediverse: f}
	w.m = f.net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Misskey})
	w.d = f.net.NewInstance(mastodontest.InstanceOptions{})
	w.mika = w.m.AddAccount("mika")
	return w
}

// TestImportIntoMisskeyEveryOutcome imports a Mastodon bookmarks.csv into
// a Misskey account: each post is resolved with ap/show (a note of M
// itself with notes/show) and favorited; every outcome is the true one,
// rows land in the source's order, and the deleted post and the down
// server are told apart by asking the post's own server.
func TestImportIntoMisskeyEveryOutcome(t *testing.T) {
	w := newMisskeyWorld(t)
	carol, erin, frank := w.a.AddAccount("carol"), w.c.AddAccount("erin"), w.a.AddAccount("frank")
	dora, nora := w.d.AddAccount("dora"), w.m.AddAccount("nora")
	ok1 := carol.Post(mastodontest.PostOptions{})
	local := nora.Post(mastodontest.PostOptions{Text: "a note of M itself"})
	had := carol.Post(mastodontest.PostOptions{})
	gone := carol.Post(mastodontest.PostOptions{})
	down := erin.Post(mastodontest.PostOptions{})
	private := frank.Post(mastodontest.PostOptions{Visibility: "private"})
	slow := dora.Post(mastodontest.PostOptions{})
	ok2 := w.bob.Post(mastodontest.PostOptions{})
	w.mika.Favorite(had)
	gone.Delete()
	w.c.SetDown(true)
	// M gives up on D's answers, which fedimarks gets: D serves the post,
	// M cannot fetch it.
	w.d.SetLatency(300 * time.Millisecond)
	w.m.SetFetchTimeout(50 * time.Millisecond)

	order := []string{ok1.URI(), local.URI(), had.URI(), gone.URI(), down.URI(), private.URI(), slow.URI(), ok2.URI(), "not a url"}
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(order), "\n")+"\n") // newest first
	saveMisskeyLogin(t, w.home, w.mika)
	args := []string{"import", file, "--to", w.mika.Handle(), "--report-dir", w.reports}
	r := mustRun(t, ExitPartial, w.home, "", args...)

	got, rows := w.report(t)
	want := map[string]string{
		ok1.URI(): "imported", local.URI(): "imported", had.URI(): "already", gone.URI(): "not_found",
		down.URI(): "unreachable", private.URI(): "not_found", slow.URI(): "failed", ok2.URI(): "imported",
		"not a url": "invalid",
	}
	for u, o := range want {
		if got[u] != o {
			t.Errorf("%s: %s, want %s", u, got[u], o)
		}
	}
	var seen []string
	for _, row := range rows {
		seen = append(seen, row[0])
		switch row[0] {
		case gone.URI():
			if !strings.Contains(row[2], "deleted") {
				t.Errorf("deleted post's detail %q", row[2])
			}
		case down.URI():
			if !strings.Contains(row[2], w.c.Host()) || !strings.Contains(row[2], "did not answer") {
				t.Errorf("down server's detail %q", row[2])
			}
		}
	}
	if !slices.Equal(seen, order) {
		t.Errorf("report order %v", seen)
	}
	if favs := w.mika.FavoriteURIs(); !slices.Equal(favs, []string{ok2.URI(), local.URI(), ok1.URI(), had.URI()}) {
		t.Errorf("mika's favorites (newest first) %v", favs)
	}
	if n := w.m.Requests("POST", "/api/notes/show"); n != 1 {
		t.Errorf("%d notes/show for the one note of M", n)
	}
	if !strings.Contains(r.stderr, "requests to "+w.m.Host()) || !strings.Contains(r.stderr, "read 1 favorite of "+w.mika.Handle()) {
		t.Errorf("no request count:\n%s", r.stderr)
	}

	// The server back, and mika following frank: a rerun with
	// --retry-failed does the rest but the deleted and the slow post.
	w.c.SetDown(false)
	w.mika.Follow(frank)
	mustRun(t, ExitPartial, w.home, "", append(args, "--retry-failed")...)
	got, _ = w.report(t)
	for _, u := range []string{down.URI(), private.URI()} {
		if got[u] != "imported" {
			t.Errorf("after the rerun %s: %s", u, got[u])
		}
	}
	if got[gone.URI()] != "not_found" {
		t.Errorf("after the rerun the deleted post: %s", got[gone.URI()])
	}
}

// TestImportIntoMisskeyRateLimited: Misskey limits each endpoint on its
// own (ap/show 30 an hour); its 429 RATE_LIMIT_EXCEEDED is waited out
// until the time it names, and the call is sent again: every row ends
// imported, in order, none lost, whatever the limits.
func TestImportIntoMisskeyRateLimited(t *testing.T) {
	w := newMisskeyWorld(t)
	clock := newTestClock(w.net)
	w.m.SetEndpointLimit("ap/show", 4, time.Hour)
	w.m.SetEndpointLimit("notes/favorites/create", 3, 10*time.Minute)
	w.m.SetEndpointLimit("i/favorites", 1, time.Minute)
	carol := w.a.AddAccount("carol")
	var order []string
	for i := 0; i < 11; i++ {
		order = append(order, carol.Post(mastodontest.PostOptions{}).URI())
	}
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(order), "\n")+"\n")
	saveMisskeyLogin(t, w.home, w.mika)
	tick := func(o *IO) {
		o.Now = clock.Now
		o.Sleep = func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() }
	}
	start := clock.Now()
	r := runToolWith(t, nil, w.home, "", tick, "import", file, "--to", w.mika.Handle(), "--report-dir", w.reports)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if got := w.mika.FavoriteURIs(); !slices.Equal(got, reversed(order)) {
		t.Errorf("mika's favorites %v, want the 11 in order", got)
	}
	if n := w.m.Responses(429); n == 0 {
		t.Error("no 429: the limits were not met")
	}
	// A 429 holds back every call of its endpoint until the time it
	// names: a few 429s a window (the calls already out), not a storm.
	if n := w.m.Responses(429); n > 20 {
		t.Errorf("%d answers 429 for 11 rows", n)
	}
	// 11 ap/show at 4 an hour: the third window opens 2 hours on (the
	// fake clock adds the waits of resolvers waiting together).
	if d := clock.Now().Sub(start); d < 2*time.Hour {
		t.Errorf("the import took %v of the clock: the limit was not waited out", d)
	}
}

// TestMigrateMisskeyToMastodon moves mika's favorites on Misskey into
// bob's bookmarks on Mastodon-like B: notes of M itself (by their
// ActivityPub id, http://M/notes/ID) and posts of other servers alike,
// every outcome the true one, in the favorites' order.
func TestMigrateMisskeyToMastodon(t *testing.T) {
	w := newMisskeyWorld(t)
	carol, erin, frank := w.a.AddAccount("carol"), w.c.AddAccount("erin"), w.a.AddAccount("frank")
	dora, nora := w.d.AddAccount("dora"), w.m.AddAccount("nora")
	local := nora.Post(mastodontest.PostOptions{Text: "a note of M"})
	remote := carol.Post(mastodontest.PostOptions{})
	had := carol.Post(mastodontest.PostOptions{})
	gone := nora.Post(mastodontest.PostOptions{})
	down := erin.Post(mastodontest.PostOptions{})
	private := frank.Post(mastodontest.PostOptions{Visibility: "private"})
	slow := dora.Post(mastodontest.PostOptions{})
	w.mika.Follow(frank)
	order := []*mastodontest.Status{local, remote, had, gone, down, private, slow}
	for _, s := range order {
		w.mika.Favorite(s)
	}
	w.bob.Bookmark(had)
	saveMisskeyLogin(t, w.home, w.mika)
	w.login(t, w.bob)
	mustRun(t, 0, w.home, "", "backup", w.mika.Handle())
	gone.Delete()
	w.c.SetDown(true)
	w.d.SetLatency(300 * time.Millisecond)
	w.b.SetFetchTimeout(50 * time.Millisecond)

	mustRun(t, ExitPartial, w.home, "", "migrate", "--from", w.mika.Handle(), "--to", w.bob.Handle(), "--offline", "--report-dir", w.reports)
	got, rows := w.report(t)
	want := map[string]string{
		local.URI(): "imported", remote.URI(): "imported", had.URI(): "already", gone.URI(): "not_found",
		// Mastodon says (503) when it could not fetch a post: unreachable.
		down.URI(): "unreachable", private.URI(): "not_visible", slow.URI(): "unreachable",
	}
	for u, o := range want {
		if got[u] != o {
			t.Errorf("%s: %s, want %s", u, got[u], o)
		}
	}
	var seen []string
	for _, row := range rows {
		seen = append(seen, row[0])
	}
	var wantOrder []string
	for _, s := range order {
		wantOrder = append(wantOrder, s.URI())
	}
	if !slices.Equal(seen, wantOrder) {
		t.Errorf("report order %v, want %v", seen, wantOrder)
	}
	if b := w.bob.BookmarkURIs(); !slices.Equal(b, []string{remote.URI(), local.URI(), had.URI()}) {
		t.Errorf("bob's bookmarks %v", b)
	}
}

// TestMigrateMastodonToMisskeyAndVerify moves alice's bookmarks (A) into
// mika's favorites (M); a followers-only post of an author mika does not
// follow ends not_visible (the archive knows its visibility). verify then
// works both ways: the bookmarks against mika's favorites (one missing),
// and mika's favorites against bob's bookmarks.
func TestMigrateMastodonToMisskeyAndVerify(t *testing.T) {
	w := newMisskeyWorld(t)
	carol, frank, nora := w.a.AddAccount("carol"), w.a.AddAccount("frank"), w.m.AddAccount("nora")
	w.alice.Follow(frank)
	posts := []*mastodontest.Status{carol.Post(mastodontest.PostOptions{}), nora.Post(mastodontest.PostOptions{}),
		frank.Post(mastodontest.PostOptions{Visibility: "private"}), carol.Post(mastodontest.PostOptions{})}
	for _, s := range posts {
		w.alice.Bookmark(s)
	}
	w.login(t, w.alice, w.bob)
	saveMisskeyLogin(t, w.home, w.mika)
	mustRun(t, ExitPartial, w.home, "", "migrate", "--from", w.alice.Handle(), "--to", w.mika.Handle(), "--report-dir", w.reports)
	got, _ := w.report(t)
	for k, s := range posts {
		want := "imported"
		if k == 2 {
			want = "not_visible"
		}
		if got[s.URI()] != want {
			t.Errorf("%s: %s, want %s", s.URI(), got[s.URI()], want)
		}
	}
	if favs := w.mika.FavoriteURIs(); !slices.Equal(favs, []string{posts[3].URI(), posts[1].URI(), posts[0].URI()}) {
		t.Errorf("mika's favorites %v", favs)
	}

	// alice's bookmarks against mika's favorites: the followers-only post
	// is missing.
	r := mustRun(t, ExitPartial, w.home, "", "verify", "--from", w.alice.Handle(), "--to", w.mika.Handle(), "--offline")
	if strings.TrimSpace(r.stdout) != posts[2].URI() {
		t.Errorf("verify into Misskey listed %q, want the followers-only post", r.stdout)
	}
	// A favorite fedimarks made, gone from the listing: the posts the
	// listing does not show are checked one by one (ap/show, then
	// notes/state, which says whether mika favorited it).
	w.mika.Unfavorite(posts[0])
	w.m.ResetCounts()
	r = mustRun(t, ExitPartial, w.home, "", "verify", "--from", w.alice.Handle(), "--to", w.mika.Handle(), "--offline")
	if got := strings.Fields(r.stdout); !slices.Equal(got, []string{posts[2].URI(), posts[0].URI()}) {
		t.Errorf("verify after an unfavorite listed %v", got)
	}
	if w.m.Requests("POST", "/api/notes/state") == 0 || !strings.Contains(r.stderr, "has the post, not bookmarked") {
		t.Errorf("no post check (%d notes/state):\n%s", w.m.Requests("POST", "/api/notes/state"), r.stderr)
	}
	w.mika.Favorite(posts[0])
	// mika's favorites against bob's bookmarks (none yet): all missing;
	// once migrated, none.
	r = mustRun(t, ExitPartial, w.home, "", "verify", "--from", w.mika.Handle(), "--to", w.bob.Handle())
	if n := len(strings.Fields(r.stdout)); n != 3 {
		t.Errorf("verify from Misskey listed %d posts, want 3:\n%s", n, r.stdout)
	}
	mustRun(t, ExitOK, w.home, "", "migrate", "--from", w.mika.Handle(), "--to", w.bob.Handle(), "--offline", "--report-dir", w.reports)
	mustRun(t, ExitOK, w.home, "", "verify", "--from", w.mika.Handle(), "--to", w.bob.Handle(), "--offline")
}

// TestImportMisskeyExportFile imports Misskey's own favorites export into
// Mastodon: a note of another server by its uri; a note of the exporting
// server, which the file lists without an address, only once that server
// is named (--from-server), and the row says so until then.
func TestImportMisskeyExportFile(t *testing.T) {
	w := newMisskeyWorld(t)
	carol, nora := w.a.AddAccount("carol"), w.m.AddAccount("nora")
	remote := carol.Post(mastodontest.PostOptions{})
	local := nora.Post(mastodontest.PostOptions{Text: "a note of M"})
	export := `[{"id":"9x0001","createdAt":"2026-01-01T00:00:00.000Z","note":{"id":"` + w.m.NoteID(remote) +
		`","text":"hello","createdAt":"2025-12-31T00:00:00.000Z","fileIds":[],"replyId":null,"renoteId":null,"poll":null,"cw":null,` +
		`"visibility":"public","visibleUserIds":[],"localOnly":false,"reactionAcceptance":null,"uri":"` + remote.URI() + `","url":"` + remote.URL() +
		`","user":{"id":"9u1","name":"Carol","username":"carol","host":"` + w.a.Host() + `","uri":"` + w.a.URL() + `/users/carol"}}},` + "\n" +
		`{"id":"9x0002","createdAt":"2026-01-02T00:00:00.000Z","note":{"id":"` + local.ID() +
		`","text":"a note of M","createdAt":"2026-01-01T00:00:00.000Z","fileIds":[],"replyId":null,"renoteId":null,"poll":null,"cw":null,` +
		`"visibility":"public","visibleUserIds":[],"localOnly":false,"reactionAcceptance":null,"uri":null,"url":null,` +
		`"user":{"id":"9u2","name":null,"username":"nora","host":null,"uri":null}}}]`
	file := writeFile(t, "favorites-2026-01-02-00-00-00.json", export)
	w.login(t, w.bob)
	args := []string{"import", file, "--to", w.bob.Handle(), "--report-dir", w.reports}
	r := mustRun(t, ExitPartial, w.home, "", args...)
	if !strings.Contains(r.stderr, file+":item 2: a note of the Misskey server this file was exported from") ||
		!strings.Contains(r.stderr, "(misskey)") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if got := w.bob.BookmarkURIs(); !slices.Equal(got, []string{remote.URI()}) {
		t.Errorf("bob has %v", got)
	}
	mustRun(t, ExitOK, w.home, "", append(args, "--from-server", w.m.URL())...)
	if got := w.bob.BookmarkURIs(); !slices.Equal(got, []string{local.URI(), remote.URI()}) {
		t.Errorf("with --from-server bob has %v", got)
	}
	mustRun(t, ExitOK, w.home, "", "verify", file, "--from-server", w.m.URL(), "--to", w.bob.Handle())
	if r := runTool(t, nil, w.home, "", append(args, "--from-server", "ftp://x")...); r.code != ExitUsage {
		t.Errorf("a bad --from-server: exit %d", r.code)
	}
}

// TestImportIntoMisskeyWithoutWritePermission: a token that may read but
// not favorite stops the import at its first favorite, resumably, with
// exit 4 and the permission named; signed in again with it, the same
// command finishes the job.
func TestImportIntoMisskeyWithoutWritePermission(t *testing.T) {
	w := newMisskeyWorld(t)
	carol := w.a.AddAccount("carol")
	a, b := carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{})
	file := writeFile(t, "bookmarks.csv", b.URI()+"\n"+a.URI()+"\n")
	mustRun(t, 0, w.home, w.mika.Token("read:account", "read:favorites")+"\n", "login", w.m.URL(), "--token-stdin")
	args := []string{"import", file, "--to", w.mika.Handle(), "--report-dir", w.reports}
	r := mustRun(t, ExitAuth, w.home, "", args...)
	if !strings.Contains(r.stderr, "write:favorites") {
		t.Errorf("the refusal does not name write:favorites:\n%s", r.stderr)
	}
	if len(w.mika.FavoriteURIs()) != 0 {
		t.Errorf("favorites %v", w.mika.FavoriteURIs())
	}
	saveMisskeyLogin(t, w.home, w.mika)
	mustRun(t, ExitOK, w.home, "", args...)
	if got := w.mika.FavoriteURIs(); !slices.Equal(got, []string{b.URI(), a.URI()}) {
		t.Errorf("favorites after the rerun %v", got)
	}
}
