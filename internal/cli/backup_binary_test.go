package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestBackupBinaryKilledOrInterrupted runs the real binary: a backup
// killed with SIGKILL in the middle, then one stopped with SIGINT (exit
// 130), then a plain run: the archive ends with every bookmark once, in
// the server's order.
func TestBackupBinaryKilledOrInterrupted(t *testing.T) {
	bin := buildBinary(t)
	w := newWorld(t, mastodontest.Mastodon, 1000)
	w.login(t)
	w.a.SetLatency(15 * time.Millisecond)

	stopAfter := func(sig os.Signal, pages int) (int, string) {
		t.Helper()
		w.a.ResetCounts()
		cmd, stderr := startBinary(t, bin, w.home, "backup")
		waitUntil(t, cmd, stderr, fmt.Sprintf("page %d", pages), func() bool { return w.a.Requests("GET", "/api/v1/bookmarks") >= pages })
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String()
		}
		return 0, stderr.String()
	}

	stopAfter(syscall.SIGKILL, 8)
	w.bookmark(t, 5, w.a.AddAccount("erin"))
	code, stderr := stopAfter(os.Interrupt, 4)
	if code != ExitInterrupted {
		t.Errorf("SIGINT: exit %d, want %d\n%s", code, ExitInterrupted, stderr)
	}
	if !strings.Contains(stderr, "run the same command again") {
		t.Errorf("SIGINT message %q should say how to resume", stderr)
	}
	w.a.SetLatency(0)
	mustRun(t, 0, w.home, "", "backup")
	out := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if want := expectedMastodonCSV(w.alice.BookmarkURIs()); out != want {
		t.Fatalf("after kill and interrupt: %d lines, want %d, or another order", strings.Count(out, "\n"), strings.Count(want, "\n"))
	}

	// Issue 12, from cron: the real binary is silent on an unchanged
	// archive, and its JSON summary says nothing changed.
	var stdout, stderr2 bytes.Buffer
	cmd := exec.Command(bin, "backup", "--all", "--quiet", "--json")
	cmd.Env, cmd.Stdout, cmd.Stderr = binaryEnv(w.home), &stdout, &stderr2
	if err := cmd.Run(); err != nil || stderr2.Len() != 0 {
		t.Errorf("backup --all --quiet of an unchanged archive: %v, stderr %q", err, stderr2.String())
	}
	if want := `"new":0,`; !strings.Contains(stdout.String(), want) || !strings.Contains(stdout.String(), `"exit_code":0,"error":null}`) {
		t.Errorf("backup --json: %s", stdout.String())
	}
}
