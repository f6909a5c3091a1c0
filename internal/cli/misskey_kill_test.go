package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestImportIntoMisskeyKilledAndRerun kills the real binary with SIGKILL
// halfway through an import into a Misskey account and runs the same
// command again: every row ends favorited, in order, each favorite
// requested at most once more than needed (the one row in flight).
func TestImportIntoMisskeyKilledAndRerun(t *testing.T) {
	bin := buildBinary(t)
	w := newMisskeyWorld(t)
	nora, carol := w.m.AddAccount("nora"), w.a.AddAccount("carol")
	w.m.SetEndpointLimit("ap/show", 0, 0) // this test is about the kill, not the limit
	const n = 200
	var uris []string // oldest first
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			uris = append(uris, nora.Post(mastodontest.PostOptions{}).URI())
		} else {
			uris = append(uris, carol.Post(mastodontest.PostOptions{}).URI())
		}
	}
	saveMisskeyLogin(t, w.home, w.mika)
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	w.m.SetLatency(3 * time.Millisecond)

	args := []string{"import", file, "--to", w.mika.Handle(), "--report-dir", w.reports}
	killHalfwayAndRerun(t, bin, w.home, args, n, "favorites",
		func() int { return w.m.Requests("POST", "/api/notes/favorites/create") },
		func() int { return len(w.mika.FavoriteURIs()) })
	if got := w.mika.FavoriteURIs(); !slices.Equal(got, reversed(uris)) {
		t.Fatalf("after the rerun mika has %d favorites (want %d), or in another order", len(got), n)
	}
	if posts := w.m.Requests("POST", "/api/notes/favorites/create"); posts > n+1 {
		t.Errorf("%d favorite requests for %d rows: more than the single in-flight row was redone", posts, n)
	}
	got, rows := w.report(t)
	if len(rows) != n {
		t.Errorf("report has %d rows", len(rows))
	}
	for _, u := range uris {
		if got[u] != "imported" {
			t.Errorf("%s: %s", u, got[u])
		}
	}
}
