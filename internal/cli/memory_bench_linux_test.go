package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// BenchmarkImportMemory imports 20,000 rows (posts of another server,
// found by search, none bookmarked yet) into a fresh account with the
// real binary against the fake servers, and reports the binary's peak
// resident memory (MB-peak-rss) and rows per second. Run it with
// -benchtime=1x: each run imports the whole file.
func BenchmarkImportMemory(b *testing.B) {
	const rows = 20_000
	bin := buildBinary(b)
	net := mastodontest.NewNetwork(b)
	src, dst := net.NewInstance(mastodontest.InstanceOptions{}), net.NewInstance(mastodontest.InstanceOptions{})
	carol := src.AddAccount("carol")
	lines := make([]string, rows)
	for i := rows - 1; i >= 0; i-- { // newest bookmark first, as Mastodon writes it
		lines[i] = carol.Post(mastodontest.PostOptions{}).URI()
	}
	file := filepath.Join(b.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	var peak, took float64
	n := 0
	for b.Loop() {
		n++
		bob := dst.AddAccount(fmt.Sprintf("bob%d", n))
		home := filepath.Join(b.TempDir(), "home")
		if code, stderr := benchRun(home, bob.Token()+"\n", "login", dst.URL(), "--token-stdin"); code != 0 {
			b.Fatalf("login: %s", stderr)
		}
		rss, d := peakRSS(b, bin, home, "import", file, "--to", bob.Handle(), "--yes")
		peak, took = max(peak, rss), took+d.Seconds()
		if got := len(bob.BookmarkURIs()); got != rows {
			b.Fatalf("%d bookmarks imported, want %d", got, rows)
		}
	}
	b.ReportMetric(peak, "MB-peak-rss")
	b.ReportMetric(float64(rows*n)/took, "rows/s")
}

// BenchmarkVerifyMemory verifies a 200,000-row file against an account
// that has every one of them bookmarked, with the real binary, and
// reports its peak resident memory (MB-peak-rss). Run it with
// -benchtime=1x.
func BenchmarkVerifyMemory(b *testing.B) {
	const rows = 200_000
	bin := buildBinary(b)
	net := mastodontest.NewNetwork(b)
	src, dst := net.NewInstance(mastodontest.InstanceOptions{}), net.NewInstance(mastodontest.InstanceOptions{})
	carol, bob := src.AddAccount("carol"), dst.AddAccount("bob")
	lines := make([]string, rows)
	for i := rows - 1; i >= 0; i-- {
		s := carol.Post(mastodontest.PostOptions{})
		lines[i] = s.URI()
		bob.Bookmark(s)
	}
	file := filepath.Join(b.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	home := filepath.Join(b.TempDir(), "home")
	if code, stderr := benchRun(home, bob.Token()+"\n", "login", dst.URL(), "--token-stdin"); code != 0 {
		b.Fatalf("login: %s", stderr)
	}
	var peak float64
	for b.Loop() {
		rss, _ := peakRSS(b, bin, home, "verify", file)
		peak = max(peak, rss)
	}
	b.ReportMetric(peak, "MB-peak-rss")
}

// peakRSS runs the binary with the home and returns its peak resident
// memory in MB (the kernel's count for the finished process) and how long
// it ran; it fails the benchmark if the command fails.
func peakRSS(b *testing.B, bin, home string, args ...string) (float64, time.Duration) {
	b.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FEDIMARKS_HOME="+home, "FEDIMARKS_KEYRING=off")
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	took := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return float64(ru.Maxrss) / 1024, took // Maxrss is in KiB on Linux
}
