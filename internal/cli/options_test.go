package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/remote"
	"github.com/fedimarks/fedimarks/internal/schedule"
	"github.com/fedimarks/fedimarks/internal/secrets"
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
			return mastodon.New(mastodon.Options{Server: server, Token: token, Options: remote.Options{MaxRetries: retries}})
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

func TestScheduleBelowMain(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "USER": "me"}
	sys := newFakeSystem()
	sys.unitDir = filepath.Join(home, "config", "systemd", "user")
	prog := filepath.Join(home, "bin", "fedimarks")
	if err := os.MkdirAll(filepath.Dir(prog), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	deps := scheduleDeps{runner: sys, getenv: func(k string) string { return env[k] },
		executable: func() (string, error) { return prog, nil },
		paths: func() (paths, error) {
			return paths{Config: filepath.Join(home, "state"), Data: filepath.Join(home, "state")}, nil
		},
		logPath: func() (string, error) { return filepath.Join(home, "state", "logs", "schedule.log"), nil },
		archive: tempArchive(t, "me@home.example"),
		now:     func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) },
		dataOut: toBuffer(&out), errOut: &errOut}
	// The pair is named by parts of the handles: the chooser says whose.
	ch := &fakeChooser{acc: fedimarks.Account{Handle: "me@new.example"}}
	o := scheduleOptions{every: 12 * time.Hour, at: 3 * time.Hour, atSet: true, target: schedule.Systemd,
		syncs: [][2]fedimarks.Handle{{"me@old.example", "me@new.example"}}, choose: ch.choose, scheduleDeps: deps}
	if err := runInstall(ctx, o); err != nil {
		t.Fatalf("install: %v\n%s", err, errOut.String())
	}
	service, err := os.ReadFile(filepath.Join(sys.unitDir, schedule.Name+".service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(service), prog+" backup --all --quiet") || !strings.Contains(string(service), "sync --from me@new.example --to me@new.example") {
		t.Errorf("the service runs:\n%s", service)
	}
	if len(ch.queries) != 2 || ch.queries[0].flag != "--from" || ch.queries[1].need != signedIn {
		t.Errorf("the chooser was asked %+v", ch.queries)
	}
	if !slices.ContainsFunc(sys.Calls(), func(c string) bool { return strings.HasPrefix(c, "systemctl --user enable --now") }) ||
		!strings.Contains(errOut.String(), "Installed a systemd user timer") {
		t.Errorf("install ran %q and said:\n%s", sys.Calls(), errOut.String())
	}
	st, err := deps.state(ctx, nil)
	if err != nil || !st.Installed || st.Every != "12h" || st.Times != "at 03:00 and 15:00" || len(st.Problems) != 0 {
		t.Errorf("state after install: %+v, %v", st, err)
	}

	errOut.Reset()
	if err := runScheduleRemove(ctx, deps); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(sys.unitDir, schedule.Name+".service")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("remove left the service: %v", err)
	}
	if st, _ := deps.state(ctx, nil); st.Installed {
		t.Errorf("state after remove: %+v", st)
	}
}

func TestDemoBelowMain(t *testing.T) {
	var out bytes.Buffer
	var ran []string
	home := filepath.Join(t.TempDir(), "sandbox")
	// A fake Main: each step's command line and environment are seen;
	// the backup fails.
	main := func(_ context.Context, args []string, stdio IO) int {
		ran = append(ran, args[0])
		if stdio.Getenv("FEDIMARKS_HOME") != home || stdio.Getenv("FEDIMARKS_KEYRING") != "off" || stdio.Getenv("LANG") != "C" {
			t.Errorf("fedimarks %s runs with FEDIMARKS_HOME=%q FEDIMARKS_KEYRING=%q LANG=%q", args[0],
				stdio.Getenv("FEDIMARKS_HOME"), stdio.Getenv("FEDIMARKS_KEYRING"), stdio.Getenv("LANG"))
		}
		if args[0] == "backup" {
			fmt.Fprintln(stdio.Stderr, "the server is down")
			return ExitError
		}
		return ExitOK
	}
	o := demoOptions{home: home, addr: "127.0.0.1:0", output: filepath.Join(t.TempDir(), "b.html"),
		getenv: func(k string) string { return map[string]string{"LANG": "C", "FEDIMARKS_HOME": "/not/here"}[k] },
		now:    time.Now, main: main, out: &out}
	err := runDemo(context.Background(), o)
	if err == nil || err.Error() != "demo step 4 (fedimarks backup) exited with 1: see its output above" {
		t.Errorf("demo with a failing backup: %v", err)
	}
	if want := []string{"login", "login", "accounts", "backup"}; !slices.Equal(ran, want) {
		t.Errorf("demo ran %q, want %q", ran, want)
	}
	if !strings.Contains(out.String(), "fedimarks demo: three fake servers") || !strings.Contains(out.String(), "    the server is down\n(exit 1)\n") {
		t.Errorf("demo said:\n%s", out.String())
	}
}

func TestLogoutBelowMain(t *testing.T) {
	ctx := context.Background()
	acc := fedimarks.Account{Handle: "me@home.example", ID: "1", Server: "https://home.example", Software: "mastodon 4.3.0"}
	for _, tc := range []struct {
		name      string
		revokeErr error
		wantCode  string // of runLogout's error, "" for none
		wantSaid  string
	}{
		{"revoked", nil, "", "Revoked the token of me@home.example on home.example and forgot the account here"},
		{"not ours", fmt.Errorf("%w: 403", errNotOurToken), "", "fedimarks did not issue this token, so it cannot revoke it"},
		{"down", &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: errors.New("dial tcp: connection refused")},
			fedimarks.EUnavailable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			archive := tempArchive(t, acc.Handle, "<p>kept</p>")
			ar, _ := archive(ctx)
			if err := ar.SaveAccount(ctx, acc); err != nil {
				t.Fatal(err)
			}
			st := secrets.NewFileStore(t.TempDir())
			if err := st.Set(ctx, string(acc.Handle), "the-token-123"); err != nil {
				t.Fatal(err)
			}
			ch := &fakeChooser{acc: acc}
			var revoked []string
			var errOut bytes.Buffer
			o := logoutOptions{account: "me", choose: ch.choose, archive: archive, remember: func(string) {},
				secrets: func(context.Context) (secrets.Store, error) { return st, nil },
				revoke: func(_ context.Context, server, token string, _ ...fedimarks.App) error {
					revoked = append(revoked, server+" "+token)
					return tc.revokeErr
				},
				errOut: &errOut}
			err := runLogout(ctx, o)
			if fedimarks.ErrorCode(err) != tc.wantCode && !(err == nil && tc.wantCode == "") {
				t.Errorf("logout: %v, want code %q", err, tc.wantCode)
			}
			if !strings.Contains(errOut.String(), tc.wantSaid) {
				t.Errorf("logout said %q, want %q", errOut.String(), tc.wantSaid)
			}
			if !slices.Equal(revoked, []string{"https://home.example the-token-123"}) {
				t.Errorf("revoked %q", revoked)
			}
			// Forgotten here whatever the server said; the bookmarks stay.
			if _, err := st.Get(ctx, string(acc.Handle)); err == nil {
				t.Error("the token is still saved")
			}
			if accs, _ := ar.Accounts(ctx); len(accs) != 0 {
				t.Errorf("the account is still saved: %+v", accs)
			}
			if n, _ := ar.Counts(ctx, acc.Handle); n.Active != 1 {
				t.Errorf("the archive holds %d bookmarks of the account, want 1", n.Active)
			}
		})
	}
}

func TestLoginBelowMain(t *testing.T) {
	ctx := context.Background()
	net := mastodontest.NewNetwork(t)
	inst := net.NewInstance(mastodontest.InstanceOptions{})
	alice := inst.AddAccount("alice")
	host := strings.TrimPrefix(inst.URL(), "http://")
	st := secrets.NewFileStore(t.TempDir())
	var errOut bytes.Buffer
	var revoked []string
	detected := 0
	deps := loginDeps{archive: tempArchive(t, "someone@else.example"), remember: func(string) {}, redact: func(s string) string { return s },
		secrets: func(context.Context) (secrets.Store, error) { return st, nil },
		detect: func(_ context.Context, server string) (fedimarks.Family, string, error) {
			detected++
			return fedimarks.FamilyMastodon, "mastodon 4.3.0", nil
		},
		client: func(server, token string) *mastodon.Client {
			return mastodon.New(mastodon.Options{Server: server, Token: token, Options: remote.Options{MaxRetries: -1}})
		},
		apiError: func(_ fedimarks.Handle, _ string, err error, _ string) error { return err },
		revoke: func(_ context.Context, server, token string, _ ...fedimarks.App) error {
			revoked = append(revoked, token)
			return nil
		},
		errOut: &errOut}
	login := func(instance, token string) error {
		o := loginOptions{tokenStdin: true, loginDeps: deps}
		o.instance, o.user = loginTarget(instance)
		o.stdin = strings.NewReader(token + "\n")
		return runLogin(ctx, o)
	}
	first, second := alice.Token(), alice.Token()
	if err := login(inst.URL(), first); err != nil {
		t.Fatal(err)
	}
	h := fedimarks.Handle("alice@" + host)
	if tok, err := st.Get(ctx, string(h)); err != nil || tok != first {
		t.Errorf("the token kept is %q, %v", tok, err)
	}
	ar, _ := deps.archive(ctx)
	if acc, err := ar.Account(ctx, h); err != nil || acc.Server != inst.URL() {
		t.Errorf("the account saved: %+v, %v", acc, err)
	}
	// Signing in again (named as bob, but the token is alice's) replaces
	// the token: the old one is revoked, and the person told who it is.
	errOut.Reset()
	if err := login(inst.URL()+"/@bob", second); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(revoked, []string{first}) || detected != 2 {
		t.Errorf("revoked %q after %d detections", revoked, detected)
	}
	for _, want := range []string{"Logged in as " + string(h), "Revoked the previous token of " + string(h), "Note: that is not bob@" + host} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("login said %q, want %q", errOut.String(), want)
		}
	}
	// A token the server does not know is refused; nothing is saved.
	errOut.Reset()
	if err := login(inst.URL(), "not-a-token-at-all"); fedimarks.ErrorKind(err) != fedimarks.KindAuth {
		t.Errorf("login with an unknown token: %v", err)
	}
	if tok, _ := st.Get(ctx, string(h)); tok != second {
		t.Errorf("the token kept after a refused login is %q, want the second", tok)
	}
}
