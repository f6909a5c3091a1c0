//go:build unix

package formats

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

// TestSpecialFilesRefused gives a named pipe, devices and a socket as
// input files: each is refused before it is opened for reading (opening a
// pipe that no one writes to waited for ever, deaf to Ctrl-C), with one
// line naming the file and what it is.
func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "bookmarks.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cases := []struct{ path, want string }{
		{fifo, fifo + " is a named pipe (FIFO), not a file"},
		{sock, sock + " is a socket, not a file"},
		{"/dev/zero", "/dev/zero is a device, not a file"},
		{"/dev/null", "/dev/null is a device, not a file"},
	}
	// A link to a pipe is the pipe.
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct{ path, want string }{link, link + " is a named pipe (FIFO), not a file"})
	for _, c := range cases {
		for name, read := range map[string]func() (Result, error){
			"CheckFile": func() (Result, error) { return Result{}, CheckFile(c.path) },
			"ReadFile":  func() (Result, error) { return ReadFile(t.Context(), c.path) },
		} {
			_, err := readWithin(t, 10*time.Second, read)
			if fedimarks.ErrorCode(err) != fedimarks.EInvalid || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s(%s): %v, want one line starting %q", name, c.path, err, c.want)
			}
		}
	}
}
