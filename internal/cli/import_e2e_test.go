package cli

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// fediverse is three fake instances: alice on A bookmarks posts written
// on A, B and C; bob on B is where they go.
type fediverse struct {
	net        *mastodontest.Network
	a, b, c    *mastodontest.Instance
	alice, bob *mastodontest.Account
	home       string
	reports    string
}

func newFediverse(t *testing.T) *fediverse {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	f := &fediverse{net: net, home: newHome(t), reports: t.TempDir()}
	f.a = net.NewInstance(mastodontest.InstanceOptions{})
	f.b = net.NewInstance(mastodontest.InstanceOptions{})
	f.c = net.NewInstance(mastodontest.InstanceOptions{})
	f.alice = f.a.AddAccount("alice")
	f.bob = f.b.AddAccount("bob")
	return f
}

func (f *fediverse) login(t *testing.T, accs ...*mastodontest.Account) {
	t.Helper()
	for _, acc := range accs {
		mustRun(t, 0, f.home, acc.Token()+"\n", "login", acc.Instance().URL(), "--token-stdin")
	}
}

// report reads the newest report CSV in f.reports as uri -> outcome
// and the rows in order.
func (f *fediverse) report(t *testing.T) (map[string]string, [][]string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(f.reports, "import-*-report.csv"))
	if len(paths) == 0 {
		t.Fatal("no report written")
	}
	slices.Sort(paths)
	fh, err := os.Open(paths[len(paths)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "uri,outcome,detail" {
		t.Fatalf("report header %v", rows[:1])
	}
	m := map[string]string{}
	for _, r := range rows[1:] {
		if _, ok := m[r[0]]; !ok || r[1] != "duplicate" {
			m[r[0]] = r[1]
		}
	}
	return m, rows[1:]
}

func (f *fediverse) failures(t *testing.T) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(f.reports, "import-*-failures.csv"))
	if len(paths) == 0 {
		return nil
	}
	slices.Sort(paths)
	b, err := os.ReadFile(paths[len(paths)-1])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// inOrder reports whether want appears in got in the same relative
// order (other elements may be interleaved).
func inOrder(got, want []string) bool {
	pos := map[string]int{}
	for i, u := range got {
		pos[u] = i
	}
	last := -1
	for _, u := range want {
		p, ok := pos[u]
		if !ok || p < last {
			return false
		}
		last = p
	}
	return true
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestMigrateThousandBookmarks is the "done means": 1,000
// bookmarks of alice on A, spread over A, B and C, some deleted, some
// followers-only, C down for a while, migrate to bob on B.
func TestMigrateThousandBookmarks(t *testing.T) {
	f := newFediverse(t)
	carol, frank := f.a.AddAccount("carol"), f.a.AddAccount("frank")
	dave := f.b.AddAccount("dave")
	erin := f.c.AddAccount("erin")
	f.alice.Follow(frank)
	want := map[string]string{} // uri -> outcome after the first migrate
	var posts []*mastodontest.Status
	var deleted []*mastodontest.Status
	for i := 0; i < 1000; i++ {
		var s *mastodontest.Status
		switch {
		case i%50 == 7:
			s = frank.Post(mastodontest.PostOptions{Visibility: "private"})
			want[s.URI()] = "not_visible"
		case i%3 == 0:
			s = carol.Post(mastodontest.PostOptions{})
			want[s.URI()] = "imported"
		case i%3 == 1:
			s = dave.Post(mastodontest.PostOptions{})
			want[s.URI()] = "imported"
		default:
			s = erin.Post(mastodontest.PostOptions{})
			want[s.URI()] = "unreachable"
		}
		if i%41 == 5 && want[s.URI()] == "imported" {
			deleted = append(deleted, s)
			want[s.URI()] = "not_found"
		}
		f.alice.Bookmark(s)
		posts = append(posts, s)
	}
	// bob already has two of them.
	f.bob.Bookmark(posts[1])
	want[posts[1].URI()] = "already"
	f.bob.Bookmark(posts[4])
	want[posts[4].URI()] = "already"
	aliceOrder := reversed(f.alice.BookmarkURIs()) // oldest first

	f.login(t, f.alice, f.bob)
	mustRun(t, 0, f.home, "", "backup", f.alice.Handle())
	for _, s := range deleted {
		s.Delete()
	}
	f.c.SetDown(true)

	args := []string{"migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--yes", "--report-dir", f.reports}
	r := mustRun(t, ExitPartial, f.home, "", args...)
	got, rows := f.report(t)
	if len(rows) != 1000 {
		t.Fatalf("report has %d rows, want 1000", len(rows))
	}
	bad := 0
	for uri, w := range want {
		if got[uri] != w {
			if bad++; bad < 10 {
				t.Errorf("%s: %s, want %s", uri, got[uri], w)
			}
		}
	}
	for _, s := range []string{"imported", "unreachable", "not_visible", "not_found", "already"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("summary lacks %s:\n%s", s, r.stderr)
		}
	}
	// Failures: every row that did not make it, newest first.
	var wantFail []string
	for _, u := range reversed(aliceOrder) {
		if w := want[u]; w == "not_found" || w == "not_visible" || w == "unreachable" {
			wantFail = append(wantFail, u)
		}
	}
	if fails := f.failures(t); !slices.Equal(fails, wantFail) {
		t.Errorf("failures file: %d lines, want %d", len(fails), len(wantFail))
	}
	// bob's bookmarks are in alice's order.
	var imported []string
	for _, u := range aliceOrder {
		if want[u] == "imported" {
			imported = append(imported, u)
		}
	}
	if !inOrder(reversed(f.bob.BookmarkURIs()), imported) {
		t.Error("bob's bookmarks are not in alice's order")
	}
	// Posts of B were bookmarked by id: searches only for A and C posts.
	nB := 0
	for _, s := range posts {
		if strings.Contains(s.URI(), f.b.Host()) && want[s.URI()] != "already" {
			nB++
		}
	}
	if searches := f.b.Requests("GET", "/api/v2/search"); searches > 1000-nB-2 {
		t.Errorf("%d searches for %d rows not on B", searches, 1000-nB-2)
	}

	// C is back; bob follows frank. A plain rerun retries the unreachable
	// rows only; --retry-failed then gets the followers-only ones.
	f.c.SetDown(false)
	f.b.ResetCounts()
	mustRun(t, ExitPartial, f.home, "", args...)
	got, _ = f.report(t)
	var fromC []string
	for _, u := range aliceOrder {
		if want[u] == "unreachable" {
			if got[u] != "imported" {
				t.Errorf("%s after C came back: %s", u, got[u])
			}
			fromC = append(fromC, u)
		}
	}
	if !inOrder(reversed(f.bob.BookmarkURIs()), fromC) {
		t.Error("C's posts were not written in alice's order")
	}
	if n := f.b.Requests("GET", "/api/v2/search"); n != len(fromC) {
		t.Errorf("rerun made %d searches, want %d (the unreachable rows only)", n, len(fromC))
	}
	f.bob.Follow(frank)
	mustRun(t, ExitPartial, f.home, "", append(args, "--retry-failed")...)
	got, _ = f.report(t)
	for u, w := range want {
		if w == "not_visible" && got[u] != "imported" {
			t.Errorf("followers-only %s after the follow: %s", u, got[u])
		}
	}

	// Everything that can be done is done: a rerun makes no bookmark request.
	f.b.ResetCounts()
	mustRun(t, ExitPartial, f.home, "", args...)
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 0 {
		t.Errorf("rerun made %d bookmark requests", n)
	}
	// verify lists exactly the deleted posts (they are gone from alice's
	// listing too, so verify from the archive).
	v := mustRun(t, ExitPartial, f.home, "", "verify", "--from", f.alice.Handle(), "--offline", "--to", f.bob.Handle())
	missing := strings.Fields(v.stdout)
	if len(missing) != len(deleted) {
		t.Errorf("verify lists %d missing, want the %d deleted posts", len(missing), len(deleted))
	}
}

// TestMigrateOrderAndIncrementalRerun: with nothing failing, bob's list is
// alice's list; new bookmarks of alice are appended to the same job.
func TestMigrateOrderAndIncrementalRerun(t *testing.T) {
	f := newFediverse(t)
	carol, erin := f.a.AddAccount("carol"), f.c.AddAccount("erin")
	for i := 0; i < 120; i++ {
		author := carol
		if i%2 == 1 {
			author = erin
		}
		f.alice.Bookmark(author.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	args := []string{"migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports}
	mustRun(t, 0, f.home, "", args...)
	if !slices.Equal(f.bob.BookmarkURIs(), f.alice.BookmarkURIs()) {
		t.Fatal("bob's bookmarks differ from alice's, or are in another order")
	}
	if fails := f.failures(t); fails != nil {
		t.Errorf("failures file written for a clean run: %v", fails)
	}
	for i := 0; i < 5; i++ {
		f.alice.Bookmark(erin.Post(mastodontest.PostOptions{}))
	}
	f.b.ResetCounts()
	mustRun(t, 0, f.home, "", args...)
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 5 {
		t.Errorf("incremental migrate made %d bookmark requests, want 5", n)
	}
	if !slices.Equal(f.bob.BookmarkURIs(), f.alice.BookmarkURIs()) {
		t.Fatal("after the incremental migrate bob's bookmarks differ from alice's")
	}
	_, rows := f.report(t)
	if len(rows) != 125 {
		t.Errorf("job has %d rows, want 125 (one job, appended)", len(rows))
	}
}

// writeFile writes content to a new file name in a temp dir.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportFileDuplicatesInvalidAndReport(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	var sts []*mastodontest.Status
	for i := 0; i < 10; i++ {
		sts = append(sts, carol.Post(mastodontest.PostOptions{}))
	}
	gone := carol.Post(mastodontest.PostOptions{})
	gone.Delete()
	f.login(t, f.bob)
	// Newest first, BOM, CRLF, #uri header, blank lines, spaces, dups, a
	// bad row and a deleted post.
	var b strings.Builder
	b.WriteString("\ufeff#uri\r\n")
	for i := len(sts) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "  %s \r\n", sts[i].URI())
		if i == 5 {
			b.WriteString("\r\nnot a url\r\n" + sts[2].URI() + "\r\n" + gone.URI() + "\r\n")
		}
	}
	b.WriteString(sts[0].URI() + "\r\n") // the oldest again: first written, the other copy is the duplicate
	file := writeFile(t, "bookmarks.csv", b.String())
	r := mustRun(t, ExitPartial, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if !strings.Contains(r.stderr, "bookmarks.csv:") || !strings.Contains(r.stderr, "not a url") {
		t.Errorf("the bad row is not reported with its line:\n%s", r.stderr)
	}
	want := make([]string, len(sts))
	for i, s := range sts {
		want[len(sts)-1-i] = s.URI()
	}
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, want) {
		t.Errorf("bob's bookmarks:\n%v\nwant\n%v", got, want)
	}
	// Duplicates cost nothing: one search for each distinct remote post.
	if n := f.b.Requests("GET", "/api/v2/search"); n != 11 {
		t.Errorf("%d searches, want 11", n)
	}
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 10 {
		t.Errorf("%d bookmark requests, want 10", n)
	}
	got, rows := f.report(t)
	if len(rows) != 14 {
		t.Errorf("report has %d rows, want 14", len(rows))
	}
	if got[gone.URI()] != "not_found" || got["not a url"] != "invalid" {
		t.Errorf("report: deleted %q, invalid %q", got[gone.URI()], got["not a url"])
	}
	dups := 0
	for _, row := range rows {
		if row[1] == "duplicate" {
			dups++
		}
	}
	if dups != 2 {
		t.Errorf("%d duplicate rows, want 2", dups)
	}
	if fails := f.failures(t); !slices.Equal(fails, []string{gone.URI()}) {
		t.Errorf("failures file %v", fails)
	}
	if !strings.Contains(r.stderr, "fedimarks: ") || !strings.Contains(r.stderr, "not imported") {
		t.Errorf("no closing message:\n%s", r.stderr)
	}
	// The same command again: no request at all beyond the listing.
	f.b.ResetCounts()
	mustRun(t, ExitPartial, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if n := f.b.Requests("POST", "/api/v1/statuses/") + f.b.Requests("GET", "/api/v2/search"); n != 0 {
		t.Errorf("rerun made %d search or bookmark requests", n)
	}
}

func TestImportDryRun(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	dave := f.b.AddAccount("dave")
	var lines []string
	for i := 0; i < 6; i++ {
		lines = append(lines, carol.Post(mastodontest.PostOptions{}).URI())
	}
	local := dave.Post(mastodontest.PostOptions{})
	lines = append(lines, local.URL(), lines[0], "nope")
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(lines, "\n")+"\n")
	r := mustRun(t, 0, f.home, "", "import", file, "--to", f.bob.Handle(), "--dry-run")
	// The table's columns are aligned: compare with runs of spaces as one.
	spaced := regexp.MustCompile(` {2,}`).ReplaceAllString(r.stderr, "  ")
	for _, s := range []string{"duplicate  1\n", "invalid  1\n", "(bookmarked by id)  1\n", "(search + bookmark)  6\n", "14 requests"} {
		if !strings.Contains(spaced, s) {
			t.Errorf("dry run output lacks %q:\n%s", s, r.stderr)
		}
	}
	if n := f.b.Requests("POST", "") + f.b.Requests("GET", "/api/v2/search"); n != 0 {
		t.Errorf("dry run made %d write or search requests", n)
	}
	if len(f.bob.BookmarkURIs()) != 0 {
		t.Error("dry run bookmarked something")
	}
}

func TestImportBigIntoMastodonNeedsYes(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	var b strings.Builder
	for i := 0; i < 1001; i++ {
		fmt.Fprintf(&b, "https://far.example/users/x/statuses/%d\n", i)
	}
	file := writeFile(t, "bookmarks.csv", b.String())
	r := mustRun(t, ExitUsage, f.home, "", "import", file, "--to", f.bob.Handle())
	for _, s := range []string{"1001 bookmarks to write", f.b.URL() + "/settings/imports", "fedimarks verify", "--yes", "20 MB", "20,000 rows"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("refusal lacks %q:\n%s", s, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "Make the file") {
		t.Errorf("the input is in Mastodon's format already:\n%s", r.stderr)
	}
	// Another format: the advice says how to make the file to upload.
	csvFile := writeFile(t, "links.csv", "Bookmark URL,Account URL,Created at\n"+strings.ReplaceAll(b.String(), "\n", ",,\n"))
	r = mustRun(t, ExitUsage, f.home, "", "import", csvFile, "--to", f.bob.Handle())
	if want := "Make the file with: fedimarks verify " + csvFile + " --to " + f.bob.Handle() + " -o "; !strings.Contains(r.stderr, want) {
		t.Errorf("advice lacks %q:\n%s", want, r.stderr)
	}
	if n := f.b.Requests("", "/api/v2/search") + f.b.Requests("POST", ""); n != 0 {
		t.Errorf("%d requests before confirmation", n)
	}
}

func TestImportScopeFailureExit4(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	s := carol.Post(mastodontest.PostOptions{})
	f.login(t, f.bob)
	// bob's saved token may read and search but not write.
	home := newHome(t)
	mustRun(t, 0, home, f.bob.Token("read")+"\n", "login", f.b.URL(), "--token-stdin")
	file := writeFile(t, "b.csv", s.URI()+"\n")
	r := mustRun(t, ExitAuth, home, "", "import", file, "--to", f.bob.Handle())
	if !strings.Contains(r.stderr, "fedimarks login") || !strings.Contains(r.stderr, "resume with: fedimarks import") {
		t.Errorf("auth failure message lacks the next commands:\n%s", r.stderr)
	}
}

func TestVerifyFile(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	var uris []string
	for i := 0; i < 5; i++ {
		s := carol.Post(mastodontest.PostOptions{})
		uris = append(uris, s.URI())
		if i < 3 {
			f.bob.Bookmark(s)
		}
	}
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	out := filepath.Join(t.TempDir(), "missing.csv")
	r := mustRun(t, ExitPartial, f.home, "", "verify", file, "--to", f.bob.Handle(), "-o", out)
	b, _ := os.ReadFile(out)
	if string(b) != uris[4]+"\n"+uris[3]+"\n" {
		t.Errorf("missing.csv = %q", b)
	}
	if !strings.Contains(r.stderr, "3 present, 2 missing") {
		t.Errorf("counts: %s", r.stderr)
	}
	mustRun(t, 0, f.home, "", "import", out, "--to", f.bob.Handle())
	mustRun(t, 0, f.home, "", "verify", file, "--to", f.bob.Handle())
	if !slices.Equal(f.bob.BookmarkURIs(), []string{uris[4], uris[3], uris[2], uris[1], uris[0]}) {
		t.Errorf("after importing the missing ones bob has %v", f.bob.BookmarkURIs())
	}
}

// TestImportBigButAllThere: 1,100 rows all bookmarked on the destination
// already are not a big import: no question, no refusal, no write.
func TestImportBigButAllThere(t *testing.T) {
	f := newFediverse(t)
	dave := f.b.AddAccount("dave")
	var uris []string
	for i := 0; i < 1100; i++ {
		s := dave.Post(mastodontest.PostOptions{})
		f.bob.Bookmark(s)
		uris = append(uris, s.URI())
	}
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	r := mustRun(t, ExitOK, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if strings.Contains(r.stderr, "bookmarks to write") || !strings.Contains(r.stderr, "already") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if n := f.b.Requests("POST", "/api/v1/statuses/") + f.b.Requests("GET", "/api/v2/search"); n != 0 {
		t.Errorf("%d search or bookmark requests", n)
	}
}

// TestImportListingFailureSaysWhy: when the destination's bookmarks
// cannot be read, the message carries the cause.
func TestImportListingFailureSaysWhy(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	s := carol.Post(mastodontest.PostOptions{})
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", s.URI()+"\n")
	f.b.FailNext(2, 400, 0) // the instance document, then the listing
	r := mustRun(t, ExitError, f.home, "", "import", file, "--to", f.bob.Handle())
	if !strings.Contains(r.stderr, "read the bookmarks of "+f.bob.Handle()+": GET /api/v1/bookmarks: 400") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

// TestImportFollowersOnlyFromFile: a file does not say a post is
// followers-only, and the destination cannot tell it from a deleted one:
// the row's detail and the summary say to follow the author and retry,
// which then works.
func TestImportFollowersOnlyFromFile(t *testing.T) {
	f := newFediverse(t)
	frank := f.a.AddAccount("frank")
	private := frank.Post(mastodontest.PostOptions{Visibility: "private"})
	public := frank.Post(mastodontest.PostOptions{})
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", public.URI()+"\n"+private.URI()+"\n")
	args := []string{"import", file, "--to", f.bob.Handle(), "--report-dir", f.reports}
	r := mustRun(t, ExitPartial, f.home, "", args...)
	got, rows := f.report(t)
	if got[private.URI()] != "not_found" || got[public.URI()] != "imported" {
		t.Fatalf("report %v", got)
	}
	for _, row := range rows {
		if row[0] == private.URI() && !strings.Contains(row[2], "followers-only/direct: follow the author from the destination account, then rerun with --retry-failed") {
			t.Errorf("detail %q", row[2])
		}
	}
	if !strings.Contains(r.stderr, "followers-only/direct posts") || !strings.Contains(r.stderr, "--retry-failed") {
		t.Errorf("summary lacks the follow hint:\n%s", r.stderr)
	}
	f.bob.Follow(frank)
	mustRun(t, ExitOK, f.home, "", append(args, "--retry-failed")...)
	if !slices.Equal(f.bob.BookmarkURIs(), []string{private.URI(), public.URI()}) { // the retried row is the newest
		t.Errorf("bob has %v", f.bob.BookmarkURIs())
	}
}

// TestImportSamePostByURIAndURL: one file lists posts by URI, another by
// URL: each post costs one search and one bookmark.
func TestImportSamePostByURIAndURL(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	var uris, urls []string
	for i := 0; i < 6; i++ {
		s := carol.Post(mastodontest.PostOptions{})
		uris, urls = append(uris, s.URI()), append(urls, s.URL())
	}
	f.login(t, f.bob)
	byURI := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris[:5]), "\n")+"\n")
	byURL := writeFile(t, "links.csv", "Bookmark URL,Account URL,Created at\n"+strings.Join(reversed(urls), ",,\n")+",,\n")
	r := mustRun(t, ExitOK, f.home, "", "import", byURI, byURL, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if n := f.b.Requests("GET", "/api/v2/search"); n != 6 {
		t.Errorf("%d searches for 6 posts\n%s", n, r.stderr)
	}
	if n := f.b.Requests("POST", "/api/v1/statuses/"); n != 6 {
		t.Errorf("%d bookmark requests for 6 posts", n)
	}
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, reversed(uris)) {
		t.Errorf("bob has %v", got)
	}
}

// TestImportUnreachableHint: when every failure is unreachable, the hint
// is a plain rerun (which retries them), not --retry-failed; once the
// server is back, that rerun finishes the job.
func TestImportUnreachableHint(t *testing.T) {
	f := newFediverse(t)
	carol, erin := f.a.AddAccount("carol"), f.c.AddAccount("erin")
	ok := carol.Post(mastodontest.PostOptions{})
	down := erin.Post(mastodontest.PostOptions{})
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", down.URI()+"\n"+ok.URI()+"\n")
	args := []string{"import", file, "--to", f.bob.Handle(), "--report-dir", f.reports}
	f.c.SetDown(true)
	r := mustRun(t, ExitPartial, f.home, "", args...)
	if want := "retry them with: fedimarks import " + file + " --to " + f.bob.Handle(); !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "--retry-failed") {
		t.Errorf("hint:\n%s", r.stderr)
	}
	f.c.SetDown(false)
	mustRun(t, ExitOK, f.home, "", args...)
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, []string{down.URI(), ok.URI()}) {
		t.Errorf("bob has %v", got)
	}
}
