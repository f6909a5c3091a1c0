package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestImportRefusesAPipe gives import and verify a named pipe no one
// writes to: opening it waited for ever, deaf to Ctrl-C. It is refused at
// once with one line naming it, exit 2.
func TestImportRefusesAPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "bookmarks.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"import", fifo}, {"verify", fifo}, {"import", "/dev/zero"}} {
		done := make(chan run, 1)
		go func() { done <- runTool(t, nil, newHome(t), "", args...) }()
		select {
		case r := <-done:
			want := args[1] + " is a "
			if r.code != ExitUsage || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("%s: exit %d, stderr %q, want exit 2 and one line with %q", strings.Join(args, " "), r.code, r.stderr, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still waiting after 10 s", strings.Join(args, " "))
		}
	}
}

// TestBinaryInterruptedWhileReading sends SIGINT, then SIGTERM, to the
// real binary while it reads an account archive whose bookmarks.json
// comes after 32 GiB of media (about 20 s of reading): it must stop within
// a second (5 s allowed here for a noisy machine) with exit 130. The
// signals were ignored until the whole archive had been read.
func TestBinaryInterruptedWhileReading(t *testing.T) {
	bin := buildBinary(t)
	f := newFediverse(t)
	f.login(t, f.bob)
	archive := mediaTarGz(t, 32<<30, `{"orderedItems":["https://a.example/users/ann/statuses/1"]}`)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		cmd, stderr := startBinary(t, bin, f.home, "import", archive, "--dry-run")
		waitOpen(t, cmd.Process.Pid, archive)
		sent := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		took := time.Since(sent)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
			t.Fatalf("%v: %v, want exit %d\n%s", sig, err, ExitInterrupted, stderr.String())
		}
		if took > 5*time.Second {
			t.Errorf("%v: stopped %v after the signal", sig, took)
		}
		if !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("%v: stderr %q", sig, stderr.String())
		}
		t.Logf("%v: exit %d %v after the signal", sig, ee.ExitCode(), took)
	}
}

// waitOpen waits until process pid has the file path open.
func waitOpen(t *testing.T, pid int, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		fds, _ := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
		for _, fd := range fds {
			if target, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd.Name())); target == path {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the process did not open %s", path)
}

// mediaTarGz writes an account archive: a media file of media zero bytes,
// then bookmarks.json. Each piece is a gzip stream of its own (gzip
// readers take a concatenation for one stream), so GiBs of media are
// written in an instant: one MiB compressed once, repeated.
func mediaTarGz(t *testing.T, media int64, bookmarks string) string {
	t.Helper()
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	header := func(name string, size int64) []byte {
		var hdr bytes.Buffer
		if err := tar.NewWriter(&hdr).WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		return hdr.Bytes()
	}
	var out bytes.Buffer
	out.Write(gz(header("archive/media_attachments/files/1/original/a.mp4", media)))
	mib := gz(make([]byte, 1<<20))
	for i := int64(0); i < media>>20; i++ {
		out.Write(mib)
	}
	var rest bytes.Buffer
	rest.Write(make([]byte, media&(1<<20-1)+(512-media%512)%512))
	tw := tar.NewWriter(&rest)
	tw.WriteHeader(&tar.Header{Name: "archive/bookmarks.json", Mode: 0o644, Size: int64(len(bookmarks)), Typeflag: tar.TypeReg})
	tw.Write([]byte(bookmarks))
	tw.Close()
	out.Write(gz(rest.Bytes()))
	path := filepath.Join(t.TempDir(), "archive.tar.gz")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
