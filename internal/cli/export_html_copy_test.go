package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFile (the media copy where a hard link cannot be made) replaces the
// target whole, leaves no temporary file, and fails with the bare cause
// (the caller names both files).
func TestCopyFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "media", "dst")
	if err := os.Mkdir(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(src, []byte("new picture"), 0o600)
	os.WriteFile(dst, []byte("old"), 0o600)
	if err := copyFile(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "new picture" {
		t.Errorf("dst holds %q", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dst)); len(ents) != 1 {
		t.Errorf("the media folder holds %d files, want only dst", len(ents))
	}
	err := copyFile(filepath.Join(dir, "gone"), dst)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing source: %v", err)
	}
	err = copyFile(src, filepath.Join(dir, "no-such-folder", "dst"))
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "no-such-folder") {
		t.Errorf("missing folder: %v, want the bare cause", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "new picture" {
		t.Errorf("a failed copy changed dst: %q", b)
	}
}
