package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// copyModule copies the module's files into dir: not dist, and nothing
// hidden (a worktree's .git is a file that points at the real repository,
// which git commands in dir must never reach).
func copyModule(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || rel == "dist" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVersionOfCheckoutBuild builds the binary with go build in a git
// checkout, as a person who cloned the repository does, at a release tag
// with a change on top: --version and version show the tag marked dirty,
// the commit, its date and the change, the Go version and the platform.
// (-trimpath only lets the compiled packages be reused from one run to
// the next: the build info is the same without it.)
func TestVersionOfCheckoutBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is missing")
		}
		t.Skip("git is missing")
	}
	repo := t.TempDir()
	copyModule(t, repo)
	if _, err := os.Lstat(filepath.Join(repo, ".git")); !os.IsNotExist(err) {
		t.Fatalf("the copy holds a .git (%v): git would act on the real repository", err)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true", "CGO_ENABLED=0",
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CEILING_DIRECTORIES="+filepath.Dir(repo), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("git", "init", "-q")
	run("git", "add", "-A")
	run("git", "commit", "-q", "-m", "release")
	run("git", "tag", "v1.2.3")
	rev := run("git", "rev-parse", "HEAD")
	at := run("git", "show", "-s", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ", "HEAD")
	platform := runtime.GOOS + "/" + runtime.GOARCH
	bin := filepath.Join(t.TempDir(), "fedimarks")

	if err := os.WriteFile(filepath.Join(repo, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("go", "build", "-trimpath", "-o", bin, "./cmd/fedimarks")
	want := "fedimarks v1.2.3+dirty (commit " + rev[:12] + " of " + at + ", with uncommitted changes; " + runtime.Version() + " " + platform + ")"
	for _, arg := range []string{"--version", "version"} {
		if got := run(bin, arg); got != want {
			t.Errorf("fedimarks %s:\ngot  %s\nwant %s", arg, got, want)
		}
	}
}
