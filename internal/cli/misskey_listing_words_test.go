package cli

import (
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestFailedMisskeyListingSaysFavorites: when a Misskey account's
// favorites cannot be read (i/favorites answers 500 until the retries are
// spent), import, migrate, verify and backup say they could not read its
// favorites, as Misskey calls them and as the reading line does, not
// "bookmarks" (backup said "fetch bookmarks", verify "read destination
// bookmarks", naming no account).
func TestFailedMisskeyListingSaysFavorites(t *testing.T) {
	w := newMisskeyWorld(t)
	carol := w.a.AddAccount("carol")
	post := carol.Post(mastodontest.PostOptions{})
	w.alice.Bookmark(post)
	w.login(t, w.alice)
	saveMisskeyLogin(t, w.home, w.mika)
	mustRun(t, ExitOK, w.home, "", "backup", w.alice.Handle())
	file := writeFile(t, "bookmarks.csv", post.URI()+"\n")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", file, "--to", w.mika.Handle(), "--report-dir", w.reports}, "read the favorites of " + w.mika.Handle() + ": "},
		{[]string{"migrate", "--from", w.alice.Handle(), "--to", w.mika.Handle(), "--dry-run"}, "read the favorites of " + w.mika.Handle() + ": "},
		{[]string{"verify", "--from", w.alice.Handle(), "--to", w.mika.Handle(), "--offline"}, "read the favorites of " + w.mika.Handle() + ": "},
		{[]string{"backup", w.mika.Handle()}, "read the favorites of " + w.mika.Handle() + ": "},
	} {
		w.m.FailEndpoint("i/favorites", 100)
		r := runTool(t, nil, w.home, "", c.args...)
		if r.code == ExitOK || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "bookmarks of") || strings.Contains(r.stderr, "fetch bookmarks") {
			t.Errorf("fedimarks %s: exit %d, stderr:\n%s\nwant it to say %q", c.args[0], r.code, r.stderr, c.want)
		}
	}
	// A Mastodon account's backup names the account and its bookmarks.
	w.a.FailNext(100, 500, 0)
	r := runTool(t, nil, w.home, "", "backup", w.alice.Handle())
	if want := "read the bookmarks of " + w.alice.Handle() + ": "; r.code == ExitOK || !strings.Contains(r.stderr, want) {
		t.Errorf("backup of a Mastodon account: exit %d, stderr:\n%s\nwant it to say %q", r.code, r.stderr, want)
	}
}
