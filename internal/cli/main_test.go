package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run is one invocation of the tool through Main, with a fresh environment
// rooted at home.
type run struct {
	code           int
	stdout, stderr string
}

func runTool(t testing.TB, ctx context.Context, home, stdin string, args ...string) run {
	t.Helper()
	return runToolWith(t, ctx, home, stdin, nil, args...)
}

// runToolWith is runTool with the IO changed by tweak (when not nil), e.g.
// to set a clock.
func runToolWith(t testing.TB, ctx context.Context, home, stdin string, tweak func(*IO), args ...string) run {
	t.Helper()
	if ctx == nil {
		ctx = context.Background()
	}
	return invoke(ctx, home, stdin, tweak, args...)
}

// invoke is the one harness every in-process run of the tool goes
// through: Main with a fresh environment rooted at home (keyring off),
// stdin read from stdin, no terminal, short retry pauses, and the IO
// changed by tweak (when not nil). Output written to the buffers it sets
// comes back in the run; a tweak that sets Stdout or Stderr keeps it.
func invoke(ctx context.Context, home, stdin string, tweak func(*IO), args ...string) run {
	var out, errb bytes.Buffer
	no := false
	env := map[string]string{"FEDIMARKS_HOME": home, "FEDIMARKS_KEYRING": "off"}
	stdio := IO{
		Stdin:            strings.NewReader(stdin),
		Stdout:           &out,
		Stderr:           &errb,
		Getenv:           func(k string) string { return env[k] },
		StdinIsTerminal:  &no,
		StderrIsTerminal: &no,
		Backoff:          5 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&stdio)
	}
	code := Main(ctx, args, stdio)
	return run{code: code, stdout: out.String(), stderr: errb.String()}
}

func newHome(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "home")
}

// mustRun fails the test unless the tool exits with want.
func mustRun(t *testing.T, want int, home, stdin string, args ...string) run {
	t.Helper()
	r := runTool(t, nil, home, stdin, args...)
	if r.code != want {
		t.Fatalf("fedimarks %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}
