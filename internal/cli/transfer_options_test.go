package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// fakeReach reaches the fake servers of a test without an app: tokens
// from a map, plain clients with short retry pauses, progress displays
// and every line on errOut. apiError only wraps.
func fakeReach(t *testing.T, errOut io.Writer, tokens map[fedimarks.Handle]string) reach {
	t.Helper()
	return reach{
		token: func(_ context.Context, h fedimarks.Handle) (string, error) {
			if tok, ok := tokens[h]; ok {
				return tok, nil
			}
			return "", fmt.Errorf("no token for %s", h)
		},
		client: func(server, token string, _ waitShower) *mastodon.Client {
			return mastodon.New(mastodon.Options{Server: server, Token: token, Backoff: time.Millisecond})
		},
		misskey: nil, // a Mastodon destination only
		progress: func(label string, total int64, unit string) *ui.Progress {
			return ui.NewProgress(errOut, ui.ProgressOptions{Label: label, Total: total, Unit: unit})
		},
		display:  func(o ui.ProgressOptions) *ui.Progress { return ui.NewProgress(errOut, o) },
		apiError: func(h fedimarks.Handle, _ string, err error, _ string) error { return fmt.Errorf("%s: %w", h, err) },
		now:      time.Now,
		errOut:   errOut,
	}
}

// belowMain is a destination bob on B, posts on A that a file lists:
// one B can find (new), one bob has bookmarked already, one deleted on
// A before the run; a real archive in a temp file.
type belowMain struct {
	f                  *fediverse
	bob                fedimarks.Account
	fresh, had, gone   *mastodontest.Status
	file               string
	archive            archiveFunc
	tokens             map[fedimarks.Handle]string
	noPaths            pathsFunc
	noHold             func() func()
	errOut             bytes.Buffer
	freshURI, goneURI  string
	hadURI, reportsDir string
}

func newBelowMain(t *testing.T) *belowMain {
	t.Helper()
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	b := &belowMain{f: f, reportsDir: t.TempDir()}
	b.fresh, b.had, b.gone = carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{}), carol.Post(mastodontest.PostOptions{})
	b.freshURI, b.hadURI, b.goneURI = b.fresh.URI(), b.had.URI(), b.gone.URI()
	f.bob.Bookmark(b.had)
	b.gone.Delete()
	b.file = filepath.Join(t.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(b.file, []byte(b.goneURI+"\n"+b.hadURI+"\n"+b.freshURI+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.bob = fedimarks.Account{Handle: fedimarks.Handle(f.bob.Handle()), Server: f.b.URL()}
	b.tokens = map[fedimarks.Handle]string{b.bob.Handle: f.bob.Token()}
	ar, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ar.Close() })
	b.archive = func(context.Context) (*sqlite.Archive, error) { return ar, nil }
	b.noPaths = func() (paths, error) { return paths{}, errors.New("no state directory below Main") }
	b.noHold = func() func() { return func() {} }
	return b
}

// TestImportBelowMain runs runImport without Main or an app: a fake
// chooser, the real engine against fake servers, a real temp archive.
// Each row ends with its true outcome, on bob's server, in the summary,
// the report and the lines on standard error.
func TestImportBelowMain(t *testing.T) {
	ctx := context.Background()
	b := newBelowMain(t)
	ch := &fakeChooser{acc: b.bob}
	var jobs []int64
	o := importOptions{files: []string{b.file}, to: "bob", yes: true, reportDir: b.reportsDir,
		choose: ch.choose, paths: b.noPaths, holdRows: b.noHold,
		transferDeps: transferDeps{reach: fakeReach(t, &b.errOut, b.tokens), archive: b.archive, cmd: "import",
			stdin: strings.NewReader(""),
			origin: func() (transfer.Origin, time.Duration) {
				return objectOrigin{&mastodon.ObjectFetcher{UserAgent: "fedimarks-test"}}, time.Millisecond
			},
			onJob: func(id int64) { jobs = append(jobs, id) }},
	}
	sum := &importSummary{}
	err := runImport(ctx, o, sum)

	var fe *fedimarks.Error
	if !errors.As(err, &fe) || fe.Code != fedimarks.EPartial {
		t.Fatalf("runImport: %v, want a partial result (one post is gone)\n%s", err, b.errOut.String())
	}
	if want := (accountQuery{name: "bob", flag: "--to"}); !slices.Equal(ch.queries, []accountQuery{want}) {
		t.Errorf("the chooser was asked %v, want once %v", ch.queries, want)
	}
	if fe.Hint == "" || !strings.Contains(fe.Hint, "--to "+string(b.bob.Handle)) {
		t.Errorf("hint %q does not name the command to rerun", fe.Hint)
	}
	for outcome, n := range map[string]int{"imported": 1, "already": 1, "not_found": 1, "failed": 0, "unreachable": 0} {
		if sum.Outcomes[outcome] != n {
			t.Errorf("summary: %d %s, want %d (%v)", sum.Outcomes[outcome], outcome, n, sum.Outcomes)
		}
	}
	if sum.Account != b.bob.Handle || sum.Rows != 3 || sum.ImportedNow != 1 || sum.Job == 0 || len(sum.Files) != 2 {
		t.Fatalf("summary %+v", *sum)
	}
	if !slices.Equal(jobs, []int64{sum.Job}) {
		t.Errorf("onJob heard %v, want [%d]", jobs, sum.Job)
	}
	if got := b.f.bob.BookmarkURIs(); !slices.Contains(got, b.freshURI) || slices.Contains(got, b.goneURI) || len(got) != 2 {
		t.Errorf("bob's bookmarks after the import: %v", got)
	}
	report, err := os.ReadFile(sum.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{b.freshURI + ",imported", b.hadURI + ",already", b.goneURI + ",not_found"} {
		if !strings.Contains(string(report), row) {
			t.Errorf("report lacks %q:\n%s", row, report)
		}
	}
	if !strings.Contains(b.errOut.String(), "to "+b.f.b.Host()) || !strings.Contains(b.errOut.String(), "bookmarks.csv: 3 rows") {
		t.Errorf("standard error lacks the file's rows or the requests line:\n%s", b.errOut.String())
	}
}

// TestVerifyBelowMain runs runVerify without Main or an app: the file's
// posts that bob has not bookmarked are listed on the data writer, and
// the summary counts them.
func TestVerifyBelowMain(t *testing.T) {
	ctx := context.Background()
	b := newBelowMain(t)
	ch := &fakeChooser{acc: b.bob}
	var out bytes.Buffer
	o := verifyOptions{files: []string{b.file}, to: "bob",
		choose: ch.choose, archive: b.archive, holdRows: b.noHold, cmd: "verify",
		source:  sourceBackup{backup: func(context.Context, backupOptions) (backupResult, error) { panic("no backup of files") }},
		reach:   fakeReach(t, &b.errOut, b.tokens),
		dataOut: func() (io.Writer, func() error) { return &out, func() error { return nil } },
	}
	sum := &verifySummary{}
	err := runVerify(ctx, o, sum)

	var fe *fedimarks.Error
	if !errors.As(err, &fe) || fe.Code != fedimarks.EPartial || !strings.Contains(fe.Message, "2 posts are missing on "+string(b.bob.Handle)) {
		t.Fatalf("runVerify: %v, want 2 posts missing\n%s", err, b.errOut.String())
	}
	if want := (accountQuery{name: "bob", flag: "--to"}); !slices.Equal(ch.queries, []accountQuery{want}) {
		t.Errorf("the chooser was asked %v, want once %v", ch.queries, want)
	}
	// Newest first, as Mastodon's bookmarks.csv lists them (the file's
	// first line is its newest bookmark).
	if want := b.goneURI + "\n" + b.freshURI + "\n"; out.String() != want {
		t.Errorf("missing posts:\n%s\nwant:\n%s", out.String(), want)
	}
	if want := map[string]int{"present": 1, "missing": 2, "unknown": 0, "duplicate": 0, "invalid": 0}; fmt.Sprint(sum.Outcomes) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", sum.Outcomes, want)
	}
	if sum.Account != b.bob.Handle || sum.Rows != 3 || sum.DestinationBookmarks != 1 {
		t.Errorf("summary %+v", *sum)
	}
	if !strings.Contains(b.errOut.String(), string(b.bob.Handle)+": 1 bookmarked; of 3 source rows 1 present, 2 missing") {
		t.Errorf("standard error lacks the counts:\n%s", b.errOut.String())
	}
}
