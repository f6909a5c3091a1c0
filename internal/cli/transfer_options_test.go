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
	"github.com/fedimarks/fedimarks/internal/remote"
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
			return mastodon.New(mastodon.Options{Server: server, Token: token, Options: remote.Options{Backoff: time.Millisecond}})
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

// transferDeps are the engine's dependencies below Main for command cmd:
// the fake servers reached as fakeReach does, the temp archive, no
// terminal to answer a question, posts' own servers asked directly.
func (b *belowMain) transferDeps(t *testing.T, cmd string) transferDeps {
	return transferDeps{reach: fakeReach(t, &b.errOut, b.tokens), archive: b.archive, cmd: cmd, stdin: strings.NewReader(""),
		origin: func() (transfer.Origin, time.Duration) {
			return objectOrigin{&mastodon.ObjectFetcher{UserAgent: "fedimarks-test"}}, time.Millisecond
		}}
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
		transferDeps: b.transferDeps(t, "import"),
	}
	o.onJob = func(id int64) { jobs = append(jobs, id) }
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

// accountsChooser is a chooser over accs: q.name is an account's user
// name. It keeps the queries it was asked.
type accountsChooser struct {
	accs    []fedimarks.Account
	queries []accountQuery
}

func (c *accountsChooser) choose(_ context.Context, q accountQuery) (fedimarks.Account, error) {
	c.queries = append(c.queries, q)
	for _, acc := range c.accs {
		if acc.Handle.User() == q.name {
			return acc, nil
		}
	}
	return fedimarks.Account{}, usageError("no account %q", q.name)
}

// walkBackup is a backupFunc without the app: a full walk of the
// account's bookmarks on its server, saved in ar as one page. It keeps
// the accounts it backed up.
func walkBackup(t *testing.T, ar *sqlite.Archive, accs []fedimarks.Account, tokens map[fedimarks.Handle]string, done *[]fedimarks.Handle) backupFunc {
	return func(ctx context.Context, bo backupOptions) (backupResult, error) {
		h := fedimarks.Handle(bo.account)
		i := slices.IndexFunc(accs, func(a fedimarks.Account) bool { return a.Handle == h })
		if i < 0 {
			t.Fatalf("backup of %s, not an account of the test", h)
		}
		*done = append(*done, h)
		c := mastodon.New(mastodon.Options{Server: accs[i].Server, Token: tokens[h], Options: remote.Options{Backoff: time.Millisecond}})
		var sts []fedimarks.Status
		if err := c.WalkBookmarks(ctx, func(p mastodon.Page) error { sts = append(sts, p.Statuses...); return nil }); err != nil {
			return backupResult{}, err
		}
		run, err := ar.StartRun(ctx, h, true, time.Now())
		if err != nil {
			return backupResult{}, err
		}
		if err := ar.SavePage(ctx, run, sts, "", time.Now()); err != nil {
			return backupResult{}, err
		}
		removed, err := ar.FinishRun(ctx, run, time.Now())
		return backupResult{Account: h, Archived: len(sts), Removed: removed, Full: true}, err
	}
}

// TestMigrateAndSyncBelowMain runs runMigrate and a sync check without
// Main or an app: a chooser over the test's accounts, the source's backup
// a walk of its server into a real temp archive. alice's bookmarks land
// on bob (migrate), then carol's on dave (sync), each counted and said.
func TestMigrateAndSyncBelowMain(t *testing.T) {
	ctx := context.Background()
	b := newBelowMain(t)
	f := b.f
	carolOnA, dave := f.a.AddAccount("carol2"), f.b.AddAccount("dave")
	var want []string
	for range 3 {
		s := carolOnA.Post(mastodontest.PostOptions{})
		f.alice.Bookmark(s)
		carolOnA.Bookmark(s)
		want = append(want, s.URI())
	}
	alice := fedimarks.Account{Handle: fedimarks.Handle(f.alice.Handle()), Server: f.a.URL()}
	carol := fedimarks.Account{Handle: fedimarks.Handle(carolOnA.Handle()), Server: f.a.URL()}
	daveAcc := fedimarks.Account{Handle: fedimarks.Handle(dave.Handle()), Server: f.b.URL()}
	accs := []fedimarks.Account{alice, b.bob, carol, daveAcc}
	b.tokens[alice.Handle], b.tokens[carol.Handle], b.tokens[daveAcc.Handle] = f.alice.Token(), carolOnA.Token(), dave.Token()
	ar, _ := b.archive(ctx)
	var backedUp []fedimarks.Handle
	ch := &accountsChooser{accs: accs}
	deps := b.transferDeps(t, "migrate")

	// migrate --from alice --to bob
	sum := &migrateSummary{}
	err := runMigrate(ctx, migrateOptions{pairOptions: pairOptions{from: "alice", to: "bob", reportDir: b.reportsDir, yes: true},
		choose: ch.choose, paths: b.noPaths, holdRows: b.noHold, transferDeps: deps,
		source: sourceBackup{backup: walkBackup(t, ar, accs, b.tokens, &backedUp), redact: func(s string) string { return s }}}, sum)
	if err != nil {
		t.Fatalf("runMigrate: %v\n%s", err, b.errOut.String())
	}
	wantQ := []accountQuery{{name: "bob", flag: "--to"}, {name: "alice", flag: "--from"}}
	if !slices.Equal(ch.queries, wantQ) {
		t.Errorf("the chooser was asked %v, want %v", ch.queries, wantQ)
	}
	if !slices.Equal(backedUp, []fedimarks.Handle{alice.Handle}) || sum.Backup == nil || sum.Backup.Archived != 3 {
		t.Errorf("backed up %v before the migrate (summary %+v), want alice's 3 bookmarks", backedUp, sum.Backup)
	}
	if sum.Source != alice.Handle || sum.Account != b.bob.Handle || sum.Outcomes["imported"] != 3 || sum.Rows != 3 {
		t.Errorf("migrate summary %+v", sum.importSummary)
	}
	// Oldest first: bob lists them in alice's order.
	if got := f.bob.BookmarkURIs(); !slices.Equal(got[:3], reversed(want)) {
		t.Errorf("bob's bookmarks %v, want alice's %v first", got, reversed(want))
	}

	// sync --from carol2 --to dave --json: both backed up, 3 added.
	var events bytes.Buffer
	b.errOut.Reset()
	backedUp, ch.queries = nil, nil
	deps.cmd = "sync"
	so := syncOptions{pairOptions: pairOptions{from: "carol2", to: "dave", yes: true}, json: true, every: time.Minute,
		choose: ch.choose, paths: b.noPaths, backup: walkBackup(t, ar, accs, b.tokens, &backedUp),
		events: newSyncEventLog(&events, time.Now, func(s string) string { return s }), redact: func(s string) string { return s },
		transferDeps: deps}
	s, err := newSyncer(ctx, so)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cycle(ctx); err != nil {
		t.Fatalf("sync: %v\n%s", err, b.errOut.String())
	}
	if want := "sync " + string(carol.Handle) + " to " + string(daveAcc.Handle) + ": 3 bookmarks added, 0 bookmarks removed, 0 rows failed"; !strings.Contains(b.errOut.String(), want) {
		t.Errorf("sync did not say %q:\n%s", want, b.errOut.String())
	}
	if got := reversed(dave.BookmarkURIs()); !slices.Equal(got, want) {
		t.Errorf("dave's bookmarks, oldest first: %v, want %v", got, want)
	}
	// carol and dave before the pair, dave again once sync wrote there.
	if wantB := []fedimarks.Handle{carol.Handle, daveAcc.Handle, daveAcc.Handle}; !slices.Equal(backedUp, wantB) {
		t.Errorf("sync backed up %v, want %v", backedUp, wantB)
	}
	if added := eventURIs(syncEvents(t, events.String()), "added"); !slices.Equal(added, want) {
		t.Errorf("added events %v, want %v", added, want)
	}
}
