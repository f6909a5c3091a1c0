package cli

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestSyncWatchKilledAndRestarted runs the real binary: sync --watch killed
// with SIGKILL in the middle of its first check, then started again: every
// bookmark ends on bob once, in alice's order, with at most one bookmark
// request repeated (the one in flight); SIGTERM then stops it cleanly
// (exit 0) while it waits for the next check.
func TestSyncWatchKilledAndRestarted(t *testing.T) {
	bin := buildBinary(t)
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	const n = 200
	for i := 0; i < n; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	f.b.SetLatency(3 * time.Millisecond)
	start := func() (*exec.Cmd, *lockedBuffer) {
		t.Helper()
		return startBinary(t, bin, f.home, "sync", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--watch", "--every", "1h")
	}

	cmd, stderr := start()
	waitUntil(t, cmd, stderr, "half the writes", func() bool { return f.b.Requests("POST", "/api/v1/statuses/") >= n/2 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if got := len(f.bob.BookmarkURIs()); got == n || got < n/2 {
		t.Fatalf("kill came at %d of %d bookmarks: not halfway", got, n)
	}

	cmd, stderr = start()
	waitUntil(t, cmd, stderr, "the end of the first check", func() bool {
		return strings.Contains(stderr.String(), "sync "+f.alice.Handle()+" to "+f.bob.Handle()+":")
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Errorf("SIGTERM while waiting: exit %d, want 0\n%s", ee.ExitCode(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "sync stopped; everything done so far is saved") {
		t.Errorf("the stop is not said:\n%s", stderr.String())
	}
	if !slices.Equal(f.bob.BookmarkURIs(), f.alice.BookmarkURIs()) {
		t.Fatalf("after the restart bob has %d bookmarks (want %d), or in another order", len(f.bob.BookmarkURIs()), n)
	}
	if posts := f.b.Requests("POST", "/api/v1/statuses/"); posts > n+1 {
		t.Errorf("%d bookmark requests for %d bookmarks: more than the one in flight was redone", posts, n)
	}
	st := mustRun(t, ExitOK, f.home, "", "sync", "--status")
	if !strings.Contains(st.stdout, "added by sync: 200") || !strings.Contains(st.stdout, "pending: 0 rows") {
		t.Errorf("sync --status after the restart:\n%s", st.stdout)
	}
}
