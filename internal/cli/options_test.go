package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
	"github.com/fedimarks/fedimarks/internal/web"
)

// Runners tested below Main: each gets its options with fakes (a
// chooser, a clock, buffers for the terminal) and a real temp archive.

// toBuffer is a dataOutFunc writing to b.
func toBuffer(b *bytes.Buffer) dataOutFunc {
	return func() (io.Writer, func() error) { return b, func() error { return nil } }
}

func TestSearchBelowMain(t *testing.T) {
	const me = fedimarks.Handle("me@home.example")
	ch := &fakeChooser{acc: fedimarks.Account{Handle: me}}
	var out, errOut bytes.Buffer
	o := searchOptions{account: "me", query: "plum", limit: 1, archive: tempArchive(t, me, "<p>plum cake</p>", "<p>plum jam</p>", "<p>hills</p>"),
		choose: ch.choose, out: &out, errOut: &errOut}
	if err := runSearch(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	// One of two shown as tab-separated fields, and the cut said.
	if lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); len(lines) != 1 || strings.Count(lines[0], "\t") != 3 || !strings.Contains(lines[0], "plum") {
		t.Errorf("search printed %q, want one tab-separated plum line", out.String())
	}
	if want := "1 of 2 matching bookmarks shown (--limit 0 shows all).\n"; errOut.String() != want {
		t.Errorf("search said %q, want %q", errOut.String(), want)
	}
	if len(ch.queries) != 1 || ch.queries[0] != (accountQuery{name: "me", flag: "--account", need: archived}) {
		t.Errorf("the chooser was asked %+v", ch.queries)
	}
	out.Reset()
	o.json, o.limit = true, 0
	if err := runSearch(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), `"account":"me@home.example"`); n != 2 {
		t.Errorf("search --json printed %d results of me, want 2:\n%s", n, out.String())
	}
}

func TestAccountsAndStatusBelowMain(t *testing.T) {
	ctx := context.Background()
	const me, old = fedimarks.Handle("me@home.example"), fedimarks.Handle("old@far.example")
	archive := tempArchive(t, old, "<p>kept</p>")
	ar, _ := archive(ctx)
	if err := ar.SaveAccount(ctx, fedimarks.Account{Handle: me, ID: "1", Server: "https://home.example", TokenStore: "file"}); err != nil {
		t.Fatal(err)
	}
	s := settings{Context: map[fedimarks.Handle]string{me: "all"}}
	var out, errOut bytes.Buffer
	if err := runAccounts(ctx, accountsOptions{archive: archive, settings: func() settings { return s }, dataOut: toBuffer(&out), errOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "* me@home.example") || !strings.Contains(out.String(), "old@far.example  (logged out)") {
		t.Errorf("accounts listed:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "Every backup keeps threads (backup --context --remember) for: me@home.example (everyone's replies)") ||
		!strings.Contains(errOut.String(), "Logged-out accounts keep their archive") {
		t.Errorf("accounts said:\n%s", errOut.String())
	}

	// accounts use: the chooser decides, the settings keep it.
	ch := &fakeChooser{acc: fedimarks.Account{Handle: me}}
	var saved settings
	errOut.Reset()
	err := runAccountsUse(ctx, accountsUseOptions{name: "me", choose: ch.choose, settings: func() settings { return s },
		saveSettings: func(n settings) error { saved = n; return nil }, errOut: &errOut})
	if err != nil || saved.DefaultAccount != me || saved.Context[me] != "all" {
		t.Errorf("accounts use: %v, saved %+v", err, saved)
	}

	out.Reset()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	st := statusOptions{json: true, archive: archive, settings: func() settings { return s }, now: func() time.Time { return now },
		schedule: func(context.Context, *sqlite.Archive) (scheduleState, error) {
			return scheduleState{Problems: []string{"a fake problem"}}, nil
		},
		dataOut: toBuffer(&out)}
	if err := runStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	var rep statusReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Accounts) != 2 || rep.Accounts[0].Account != me || rep.Accounts[0].Context != "all" || !rep.Accounts[0].SignedIn ||
		rep.Accounts[1].Account != old || rep.Accounts[1].Bookmarks != 1 || rep.Accounts[1].SignedIn ||
		len(rep.Schedule.Problems) != 1 {
		t.Errorf("status --json: %+v", rep)
	}
	out.Reset()
	st.json = false
	if err := runStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Problem: a fake problem") || !strings.Contains(out.String(), "Running now: nothing") {
		t.Errorf("status:\n%s", out.String())
	}
}

func TestExportBelowMain(t *testing.T) {
	ctx := context.Background()
	const me = fedimarks.Handle("me@home.example")
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	lastBackup := time.Date(2026, 12, 1, 9, 0, 0, 0, time.Local)
	refreshed := 0
	o := exportOptions{account: "me", format: "mastodon", visibility: "all",
		archive: tempArchive(t, me, "<p>one</p>", "<p>two</p>"),
		// The server is down: the archive is exported as it was.
		refresh: func(_ context.Context, bo backupOptions) (backupResult, error) {
			refreshed++
			if !bo.refresh || bo.account != "me" {
				t.Errorf("the refresh was asked %+v", bo)
			}
			acc := fedimarks.Account{Handle: me, Server: "https://home.example", LastBackup: lastBackup}
			return backupResult{acc: acc, Account: me}, &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: errors.New("dial tcp: connection refused")}
		},
		paths:   func() (paths, error) { return paths{Media: filepath.Join(dir, "media")}, nil },
		now:     func() time.Time { return lastBackup.Add(50 * time.Hour) },
		dataOut: toBuffer(&out), errOut: &errOut, redact: func(s string) string { return s }, speak: func() {}}
	sum := &exportSummary{Format: o.format}
	if err := runExport(ctx, o, sum); err != nil {
		t.Fatal(err)
	}
	if refreshed != 1 || sum.Bookmarks != 2 || sum.RefreshError == nil || sum.Account != me {
		t.Errorf("export summed up %+v after %d refreshes", sum, refreshed)
	}
	if !strings.Contains(out.String(), "https://far.example/users/bo/statuses/1") || !strings.Contains(out.String(), "https://far.example/users/bo/statuses/2") {
		t.Errorf("export wrote:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "could not refresh the archive") || !strings.Contains(errOut.String(), "(2 days ago)") {
		t.Errorf("export said: %q", errOut.String())
	}

	// Offline, to a file: the chooser picks among the archived accounts.
	ch := &fakeChooser{acc: fedimarks.Account{Handle: me}}
	o.offline, o.choose, o.output, o.format = true, ch.choose, filepath.Join(dir, "b.json"), "json"
	if err := runExport(ctx, o, &exportSummary{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(o.output); err != nil || strings.Count(string(b), "statuses/") < 2 {
		t.Errorf("export -o wrote %q, %v", b, err)
	}
	if refreshed != 1 || len(ch.queries) != 1 || ch.queries[0].need != archived {
		t.Errorf("offline: %d refreshes, chooser asked %+v", refreshed, ch.queries)
	}
}

// fakeBackupDeps are backup's dependencies for a run below Main: the
// account the chooser gives, its token, a real client of the server,
// buffers for the terminal.
func fakeBackupDeps(t *testing.T, acc fedimarks.Account, token string, errOut *bytes.Buffer) backupDeps {
	archive := tempArchive(t, "someone@else.example")
	ch := &fakeChooser{acc: acc}
	home := t.TempDir()
	s := settings{}
	return backupDeps{choose: ch.choose, archive: archive,
		token: func(_ context.Context, h fedimarks.Handle) (string, error) {
			if h != acc.Handle {
				t.Errorf("token of %s asked, want %s", h, acc.Handle)
			}
			return token, nil
		},
		paths:        func() (paths, error) { return paths{Media: filepath.Join(home, "media")}, nil },
		now:          time.Now,
		settings:     func() settings { return s },
		saveSettings: func(n settings) error { s = n; return nil },
		progress: func(label string, total int64, unit string) *ui.Progress {
			return ui.NewProgress(errOut, ui.ProgressOptions{Label: label, Total: total, Unit: unit})
		},
		mastodonClient: func(server, token string, _ waitShower, retries int) *mastodon.Client {
			return mastodon.New(mastodon.Options{Server: server, Token: token, MaxRetries: retries})
		},
		misskeyClient: func(server, token string, _ waitShower) *misskey.Client {
			return misskey.New(misskey.Options{Server: server, Token: token})
		},
		record:   func(_ context.Context, _ fedimarks.Handle, run func() error) error { return run() },
		apiError: func(_ fedimarks.Handle, _ string, err error, _ string) error { return err },
		command:  "backup", errOut: errOut, speak: func() {}, sayError: func(string) {}, redact: func(s string) string { return s }}
}

func TestBackupBelowMain(t *testing.T) {
	ctx := context.Background()
	net := mastodontest.NewNetwork(t)
	inst := net.NewInstance(mastodontest.InstanceOptions{})
	alice, bob := inst.AddAccount("alice"), inst.AddAccount("bob")
	for i := 0; i < 3; i++ {
		alice.Bookmark(bob.Post(mastodontest.PostOptions{}))
	}
	acc := fedimarks.Account{Handle: fedimarks.Handle("alice@" + strings.TrimPrefix(inst.URL(), "http://")), ID: "1", Server: inst.URL()}
	var errOut bytes.Buffer
	o := backupOptions{account: "alice", context: "self", remember: true, backupDeps: fakeBackupDeps(t, acc, alice.Token(), &errOut)}
	ar, _ := o.archive(ctx)
	if err := ar.SaveAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	res, err := runBackup(ctx, o)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	if res.Account != acc.Handle || res.New != 3 || res.Archived != 3 || res.Threads == nil || o.settings().Context[acc.Handle] != "self" {
		t.Errorf("backup: %+v, settings %+v", res, o.settings())
	}
	if !strings.Contains(errOut.String(), string(acc.Handle)+": 3 new, 0 unchanged, 0 removed") {
		t.Errorf("backup said:\n%s", errOut.String())
	}
	if n, err := ar.Counts(ctx, acc.Handle); err != nil || n.Active != 3 {
		t.Errorf("the archive holds %+v, %v", n, err)
	}

	// The token refused: the runner's error says so (through apiError).
	o.token = func(context.Context, fedimarks.Handle) (string, error) { return "revoked", nil }
	o.remember = false
	_, err = runBackup(ctx, o)
	if k := fedimarks.ErrorKind(err); k != fedimarks.KindAuth {
		t.Errorf("backup with a refused token: %v (kind %q), want an auth error", err, k)
	}
	var re *fedimarks.RemoteError
	if !errors.As(err, &re) {
		t.Errorf("backup with a refused token: %T, want the client's RemoteError", err)
	}
}

// fakePageJobs are page jobs that were never started.
type fakePageJobs struct {
	web.Jobs
	waited bool
}

func (j *fakePageJobs) Wait() { j.waited = true }

func TestServeBelowMain(t *testing.T) {
	const me = fedimarks.Handle("me@home.example")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs := &fakePageJobs{}
	var errOut bytes.Buffer
	var page string
	o := serveOptions{addr: "127.0.0.1:0", open: true, archive: tempArchive(t, me, "<p>the quokka smiles</p>"),
		paths: func() (paths, error) { return paths{Media: t.TempDir()}, nil },
		services: func(context.Context, *sqlite.Archive) (web.AccountService, pageJobs, error) {
			return nil, jobs, nil
		},
		// The browser (a process of its own) reads the page, then the
		// person stops the server.
		browser: func() func(string) error {
			return func(url string) error {
				go func() {
					defer cancel()
					resp, err := http.Get(url + "?q=quokka")
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					page = string(b)
				}()
				return nil
			}
		},
		errOut: &errOut}
	if err := runServe(ctx, o); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if !strings.Contains(page, "quokka") || !jobs.waited || !strings.Contains(errOut.String(), "Serving the archive at http://127.0.0.1:") {
		t.Errorf("serve: page %d bytes holding quokka %v, jobs waited for %v, said %q", len(page), strings.Contains(page, "quokka"), jobs.waited, errOut.String())
	}
}
