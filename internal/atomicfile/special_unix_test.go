//go:build unix

package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteToSpecialFileWritesThrough: a target that is not a regular
// file (a FIFO here; /dev/null or /dev/stdout in life) is written to, not
// replaced by a regular file renamed over it: `export -o /dev/null` run as
// root once turned this machine's /dev/null into a 0600 file.
func TestWriteToSpecialFileWritesThrough(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "rows"); return err }); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "rows" {
		t.Errorf("the reader of the FIFO got %q, want %q", s, "rows")
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: its mode is now %v", fi.Mode())
	}
}
