package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/clocktest"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// testClock is the fake clock of a scenario: the fake servers' clock and
// the tool's.
type testClock struct{ *clocktest.Clock }

func newTestClock(net *mastodontest.Network) *testClock {
	c := &testClock{clocktest.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))}
	net.SetClock(c.Now)
	return c
}

// at runs the tool at the clock's time and fails the test unless it exits
// with want.
func (c *testClock) at(t *testing.T, want int, home, stdin string, args ...string) run {
	t.Helper()
	r := runToolWith(t, nil, home, stdin, func(o *IO) { o.Now = c.Now }, args...)
	if r.code != want {
		t.Fatalf("fedimarks %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

func exported(t *testing.T, home string) []string {
	t.Helper()
	out := strings.TrimSpace(mustRun(t, 0, home, "", "export", "--offline", "--format", "mastodon").stdout)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

const fullWalkNote = "walking everything to catch bookmarks that appeared below the top"

// Issue 9 point 4: bookmarks that appear below the top of the listing
// (hidden ones shown later) are caught by a full walk once the last one is
// older than --full-every (7 days by default).
func TestBackupWalksEverythingWhenLastFullWalkIsOld(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	clk := newTestClock(net)
	a := net.NewInstance(mastodontest.InstanceOptions{HideEvery: 10})
	alice, bob := a.AddAccount("alice"), a.AddAccount("bob")
	for range 120 {
		alice.Bookmark(bob.Post(mastodontest.PostOptions{}))
	}
	home := newHome(t)
	clk.at(t, 0, home, alice.Token()+"\n", "login", a.URL(), "--token-stdin")
	r := clk.at(t, 0, home, "", "backup")
	if strings.Contains(r.stderr, fullWalkNote) {
		t.Errorf("a first backup walks everything anyway and need not say so: %q", r.stderr)
	}
	if got := exported(t, home); len(got) != 108 {
		t.Fatalf("first backup archived %d, want the 108 listed", len(got))
	}

	// The 12 hidden bookmarks show up, where they were made.
	a.SetHideEvery(0)
	clk.Advance(24 * time.Hour)
	clk.at(t, 0, home, "", "backup")
	if got := exported(t, home); len(got) >= 120 {
		t.Fatalf("an incremental walk found all %d: the fake no longer shows bookmarks below the top", len(got))
	}

	clk.Advance(7 * 24 * time.Hour) // 8 days after the first (full) walk
	a.ResetCounts()
	r = clk.at(t, 0, home, "", "backup")
	if !strings.Contains(r.stderr, "last full walk 8 days ago: "+fullWalkNote) {
		t.Errorf("backup 8 days after the last full walk said %q", r.stderr)
	}
	if n := a.Requests("GET", "/api/v1/bookmarks"); n != 4 {
		t.Errorf("full walk of 120 bookmarks made %d requests, want 4", n)
	}
	if got, want := strings.Join(exported(t, home), "\n"), strings.Join(alice.BookmarkURIs(), "\n"); got != want {
		t.Fatalf("after the full walk the archive differs from the listing:\n got %d\nwant 120", strings.Count(got, "\n")+1)
	}

	// The next ones are incremental again: one request each.
	for _, tc := range []struct {
		after time.Duration
		args  []string
		full  bool
	}{
		{24 * time.Hour, nil, false},
		{30 * 24 * time.Hour, []string{"--full-every", "0"}, false},
		{0, []string{"--full-every", "5w"}, false},
		{0, []string{"--full-every", "30d"}, true},
		{time.Hour, []string{"--full-every", "90m"}, false},
		{time.Hour, []string{"--full-every", "90m"}, true},
	} {
		clk.Advance(tc.after)
		a.ResetCounts()
		r := clk.at(t, 0, home, "", append([]string{"backup"}, tc.args...)...)
		n := a.Requests("GET", "/api/v1/bookmarks")
		if full := strings.Contains(r.stderr, fullWalkNote); full != tc.full || (n == 1) == tc.full {
			t.Errorf("backup %v after %v: %d requests, said %q; want full walk %v", tc.args, tc.after, n, r.stderr, tc.full)
		}
	}
	r = mustRun(t, ExitUsage, home, "", "backup", "--full-every", "soon")
	if !strings.Contains(r.stderr, "--full-every") {
		t.Errorf("bad --full-every: %q", r.stderr)
	}
}

// Issue 9 point 5: a next link to another host stops the walk with an
// error, but never becomes the saved position: once the server is fixed,
// backups work again.
func TestBackupForeignNextLinkNeverWedgesTheAccount(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 50)
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	w.bookmark(t, 100, w.a.AddAccount("carol2"))
	foreign := w.net.NewForeignHost()
	w.a.SetLinkHost(foreign.URL())
	for _, args := range [][]string{{"backup"}, {"backup"}, {"backup", "--full"}} {
		r := mustRun(t, ExitError, w.home, "", args...)
		if !strings.Contains(r.stderr, strings.TrimPrefix(foreign.URL(), "http://")) || !strings.Contains(r.stderr, "next page") {
			t.Errorf("%v with a foreign next link: %q should name the link and its host", args, r.stderr)
		}
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("%v: %q, want one line for the error", args, r.stderr)
		}
	}
	if foreign.Requests() != 0 {
		t.Errorf("the foreign host got %d requests", foreign.Requests())
	}
	if got := len(exported(t, w.home)); got != 90 {
		t.Errorf("the first page of new bookmarks should be archived: %d, want 90", got)
	}

	w.a.SetLinkHost("")
	r := mustRun(t, 0, w.home, "", "backup")
	// The 40 of the first page were archived by the first try.
	if !strings.Contains(r.stderr, "60 new") {
		t.Errorf("backup after the fix: %q, want 60 new", r.stderr)
	}
	if got, want := strings.Join(exported(t, w.home), "\n"), strings.Join(w.alice.BookmarkURIs(), "\n"); got != want {
		t.Fatal("after the fix the archive differs from the listing")
	}
	r = mustRun(t, 0, w.home, "", "backup", "--full")
	if !strings.Contains(r.stderr, " 0 removed") {
		t.Errorf("full backup after the fix: %q", r.stderr)
	}
}

// Issue 9 point 5: an archive that holds a refused position (saved by an
// older fedimarks) drops it with a note and walks everything.
func TestBackupDropsASavedPositionThatFails(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 60)
	w.login(t)
	ctx := context.Background()
	ar := openHomeArchive(t, w.home)
	run, err := ar.StartRun(ctx, fedimarks.Handle(w.alice.Handle()), false, time.Now())
	if err == nil {
		err = ar.SavePage(ctx, run, nil, "http://localhost:3000/api/v1/bookmarks?limit=40&max_id=7", time.Now())
	}
	ar.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, 0, w.home, "", "backup")
	if !strings.Contains(r.stderr, "dropped it") || !strings.Contains(r.stderr, "localhost:3000") {
		t.Errorf("resume from a refused position: %q should say it was dropped and why", r.stderr)
	}
	if got, want := strings.Join(exported(t, w.home), "\n"), strings.Join(w.alice.BookmarkURIs(), "\n"); got != want {
		t.Fatal("after dropping the position the archive differs from the listing")
	}
	// The note comes once: the position is gone.
	r = mustRun(t, 0, w.home, "", "backup")
	if strings.Contains(r.stderr, "dropped") {
		t.Errorf("second backup still drops a position: %q", r.stderr)
	}
}

// Issue 9 point 6: a redirect of the listing to another host is an error,
// not an empty listing, and records no removals.
func TestBackupCrossHostRedirectIsAnError(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 3)
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	foreign := w.net.NewForeignHost()
	w.a.RedirectBookmarks(foreign.URL())
	r := mustRun(t, ExitError, w.home, "", "backup", "--full")
	if !strings.Contains(r.stderr, "redirected") || !strings.Contains(r.stderr, strings.TrimPrefix(foreign.URL(), "http://")) {
		t.Errorf("redirect to another host: %q should say so and name it", r.stderr)
	}
	if foreign.Authorized() != 0 {
		t.Error("the token went to the other host")
	}
	if got := len(exported(t, w.home)); got != 3 {
		t.Fatalf("after the redirect the archive exports %d bookmarks, want 3", got)
	}
	// Not a down server: export does not fall back to the archive.
	if r := mustRun(t, ExitError, w.home, "", "export", "--format", "mastodon"); r.stdout != "" {
		t.Errorf("export through a redirect wrote %q", r.stdout)
	}
	w.a.RedirectBookmarks("")
	if r := mustRun(t, 0, w.home, "", "backup", "--full"); !strings.Contains(r.stderr, " 0 removed") {
		t.Errorf("full backup once the redirect is gone: %q", r.stderr)
	}
}

// Issue 9 point 7: export writes the archive when the server is down or
// failing, says how old it is and why, and exits 0; auth failures still
// fail.
func TestExportWhenServerFailsWritesTheArchive(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 5)
	clk := newTestClock(w.net)
	w.login(t)
	clk.at(t, 0, w.home, "", "backup")
	last := clk.Now().Local().Format(fedimarks.TimeLayout)
	clk.Advance(3*24*time.Hour + 2*time.Hour)
	want := expectedMastodonCSV(w.alice.BookmarkURIs())

	w.a.SetDown(true)
	out := filepath.Join(t.TempDir(), "b.csv")
	r := clk.at(t, 0, w.home, "", "export", "--format", "mastodon", "-o", out)
	if b, err := os.ReadFile(out); err != nil || string(b) != want {
		t.Fatalf("export with the server down: %v, %q", err, b)
	}
	for _, s := range []string{"could not refresh", w.a.Host() + " did not answer", last, "3 days ago"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("export with the server down said %q; want it to say %q", r.stderr, s)
		}
	}

	w.a.SetDown(false)
	w.a.FailNext(100, 503, 0)
	r = clk.at(t, 0, w.home, "", "export", "--format", "mastodon")
	if r.stdout != want || !strings.Contains(r.stderr, "503") {
		t.Errorf("export with the server answering 503: %q, stderr %q", r.stdout, r.stderr)
	}
	// The refresh gives up after two retries, not after a minute.
	if n := w.a.Responses(503); n != 3 {
		t.Errorf("the refresh tried %d times, want 3", n)
	}

	w.a.FailNext(0, 0, 0)
	w.a.RevokeToken(w.token)
	if r := clk.at(t, ExitAuth, w.home, "", "export", "--format", "mastodon"); r.stdout != "" {
		t.Errorf("export with a revoked token wrote %q", r.stdout)
	}
}
