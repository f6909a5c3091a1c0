package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// TestMain removes the binary the package's tests built, once they all ran.
func TestMain(m *testing.M) {
	code := m.Run()
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
