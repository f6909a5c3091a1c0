package cli

import (
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// A listing that fails at once (the server is down or refuses) leaves
// no progress line about a count never read on a non-terminal: the error
// line (and its hint) alone says what happened. Every command that reads
// a destination's bookmarks (import, migrate, verify, sync; Mastodon and
// Misskey) is run against a dead and a refusing destination.
func TestFailedListingSaysNoCount(t *testing.T) {
	w := newMisskeyWorld(t)
	carol := w.c.AddAccount("carol")
	post := carol.Post(mastodontest.PostOptions{})
	w.alice.Bookmark(post)
	file := writeFile(t, "bookmarks.csv", post.URI()+"\n")
	w.login(t, w.alice, w.bob)
	saveMisskeyLogin(t, w.home, w.mika)
	w.c.AddAccount("dan") // C stays up: only the destinations fail

	for _, dest := range []struct {
		name string
		inst *mastodontest.Instance
		h    string
	}{{"mastodon", w.b, w.bob.Handle()}, {"misskey", w.m, w.mika.Handle()}} {
		for _, fault := range []struct {
			name  string
			set   func()
			unset func()
			says  string
		}{
			{"down", func() { dest.inst.SetDown(true) }, func() { dest.inst.SetDown(false) }, "did not answer"},
			{"refusing", func() { dest.inst.FailNext(1000, 401, 0) }, func() { dest.inst.FailNext(0, 0, 0) }, "fedimarks login"},
		} {
			for _, args := range [][]string{
				{"import", file, "--to", dest.h},
				{"import", file, "--to", dest.h, "--dry-run"},
				{"migrate", "--from", w.alice.Handle(), "--to", dest.h},
				{"verify", file, "--to", dest.h},
				{"sync", "--from", w.alice.Handle(), "--to", dest.h},
			} {
				fault.set()
				r := runTool(t, nil, w.home, "", args...)
				fault.unset()
				name := dest.name + " " + fault.name + ": fedimarks " + strings.Join(args, " ")
				if r.code == 0 {
					t.Errorf("%s: exit 0:\n%s", name, r.stderr)
					continue
				}
				if strings.Contains(r.stderr, "so far") || strings.Contains(r.stderr, "read 0 ") {
					t.Errorf("%s: a count never read is said:\n%s", name, r.stderr)
				}
				if !strings.Contains(r.stderr, fault.says) {
					t.Errorf("%s: the error does not say %q:\n%s", name, fault.says, r.stderr)
				}
			}
		}
	}
}
