package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
		rss, d := peakRSS(b, bin, home, filepath.Dir(file), 0, "import", "bookmarks.csv", "--to", bob.Handle(), "--yes")
		peak, took = max(peak, rss), took+d.Seconds()
		if got := len(bob.BookmarkURIs()); got != rows {
			b.Fatalf("%d bookmarks imported, want %d", got, rows)
		}
	}
	b.ReportMetric(peak, "MB-peak-rss")
	b.ReportMetric(float64(rows*n)/took, "rows/s")
}

// BenchmarkVerifyMemory verifies a 200,000-row file against an account
// that has the newest 20,000 of them bookmarked, with the real binary, and
// reports its peak resident memory (MB-peak-rss). FEDIMARKS_BENCH_LISTED
// sets how many are bookmarked (200000: all; the fake server then takes
// some 20 minutes to list them). Run it with -benchtime=1x.
func BenchmarkVerifyMemory(b *testing.B) {
	const rows = 200_000
	listed := 20_000
	if n, err := strconv.Atoi(os.Getenv("FEDIMARKS_BENCH_LISTED")); err == nil && n >= 0 && n <= rows {
		listed = n
	}
	wantCode := ExitPartial
	if listed == rows {
		wantCode = 0
	}
	bin := buildBinary(b)
	net := mastodontest.NewNetwork(b)
	src, dst := net.NewInstance(mastodontest.InstanceOptions{}), net.NewInstance(mastodontest.InstanceOptions{})
	carol, bob := src.AddAccount("carol"), dst.AddAccount("bob")
	lines := make([]string, rows)
	for i := rows - 1; i >= 0; i-- {
		s := carol.Post(mastodontest.PostOptions{})
		lines[i] = s.URI()
		if i < listed {
			bob.Bookmark(s)
		}
	}
	file := filepath.Join(b.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	home := filepath.Join(b.TempDir(), "home")
	if code, stderr := benchRun(home, bob.Token()+"\n", "login", dst.URL(), "--token-stdin"); code != 0 {
		b.Fatalf("login: %s", stderr)
	}
	missing := filepath.Join(b.TempDir(), "missing.csv")
	var peak float64
	for b.Loop() {
		rss, _ := peakRSS(b, bin, home, filepath.Dir(file), wantCode, "verify", "bookmarks.csv", "-o", missing)
		peak = max(peak, rss)
	}
	if out, err := os.ReadFile(missing); err != nil || strings.Count(string(out), "\n") != rows-listed {
		b.Fatalf("missing.csv: %d lines, %v", strings.Count(string(out), "\n"), err)
	}
	b.ReportMetric(peak, "MB-peak-rss")
}

// peakRSS runs the binary with the home in directory dir and returns its
// peak resident memory in MB and how long it ran; it fails the benchmark
// unless the command exits with wantCode. The input is named as people
// name it, from its directory: each row's Source holds the name as given,
// so a long path costs its length again on every row.
//
// The kernel's count (getrusage's maxrss) is right only for a process
// started by a small one: Go starts a child with vfork, and exec records
// the parent's high-water mark as the child's own. So a small launcher (this
// test binary, run as TestPeakRSSLauncher) starts the binary and reports
// its count.
func peakRSS(b *testing.B, bin, home, dir string, wantCode int, args ...string) (float64, time.Duration) {
	b.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestPeakRSSLauncher$", "-test.v")
	cmd.Env = append(os.Environ(), "FEDIMARKS_HOME="+home, "FEDIMARKS_KEYRING=off",
		"FEDIMARKS_LAUNCH="+strings.Join(append([]string{bin}, args...), "\n"))
	cmd.Stdout, cmd.Stderr, cmd.Dir = &stdout, &stderr, dir
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	took := time.Since(start)
	var kb int64
	code := -1
	for _, line := range strings.Split(stdout.String(), "\n") {
		fmt.Sscanf(line, "peak-rss-kb %d exit %d", &kb, &code)
	}
	if kb == 0 || code != wantCode {
		b.Fatalf("%s: exit %d, want %d:\n%s", strings.Join(args, " "), code, wantCode, stdout.String())
	}
	return float64(kb) / 1024, took
}

// TestPeakRSSLauncher is peakRSS's launcher: run by it, it starts the
// command in FEDIMARKS_LAUNCH (a word a line), waits for it and prints
// its peak RSS in KiB and its exit code (and its stderr if it failed);
// run otherwise it does nothing.
func TestPeakRSSLauncher(t *testing.T) {
	argv := os.Getenv("FEDIMARKS_LAUNCH")
	if argv == "" {
		t.Skip("run by peakRSS only")
	}
	args := strings.Split(argv, "\n")
	var stderr bytes.Buffer
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	if cmd.ProcessState.ExitCode() != 0 {
		fmt.Print(stderr.String())
	}
	fmt.Printf("peak-rss-kb %d exit %d\n", cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, cmd.ProcessState.ExitCode())
}
