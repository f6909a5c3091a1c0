package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The binary ships the demo's fake servers (internal/mastodontest), but
// nothing made for tests: no testing package in the program.
func TestBinaryLinksNoTestingPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/fedimarks/fedimarks/internal/mastodontest") {
		t.Fatalf("the binary does not ship the demo's sandbox (internal/mastodontest)")
	}
	for _, bad := range []string{"testing", "testing/iotest", "testing/fstest"} {
		if slices.Contains(deps, bad) {
			t.Errorf("the binary links %s", bad)
		}
	}
}
