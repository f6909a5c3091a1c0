package transfer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// TestRunSummarySaysWhatHappened: the summary's first line counts each
// outcome, "0 imported" included, and says how many this run imported.
func TestRunSummarySaysWhatHappened(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	var uris []string
	for i := 0; i < 3; i++ {
		p := d.add(&post{uri: fmt.Sprintf("https://a.example/users/a/statuses/%d", i)})
		uris = append(uris, p.uri)
		d.bookmarked[p.localID] = true
		d.bookmarks = append(d.bookmarks, p.localID)
	}
	im := newImporter(d, newMemJournal())
	log := &bytes.Buffer{}
	im.Log = log
	if _, err := runReported(ctx, im, req(itemsOf(uris...)), ""); err != nil {
		t.Fatal(err)
	}
	want := "bob@dest.example: 3 rows: 0 imported, 3 already (job 1)\n"
	if !strings.HasPrefix(log.String(), want) {
		t.Errorf("summary:\n%s\nwant it to start with %q", log, want)
	}
	if strings.Contains(log.String(), "imported into") {
		t.Errorf("summary says imported into:\n%s", log)
	}
}

// TestRunFinishedJobContactsNobody: a rerun of a finished job makes no
// request at all (not the listing, not the probe of the server), says
// there is nothing left to do, and prints the old summary and report.
func TestRunFinishedJobContactsNobody(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	uris := d.addPosts(4)
	gone := "https://a.example/users/a/statuses/gone"
	j := newMemJournal()
	im := newImporter(d, j)
	probes := 0
	r := req(itemsOf(append(uris, gone)...))
	r.Probe = func(context.Context) string { probes++; return "mastodon" }
	dir := t.TempDir()
	if _, err := runReported(ctx, im, r, dir); fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatalf("first run: %v", err)
	}
	if probes != 1 {
		t.Errorf("first run probed %d times", probes)
	}
	// The destination is down now: any request would fail.
	d.destDown = true
	d.before = func(kind, arg string) error {
		t.Errorf("%s request on a rerun of a finished job", kind)
		return nil
	}
	lists := d.lists
	log := &bytes.Buffer{}
	im.Log = log
	rep, err := runReported(ctx, im, r, dir)
	if fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatalf("rerun: %v", err)
	}
	if d.lists != lists || probes != 1 {
		t.Errorf("rerun read the listing (%d) or probed (%d)", d.lists-lists, probes-1)
	}
	out := log.String()
	for _, s := range []string{"nothing left to do: 4 imported earlier\n", "bob@dest.example: 5 rows: 4 imported, 1 not_found (job 1)\n", "report: " + rep.ReportPath} {
		if !strings.Contains(out, s) {
			t.Errorf("rerun output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "by this run") {
		t.Errorf("rerun claims rows of its own:\n%s", out)
	}
}

// TestRunLateRowsSayOutOfOrder: rows unreachable in the first run and
// written by the rerun are said to land out of order.
func TestRunLateRowsSayOutOfOrder(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	var uris []string
	for i := 0; i < 6; i++ {
		host := "a.example"
		if i < 2 {
			host = "c.example"
		}
		uris = append(uris, d.add(&post{uri: fmt.Sprintf("https://%s/users/a/statuses/%d", host, i)}).uri)
	}
	d.down["c.example"] = true
	im := newImporter(d, newMemJournal())
	log := &bytes.Buffer{}
	im.Log = log
	rep, err := runReported(ctx, im, req(itemsOf(uris...)), "")
	if fedimarks.ErrorCode(err) != fedimarks.EPartial || rep.Counts[fedimarks.Unreachable] != 2 {
		t.Fatalf("first run: %v %v", err, rep.Counts)
	}
	if strings.Contains(log.String(), "out of the source's order") {
		t.Errorf("first run warns of order:\n%s", log)
	}
	d.down["c.example"] = false
	log.Reset()
	if _, err := runReported(ctx, im, req(itemsOf(uris...)), ""); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	out := log.String()
	for _, s := range []string{
		"bob@dest.example: 6 rows: 6 imported (2 by this run) (job 1)\n",
		"2 rows were bookmarked after rows that follow them in the source: they are among the newest bookmarks on bob@dest.example, out of the source's order (docs/import.md, Order, says how to restore it)\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("rerun output lacks %q:\n%s", s, out)
		}
	}
	if got := d.bookmarkedURIs(); fmt.Sprint(got) != fmt.Sprint(append(uris[2:], uris[:2]...)) {
		t.Errorf("destination order %v", got)
	}
}

// TestReportFilesArePrivate: the report directory is made 0700 and the
// files 0600: they list private bookmarks.
func TestReportFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	dir := filepath.Join(t.TempDir(), "reports")
	r := req(itemsOf(p.uri, "https://a.example/users/a/statuses/gone"))
	rep, err := runReported(ctx, newImporter(d, newMemJournal()), r, dir)
	if fedimarks.ErrorCode(err) != fedimarks.EPartial {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, rep.ReportPath: 0o600, rep.FailuresPath: 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
}

// TestReportErrorNamesNoTemporaryFile: when the report cannot be put in
// place, the error names the report, not the temporary file.
func TestReportErrorNamesNoTemporaryFile(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	p := d.add(&post{uri: "https://a.example/users/a/statuses/1"})
	dir := t.TempDir()
	// A directory where the report goes: the rename fails.
	if err := os.MkdirAll(filepath.Join(dir, "import-1-report.csv", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := req(itemsOf(p.uri))
	_, err := runReported(ctx, newImporter(d, newMemJournal()), r, dir)
	if err == nil || !strings.Contains(err.Error(), "write "+filepath.Join(dir, "import-1-report.csv")+": ") || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("error %v", err)
	}
}

// runReported is Run followed by what internal/cli does with the report:
// the files written into dir (for a run that went to the end; "" writes
// none), then the summary said in the importer's log.
func runReported(ctx context.Context, im *Importer, r Request, dir string) (*Report, error) {
	rep, err := im.Run(ctx, r)
	if rep == nil || rep.Estimate != nil {
		return rep, err
	}
	if dir != "" && !rep.Stopped {
		if ferr := WriteFiles(rep, dir); ferr != nil {
			return rep, ferr
		}
	}
	if im.Log != nil {
		WriteSummary(im.Log, rep)
	}
	return rep, err
}
