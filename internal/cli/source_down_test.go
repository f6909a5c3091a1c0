package cli

import (
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestSourceDownPointsToOffline: when --from's server does not answer
// the backup that migrate and verify make first, the archive can still
// answer: the message says so with the flag that uses it, and that
// command then works.
func TestSourceDownPointsToOffline(t *testing.T) {
	f := newFediverse(t)
	carol := f.c.AddAccount("carol")
	for i := 0; i < 3; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	mustRun(t, ExitOK, f.home, "", "backup", f.alice.Handle())
	f.a.SetDown(true)
	for _, args := range [][]string{
		{"migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports},
		{"verify", "--from", f.alice.Handle(), "--to", f.bob.Handle()},
	} {
		r := mustRun(t, ExitError, f.home, "", args...)
		if !strings.Contains(r.stderr, f.a.Host()+" did not answer") || !strings.Contains(r.stderr, "--offline") {
			t.Errorf("%s with --from's server down: %q should name %s and point to --offline", args[0], r.stderr, f.a.Host())
		}
	}
	r := mustRun(t, ExitOK, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports, "--offline")
	if got, _ := f.report(t); len(got) != 3 {
		t.Errorf("migrate --offline with --from's server down moved %d rows, want 3:\n%s", len(got), r.stderr)
	}
}
