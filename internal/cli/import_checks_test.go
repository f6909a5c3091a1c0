package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// oneLine fails unless stderr is exactly one "fedimarks: want" line
// (plus, for a usage error, the "Run 'fedimarks help'" line) and names no
// temporary file.
func oneLine(t *testing.T, r run, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) == 2 && strings.HasPrefix(lines[1], "Run 'fedimarks help ") {
		lines = lines[:1]
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "fedimarks: ") || !strings.Contains(lines[0], want) {
		t.Errorf("stderr is not one line containing %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, ".tmp") || strings.Contains(r.stderr, ".fedimarks-") {
		t.Errorf("stderr names a temporary file:\n%s", r.stderr)
	}
}

// noRequests fails if any of the instances handled a request since the
// last ResetCounts.
func noRequests(t *testing.T, insts ...*mastodontest.Instance) {
	t.Helper()
	for _, in := range insts {
		if n := in.Requests("", ""); n != 0 {
			t.Errorf("%s handled %d requests", in.Host(), n)
		}
	}
}

// bookmarksFile writes a Mastodon-format file of n fresh posts of a new
// account on inst.
func bookmarksFile(t *testing.T, inst *mastodontest.Instance, n int) (string, []*mastodontest.Status) {
	t.Helper()
	author := inst.AddAccount("author")
	var posts []*mastodontest.Status
	var uris []string
	for i := 0; i < n; i++ {
		posts = append(posts, author.Post(mastodontest.PostOptions{}))
		uris = append(uris, posts[i].URI())
	}
	return writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n"), posts
}

func TestImportInputChecks(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	f.b.ResetCounts()
	dir := t.TempDir()
	r := mustRun(t, ExitUsage, f.home, "", "import", dir, "--to", f.bob.Handle())
	oneLine(t, r, dir+" is a directory, not a file")
	missing := filepath.Join(dir, "nope.csv")
	r = mustRun(t, ExitUsage, f.home, "", "import", missing, "--to", f.bob.Handle())
	oneLine(t, r, missing+": file not found")
	noRequests(t, f.b)
}

// A --to that names no saved account (issue 12: a part of a handle, such
// as the user name, names one) stops the import before the file is read.
func TestImportToWithoutHostBeforeParsing(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	file, _ := bookmarksFile(t, f.a, 2)
	r := mustRun(t, ExitUsage, f.home, "", "import", file, "--to", "zed")
	oneLine(t, r, `--to "zed" matches no saved account (`+f.bob.Handle()+")")
	r = mustRun(t, ExitUsage, f.home, "", "import", file, "--to", "b o b")
	oneLine(t, r, `--to "b o b" is not an account: expected user@host`)
}

func TestImportSeveralAccountsNeedsTo(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.alice, f.bob)
	file, _ := bookmarksFile(t, f.a, 2)
	f.a.ResetCounts()
	f.b.ResetCounts()
	r := mustRun(t, ExitUsage, f.home, "", "import", file)
	oneLine(t, r, "several accounts are saved ("+f.alice.Handle()+", "+f.bob.Handle()+"): name the destination with --to user@host")
	r = mustRun(t, ExitUsage, f.home, "", "verify", file)
	oneLine(t, r, "name the destination with --to user@host")
	noRequests(t, f.a, f.b)
}

func TestImportReportDirCheckedFirst(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	file, uris := bookmarksFile(t, f.a, 3)
	aFile := writeFile(t, "not-a-dir", "x")
	for _, tc := range []struct{ dir, want string }{
		{aFile, "cannot write reports in --report-dir " + aFile + ": it is a file, not a directory"},
		{filepath.Join(aFile, "sub"), "cannot write reports in --report-dir " + filepath.Join(aFile, "sub") + ": " + aFile + " is a file, not a directory"},
	} {
		f.b.ResetCounts()
		r := mustRun(t, ExitUsage, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", tc.dir)
		oneLine(t, r, tc.want)
		noRequests(t, f.b)
		if got := f.bob.BookmarkURIs(); len(got) != 0 {
			t.Fatalf("bookmarked %v before failing", got)
		}
	}
	// A missing parent is made, private.
	dir := filepath.Join(t.TempDir(), "new", "reports")
	mustRun(t, ExitOK, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", dir)
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("report dir mode %v, want 0700", st.Mode().Perm())
	}
	if len(f.bob.BookmarkURIs()) != len(uris) {
		t.Errorf("bob has %d bookmarks, want %d", len(f.bob.BookmarkURIs()), len(uris))
	}
}

func TestMigrateSameAccountBeforeBackup(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.alice, f.bob)
	f.a.ResetCounts()
	f.b.ResetCounts()
	r := mustRun(t, ExitUsage, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", "@"+f.alice.Handle())
	oneLine(t, r, "--from and --to are the same account")
	r = mustRun(t, ExitUsage, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", "zed")
	oneLine(t, r, `--to "zed" matches no saved account`)
	r = mustRun(t, ExitUsage, f.home, "", "migrate", "--from", "alice", "--to", "@"+f.alice.Handle())
	oneLine(t, r, "--from and --to are the same account")
	noRequests(t, f.a, f.b)
}

func TestVerifyOutputCheckedFirst(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	file, _ := bookmarksFile(t, f.a, 2)
	f.b.ResetCounts()
	nodir := filepath.Join(t.TempDir(), "nodir")
	r := mustRun(t, ExitUsage, f.home, "", "verify", file, "--to", f.bob.Handle(), "-o", filepath.Join(nodir, "m.csv"))
	oneLine(t, r, "cannot write m.csv: directory "+nodir+" does not exist")
	if strings.Contains(r.stderr, "rows (mastodon)") {
		t.Errorf("the file was read first:\n%s", r.stderr)
	}
	r = mustRun(t, ExitUsage, f.home, "", "verify", file, "--to", f.bob.Handle(), "-o", filepath.Dir(nodir))
	oneLine(t, r, "is a directory")
	noRequests(t, f.b)
}
