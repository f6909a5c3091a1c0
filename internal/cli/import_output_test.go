package cli

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestImportBigAdviceGivesExactCommands: the refusal of a big import into
// Mastodon gives the verify and import commands with the user's own file
// and account, and no progress line comes before it.
func TestImportBigAdviceGivesExactCommands(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	var b strings.Builder
	for i := 0; i < 1100; i++ {
		fmt.Fprintf(&b, "https://far.example/users/x/statuses/%d\n", i)
	}
	file := filepath.Join(t.TempDir(), "my bookmarks.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, ExitUsage, f.home, "", "import", file, "--to", f.bob.Handle())
	for _, s := range []string{
		"\n  fedimarks verify '" + file + "' --to " + f.bob.Handle() + " -o missing.csv\n",
		"\n  fedimarks import missing.csv --to " + f.bob.Handle() + "\n",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("advice lacks %q:\n%s", s, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "`fedimarks verify`") {
		t.Errorf("advice gives a generic verify:\n%s", r.stderr)
	}
	if regexp.MustCompile(`import [^ ]+: [0-9,]+/[0-9,]+ rows`).MatchString(r.stderr) {
		t.Errorf("a progress line before the refusal:\n%s", r.stderr)
	}
}

// TestMigrateBigAdviceGivesExactCommands: for migrate, the advice says
// how to make the file and verify from the archive.
func TestMigrateBigAdviceGivesExactCommands(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	for i := 0; i < 1001; i++ {
		f.alice.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	r := mustRun(t, ExitUsage, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle())
	for _, s := range []string{
		"Make the file with: fedimarks export " + f.alice.Handle() + " --format mastodon -o bookmarks.csv\n",
		"\n  fedimarks verify --from " + f.alice.Handle() + " --offline --to " + f.bob.Handle() + " -o missing.csv\n",
		"\n  fedimarks import missing.csv --to " + f.bob.Handle() + "\n",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("advice lacks %q:\n%s", s, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "import "+f.bob.Handle()+": 0/") {
		t.Errorf("a progress line before the refusal:\n%s", r.stderr)
	}
}

// TestImportSummaryCountsOutcomes: an import whose rows were all there
// says so, not "imported".
func TestImportSummaryCountsOutcomes(t *testing.T) {
	f := newFediverse(t)
	file, posts := bookmarksFile(t, f.a, 3)
	for _, p := range posts {
		f.bob.Bookmark(p)
	}
	f.login(t, f.bob)
	r := mustRun(t, ExitOK, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if want := f.bob.Handle() + ": 3 rows: 0 imported, 3 already (job "; !strings.Contains(r.stderr, want) {
		t.Errorf("summary lacks %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "imported into") {
		t.Errorf("summary claims an import:\n%s", r.stderr)
	}
}

// TestImportRerunOfFinishedJobStaysHome: a rerun of a finished import
// contacts the destination not at all, says nothing is left to do, and
// prints the old summary; with the destination down, too.
func TestImportRerunOfFinishedJobStaysHome(t *testing.T) {
	f := newFediverse(t)
	file, _ := bookmarksFile(t, f.a, 3)
	f.login(t, f.bob)
	args := []string{"import", file, "--to", f.bob.Handle(), "--report-dir", f.reports}
	mustRun(t, ExitOK, f.home, "", args...)
	f.b.ResetCounts()
	r := mustRun(t, ExitOK, f.home, "", args...)
	noRequests(t, f.b)
	for _, s := range []string{"nothing left to do: 3 imported earlier\n", f.bob.Handle() + ": 3 rows: 3 imported (job "} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("rerun lacks %q:\n%s", s, r.stderr)
		}
	}
	f.b.SetDown(true)
	r = mustRun(t, ExitOK, f.home, "", args...)
	if !strings.Contains(r.stderr, "nothing left to do") || strings.Contains(r.stderr, "waiting") || strings.Contains(r.stderr, "request") {
		t.Errorf("rerun with the destination down:\n%s", r.stderr)
	}
}

// TestVerifyOneMissingPost: the count agrees with its noun.
func TestVerifyOneMissingPost(t *testing.T) {
	f := newFediverse(t)
	file, posts := bookmarksFile(t, f.a, 2)
	f.bob.Bookmark(posts[0])
	f.login(t, f.bob)
	r := mustRun(t, ExitPartial, f.home, "", "verify", file, "--to", f.bob.Handle())
	if want := "fedimarks: 1 post is missing on " + f.bob.Handle(); !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}

// TestImportToIsOptionalInHelpAndReadme: help and README agree that --to
// may be left out, and say what it defaults to (issue 12: the default
// account, else the only one).
func TestImportToIsOptionalInHelpAndReadme(t *testing.T) {
	r := mustRun(t, ExitOK, newHome(t), "", "help", "import")
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.stdout+r.stderr, "fedimarks import FILE... [--to ACCOUNT]") || !strings.Contains(r.stdout+r.stderr, "(default: the default\n                      account, 'fedimarks accounts use'; else the only\n                      saved account)") {
		t.Errorf("help:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(string(readme), "| `import FILE... [--to ACCOUNT] ") || !strings.Contains(string(readme), "(default: the default account, else the only saved one") {
		t.Error("README's import row does not show --to as optional with its default")
	}
}

// TestImportUTF16File: a file saved as UTF-16 with a BOM is imported;
// the advice would not offer it to Mastodon's importer as it is.
func TestImportUTF16File(t *testing.T) {
	f := newFediverse(t)
	author := f.a.AddAccount("author")
	var uris []string
	for i := 0; i < 3; i++ {
		uris = append(uris, author.Post(mastodontest.PostOptions{}).URI())
	}
	units := utf16.Encode([]rune("\ufeff" + strings.Join(reversed(uris), "\r\n") + "\r\n"))
	data := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(data[2*i:], u)
	}
	file := filepath.Join(t.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f.login(t, f.bob)
	r := mustRun(t, ExitOK, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if !strings.Contains(r.stderr, "3 rows (mastodon, UTF-16LE)") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if got := f.bob.BookmarkURIs(); !slices.Equal(got, reversed(uris)) {
		t.Errorf("bob has %v", got)
	}
}

// TestImportReportsArePrivate: the default reports directory is 0700
// (also one left 0755 by an older version) and the files 0600.
func TestImportReportsArePrivate(t *testing.T) {
	f := newFediverse(t)
	file, _ := bookmarksFile(t, f.a, 2)
	f.login(t, f.bob)
	reports := filepath.Join(f.home, "reports")
	if err := os.MkdirAll(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(reports, 0o755)
	mustRun(t, ExitOK, f.home, "", "import", file, "--to", f.bob.Handle())
	st, err := os.Stat(reports)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("reports dir mode %v", st.Mode().Perm())
	}
	paths, _ := filepath.Glob(filepath.Join(reports, "*.csv"))
	if len(paths) == 0 {
		t.Fatal("no report written")
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, st.Mode().Perm(), err)
		}
	}
}

// TestImportToDeadDestinationSaysNothingRead: an import whose destination
// does not answer says nothing about a listing it did not read ("read 0
// bookmarks"), and a dry run's hint runs the dry run again once the server
// answers: a dry run has nothing to resume.
func TestImportToDeadDestinationSaysNothingRead(t *testing.T) {
	f := newFediverse(t)
	file, _ := bookmarksFile(t, f.a, 2)
	f.login(t, f.bob)
	f.b.SetDown(true)
	r := mustRun(t, ExitError, f.home, "", "import", file, "--to", f.bob.Handle(), "--dry-run")
	if strings.Contains(r.stderr, "read 0 bookmarks") {
		t.Errorf("a listing that was not read is reported read:\n%s", r.stderr)
	}
	want := "run it again when the server answers: fedimarks import " + file + " --to " + f.bob.Handle() + " --dry-run"
	if strings.Contains(r.stderr, "resume with") || !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q (a dry run has nothing to resume):\n%s", want, r.stderr)
	}
}
