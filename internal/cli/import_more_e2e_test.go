package cli

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestImportKilledAndRerun kills the real binary with SIGKILL halfway
// through an import and runs the same command again: every bookmark ends
// written, in order, each request at most once more than needed (the one
// row that was in flight).
func TestImportKilledAndRerun(t *testing.T) {
	bin := buildBinary(t)
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	const n = 300
	var uris []string // newest first, like Mastodon's export
	for i := 0; i < n; i++ {
		uris = append(uris, carol.Post(mastodontest.PostOptions{}).URI())
	}
	slices.Reverse(uris)
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(uris, "\n")+"\n")
	f.b.SetLatency(3 * time.Millisecond)

	args := []string{"import", file, "--to", f.bob.Handle(), "--report-dir", f.reports}
	killHalfwayAndRerun(t, bin, f.home, args, n, "bookmarks",
		func() int { return f.b.Requests("POST", "/api/v1/statuses/") },
		func() int { return len(f.bob.BookmarkURIs()) })
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, uris) {
		t.Fatalf("after the rerun bob has %d bookmarks (want %d), or in another order", len(got), n)
	}
	if posts := f.b.Requests("POST", "/api/v1/statuses/"); posts > n+1 {
		t.Errorf("%d bookmark requests for %d rows: more than the single in-flight row was redone", posts, n)
	}
	got, rows := f.report(t)
	if len(rows) != n {
		t.Errorf("report has %d rows", len(rows))
	}
	for _, u := range uris {
		if got[u] != "imported" {
			t.Errorf("%s: %s", u, got[u])
		}
	}
}

// TestImportEachFormat exports alice's archive in every format that can
// be read back, builds Mastodon account archives and a hand-made 3-column
// CSV, and imports each into a fresh account on B.

// killHalfwayAndRerun runs the binary bin with args in home, kills it
// (SIGKILL) once written() reaches half of n, checks the kill came
// halfway by done() (what the destination holds), then runs the same
// command again to its end. noun names what is written, for messages.
func killHalfwayAndRerun(t *testing.T, bin, home string, args []string, n int, noun string, written func() int, done func() int) {
	t.Helper()
	cmd, stderr := startBinary(t, bin, home, args...)
	waitUntil(t, cmd, stderr, "halfway", func() bool { return written() >= n/2 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if got := done(); got == n || got < n/2 {
		t.Fatalf("kill came at %d of %d %s: not halfway", got, n, noun)
	}
	cmd = exec.Command(bin, args...)
	var rerun bytes.Buffer
	cmd.Env, cmd.Stderr = binaryEnv(home), &rerun
	if err := cmd.Run(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, rerun.String())
	}
}

func TestImportEachFormat(t *testing.T) {
	f := newFediverse(t)
	carol, erin := f.a.AddAccount("carol"), f.c.AddAccount("erin")
	var posts []*mastodontest.Status
	for i := 0; i < 30; i++ {
		author := carol
		if i%3 == 0 {
			author = erin
		}
		posts = append(posts, author.Post(mastodontest.PostOptions{CreatedAt: time.Date(2025, 1, 1, 0, i, 0, 0, time.UTC)}))
	}
	// Bookmarked in another order than posted, so that the two orders differ.
	rng := rand.New(rand.NewPCG(1, 2))
	order := rng.Perm(len(posts))
	for _, i := range order {
		f.alice.Bookmark(posts[i])
	}
	bookmarkOrder := f.alice.BookmarkURIs() // newest bookmark first
	var postOrder []string                  // newest post first
	for i := len(posts) - 1; i >= 0; i-- {
		postOrder = append(postOrder, posts[i].URI())
	}
	f.login(t, f.alice)
	mustRun(t, 0, f.home, "", "backup")

	dir := t.TempDir()
	export := func(format string) string {
		p := filepath.Join(dir, "export."+format)
		mustRun(t, 0, f.home, "", "export", f.alice.Handle(), "--offline", "--format", format, "-o", p)
		return p
	}
	bookmarksJSON, err := os.ReadFile(export("activitypub"))
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, e := range []struct{ name, body string }{{"outbox.json", `{"orderedItems":[]}`}, {"bookmarks.json", string(bookmarksJSON)}} {
		w, _ := zw.Create(e.name)
		w.Write([]byte(e.body))
	}
	zw.Close()
	var tbuf bytes.Buffer
	gz := gzip.NewWriter(&tbuf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "archive-2020/bookmarks.json", Mode: 0o644, Size: int64(len(bookmarksJSON))})
	tw.Write(bookmarksJSON)
	tw.Close()
	gz.Close()
	// Columns reordered, an extra one, CRLF, a header in other case.
	var three strings.Builder
	three.WriteString("Created at,Notes,bookmark url,Account URL\r\n")
	for _, u := range bookmarkOrder {
		fmt.Fprintf(&three, "2025-01-01T00:00:00Z,\"a, note\",%s,https://x.example/@someone\r\n", u)
	}

	tests := []struct {
		name, file string
		want       []string
	}{
		{"mastodon", export("mastodon"), bookmarkOrder},
		{"csv", export("csv"), bookmarkOrder},
		{"json", export("json"), bookmarkOrder},
		{"jsonl", export("jsonl"), bookmarkOrder},
		{"netscape", export("netscape"), bookmarkOrder},
		{"three-column", writeFile(t, "three.csv", three.String()), bookmarkOrder},
		{"bookmarks.json", writeFile(t, "bookmarks.json", string(bookmarksJSON)), postOrder},
		{"zip", writeFile(t, "archive.zip", zbuf.String()), postOrder},
		{"tar.gz", writeFile(t, "archive.tar.gz", tbuf.String()), postOrder},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := f.b.AddAccount(fmt.Sprintf("bob%d", i))
			f.login(t, dest)
			mustRun(t, 0, f.home, "", "import", tt.file, "--to", dest.Handle(), "--report-dir", t.TempDir())
			if got := dest.BookmarkURIs(); !slices.Equal(got, tt.want) {
				t.Errorf("%s: destination order differs\n got %v\nwant %v", tt.name, got, tt.want)
			}
		})
	}
}

// BenchmarkImport imports rows from a Mastodon CSV into a fresh account
// on the fake server with no rate limit, and reports rows per second.
func BenchmarkImport(b *testing.B) {
	net := mastodontest.NewNetwork(b)
	a := net.NewInstance(mastodontest.InstanceOptions{})
	dst := net.NewInstance(mastodontest.InstanceOptions{})
	carol := a.AddAccount("carol")
	const rows = 500
	var lines []string
	for i := 0; i < rows; i++ {
		lines = append(lines, carol.Post(mastodontest.PostOptions{}).URI())
	}
	home := filepath.Join(b.TempDir(), "home")
	file := filepath.Join(b.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	var dests []*mastodontest.Account
	for i := 0; i < b.N; i++ {
		acc := dst.AddAccount(fmt.Sprintf("bob%d", i))
		if code, stderr := benchRun(home, acc.Token()+"\n", "login", dst.URL(), "--token-stdin"); code != 0 {
			b.Fatalf("login: %s", stderr)
		}
		dests = append(dests, acc)
	}
	reports := b.TempDir()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if code, stderr := benchRun(home, "", "import", file, "--to", dests[i].Handle(), "--report-dir", reports); code != 0 {
			b.Fatalf("import: exit %d: %s", code, stderr)
		}
	}
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}

// benchRun runs the tool in-process like runTool, for benchmarks.
func benchRun(home, stdin string, args ...string) (int, string) {
	r := invoke(context.Background(), home, stdin, func(o *IO) { o.Stdout, o.Backoff = io.Discard, 0 }, args...)
	return r.code, r.stderr
}

// TestImportIntoEveryServer imports posts of A and posts local to the
// destination into a destination of each kind: its own posts go by id
// (where the address carries it) or by a local search, the order holds,
// and a post already bookmarked there costs nothing.
func TestImportIntoEveryServer(t *testing.T) {
	for _, q := range []struct {
		name  string
		quirk mastodontest.Quirk
		byID  bool // the destination's post addresses carry its ids
	}{{"mastodon", mastodontest.Mastodon, true}, {"gotosocial", mastodontest.GoToSocial, true}, {"pixelfed", mastodontest.Pixelfed, true}, {"snac", mastodontest.Snac, false}} {
		t.Run(q.name, func(t *testing.T) {
			net := mastodontest.NewNetwork(t)
			a := net.NewInstance(mastodontest.InstanceOptions{})
			d := net.NewInstance(mastodontest.InstanceOptions{Quirk: q.quirk})
			carol, local := a.AddAccount("carol"), d.AddAccount("dora")
			bob := d.AddAccount("bob")
			home := newHome(t)
			var want []string // oldest first
			var lines []string
			for i := 0; i < 12; i++ {
				var s *mastodontest.Status
				if i%3 == 0 {
					s = local.Post(mastodontest.PostOptions{})
					if i%2 == 0 && s.URL() != "" {
						lines = append(lines, s.URL())
					} else {
						lines = append(lines, s.URI())
					}
				} else {
					s = carol.Post(mastodontest.PostOptions{})
					lines = append(lines, s.URI())
				}
				want = append(want, s.URI())
				if i == 4 {
					bob.Bookmark(s) // already there, oldest of bob's
				}
			}
			mustRun(t, 0, home, bob.Token()+"\n", "login", d.URL(), "--token-stdin")
			file := writeFile(t, "bookmarks.csv", strings.Join(reversed(lines), "\n")+"\n")
			d.ResetCounts()
			r := mustRun(t, 0, home, "", "import", file, "--to", bob.Handle(), "--report-dir", t.TempDir())
			got := reversed(bob.BookmarkURIs())
			wantOrder := append([]string{want[4]}, slices.Delete(slices.Clone(want), 4, 5)...)
			if !slices.Equal(got, wantOrder) {
				t.Errorf("bob's bookmarks, oldest first:\n got %v\nwant %v", got, wantOrder)
			}
			searches := d.Requests("GET", "/api/v2/search")
			wantSearches := 7 // remote posts, minus the one already there
			if !q.byID {
				wantSearches += 4
			}
			if searches != wantSearches {
				t.Errorf("%d searches, want %d", searches, wantSearches)
			}
			if n := d.Requests("POST", "/api/v1/statuses/"); n != 11 {
				t.Errorf("%d bookmark requests, want 11", n)
			}
			if !strings.Contains(r.stderr, "already") {
				t.Errorf("summary lacks the already row:\n%s", r.stderr)
			}
		})
	}
}

// TestImportInterruptedExit130 cancels the context (SIGINT in main)
// halfway: exit 130, a summary of what is left, and the rerun finishes.
func TestImportInterruptedExit130(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	var uris []string
	for i := 0; i < 100; i++ {
		uris = append(uris, carol.Post(mastodontest.PostOptions{}).URI())
	}
	slices.Reverse(uris)
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(uris, "\n")+"\n")
	ctx := interruptAfterBookmarks(t, f.b, 30)
	r := runTool(t, ctx, f.home, "", "import", file, "--to", f.bob.Handle())
	if r.code != ExitInterrupted || !strings.Contains(r.stderr, "still to do") || !strings.Contains(r.stderr, "resume") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	mustRun(t, 0, f.home, "", "import", file, "--to", f.bob.Handle())
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, uris) {
		t.Fatalf("after the resume bob has %d bookmarks, want %d in order", len(got), len(uris))
	}
}

// TestImportTwoRunsAtOnce starts the same import twice, together and then
// while the first is going: one run writes, the other is refused naming
// the running PID, and every row is written once.
func TestImportTwoRunsAtOnce(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	const n = 100
	var uris []string
	for i := 0; i < n; i++ {
		uris = append(uris, carol.Post(mastodontest.PostOptions{}).URI())
	}
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	f.b.SetLatency(2 * time.Millisecond)
	args := []string{"import", file, "--to", f.bob.Handle(), "--report-dir", f.reports}

	// Together.
	results := make(chan run, 2)
	for i := 0; i < 2; i++ {
		go func() { results <- runTool(t, nil, f.home, "", args...) }()
	}
	// While the first is going.
	deadline := time.Now().Add(30 * time.Second)
	for f.b.Requests("POST", "/api/v1/statuses/") < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	third := runTool(t, nil, f.home, "", args...)
	rs := []run{<-results, <-results, third}
	ok, refused := 0, 0
	for _, r := range rs {
		switch r.code {
		case ExitOK:
			ok++
		case ExitError:
			refused++
			if !strings.Contains(r.stderr, fmt.Sprintf("(PID %d)", os.Getpid())) || !strings.Contains(r.stderr, "importing into "+f.bob.Handle()) {
				t.Errorf("refusal does not name the running PID:\n%s", r.stderr)
			}
		default:
			t.Errorf("exit %d:\n%s", r.code, r.stderr)
		}
	}
	if ok != 1 || refused != 2 {
		t.Errorf("%d runs finished, %d refused; want 1 and 2", ok, refused)
	}
	if posts := f.b.Requests("POST", "/api/v1/statuses/"); posts != n {
		t.Errorf("%d bookmark requests for %d rows", posts, n)
	}
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, reversed(uris)) {
		t.Errorf("bob has %d bookmarks, or in another order", len(got))
	}
	// The lock is released: the same command runs again, writing nothing.
	f.b.ResetCounts()
	mustRun(t, ExitOK, f.home, "", args...)
	if posts := f.b.Requests("POST", "/api/v1/statuses/"); posts != 0 {
		t.Errorf("rerun wrote %d bookmarks", posts)
	}
}
