package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// shareWorld is alice with one bookmark of each visibility, oldest first:
// public, unlisted, followers-only, direct.
func shareWorld(t *testing.T) (*world, map[string]string) {
	t.Helper()
	w := newWorld(t, mastodontest.Mastodon, 0)
	carol := w.a.AddAccount("carol")
	w.alice.Follow(carol)
	uris := map[string]string{}
	for _, vis := range []string{"public", "unlisted", "private", "direct"} {
		s := carol.Post(mastodontest.PostOptions{Text: "<p>a " + vis + " post</p>", Visibility: vis,
			Mentions: []*mastodontest.Account{w.alice}})
		w.alice.Bookmark(s)
		uris[vis] = s.URI()
	}
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	return w, uris
}

// TestExportVisibility: --visibility leaves out the posts of the other
// visibilities in every format, says how many it left out, and the
// default keeps them all.
func TestExportVisibility(t *testing.T) {
	w, uris := shareWorld(t)
	all := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon")
	for vis, u := range uris {
		if !strings.Contains(all.stdout, u) {
			t.Errorf("the default export lacks the %s post", vis)
		}
	}
	if strings.Contains(all.stderr, "left out") {
		t.Errorf("the default export says it left something out: %q", all.stderr)
	}

	for _, f := range []string{"mastodon", "csv", "json", "jsonl", "activitypub", "html", "markdown", "netscape"} {
		r := mustRun(t, 0, w.home, "", "export", "--offline", "--format", f, "--visibility", "public,unlisted")
		for vis, u := range uris {
			// Formats show the URL where there is one: check the id.
			id := u[strings.LastIndex(u, "/")+1:]
			kept := strings.Contains(r.stdout, "/"+id)
			if want := vis == "public" || vis == "unlisted"; kept != want {
				t.Errorf("%s --visibility public,unlisted: %s post kept=%v, want %v", f, vis, kept, want)
			}
		}
		if !strings.Contains(r.stderr, "left out 2 bookmarks (1 followers-only, 1 direct) by --visibility public,unlisted") {
			t.Errorf("%s: stderr %q does not say what was left out", f, r.stderr)
		}
	}

	// Only the direct one.
	r := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon", "--visibility", "DIRECT")
	if strings.TrimSpace(r.stdout) != uris["direct"] {
		t.Errorf("--visibility direct = %q", r.stdout)
	}

	// A typo is a usage error before anything is written.
	path := filepath.Join(t.TempDir(), "out.csv")
	r = mustRun(t, ExitUsage, w.home, "", "export", "--offline", "--format", "csv", "--visibility", "public,followers", "-o", path)
	if !strings.Contains(r.stderr, `"followers" is not a visibility`) || !strings.Contains(r.stderr, "public, unlisted, private, direct") {
		t.Errorf("bad --visibility: %q", r.stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a bad --visibility still wrote the file")
	}

	// The help says what the default means for sharing.
	help := mustRun(t, 0, w.home, "", "help", "export").stdout
	for _, want := range []string{"--visibility", "followers-only and direct posts", "public,unlisted"} {
		if !strings.Contains(help, want) {
			t.Errorf("help export lacks %q:\n%s", want, help)
		}
	}
}
