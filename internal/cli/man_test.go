package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestManPages: `fedimarks man DIR` writes fedimarks(1) and one page a
// command, each a well-formed roff page (groff finds nothing to warn
// about, where it is installed) that carries the command's help.
func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	mustRun(t, 0, t.TempDir(), "", "man", dir)
	names := []string{"fedimarks.1"}
	for _, c := range commands() {
		names = append(names, "fedimarks-"+c.name+".1")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(names) {
		t.Errorf("%d pages, want %d", len(ents), len(names))
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if !strings.HasPrefix(string(b), ".TH FEDIMARKS") || !strings.Contains(string(b), ".SH NAME\n") {
			t.Errorf("%s is not a man page:\n%.200s", n, b)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, ".") && !strings.HasPrefix(line, ".TH") && !strings.HasPrefix(line, ".SH") &&
				!strings.HasPrefix(line, ".TP") && !strings.HasPrefix(line, ".B") && !strings.HasPrefix(line, ".I") &&
				!strings.HasPrefix(line, ".nf") && !strings.HasPrefix(line, ".fi") {
				t.Errorf("%s: a text line read as a roff request: %q", n, line)
			}
		}
	}
	backup, _ := os.ReadFile(filepath.Join(dir, "fedimarks-backup.1"))
	if !strings.Contains(string(backup), `\-\-full`) {
		t.Errorf("fedimarks-backup.1 lacks the command's help (--full)")
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed: pages not rendered")
	}
	for _, n := range names {
		out, err := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", filepath.Join(dir, n)).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("groff on %s: %v\n%s", n, err, out)
		}
	}
}

// TestManFolderCannotBeMade: a folder man cannot create is said in plain
// words, naming it, not as the library's "make DIR: ...".
func TestManFolderCannotBeMade(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "pages")
	r := mustRun(t, ExitError, newHome(t), "", "man", dir)
	if want := "fedimarks: cannot create the folder " + dir + ": "; !strings.HasPrefix(r.stderr, want) || strings.Contains(r.stderr, "make ") {
		t.Errorf("stderr %q, want it to start with %q", r.stderr, want)
	}
}
