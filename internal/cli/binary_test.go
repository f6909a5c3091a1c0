package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/browsertest"
)

// TestMain removes the binary the package's tests built and ends the
// chromium the browser tests shared, once they all ran.
func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// built is cmd/fedimarks as buildBinary built it: once for the package,
// not once a test (a link costs seconds on a busy machine).
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildBinary returns the path of cmd/fedimarks built for this test run.
// Tests run it and never change it, so they share one build.
func buildBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "fedimarks-test-bin-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "fedimarks")
		cmd := exec.Command("go", "build", "-o", built.bin, "github.com/fedimarks/fedimarks/cmd/fedimarks")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// startBinary starts bin with args on home (keyring off), its stderr
// kept.
func startBinary(t *testing.T, bin, home string, args ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	stderr := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stderr = binaryEnv(home), stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stderr
}

// binaryEnv is the environment of the binary run on home: the test's,
// with the archive at home and the keyring off.
func binaryEnv(home string) []string {
	return append(os.Environ(), "FEDIMARKS_HOME="+home, "FEDIMARKS_KEYRING=off")
}

// waitUntil polls ok until it holds; after a minute it kills cmd and
// fails the test, saying what did not happen and what cmd wrote on
// stderr.
func waitUntil(t *testing.T, cmd *exec.Cmd, stderr *lockedBuffer, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s %s: %s did not happen:\n%s", filepath.Base(cmd.Path), cmd.Args[1], what, stderr.String())
		}
	}
}
