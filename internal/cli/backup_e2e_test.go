package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// world is a fake fediverse: alice on instance A bookmarks posts written on
// A and on a second instance.
type world struct {
	net   *mastodontest.Network
	a, b  *mastodontest.Instance
	alice *mastodontest.Account
	token string
	home  string
}

func newWorld(t *testing.T, quirk mastodontest.Quirk, n int) *world {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	w := &world{net: net, home: newHome(t)}
	w.a = net.NewInstance(mastodontest.InstanceOptions{Quirk: quirk})
	w.b = net.NewInstance(mastodontest.InstanceOptions{})
	w.alice = w.a.AddAccount("alice")
	carol := w.a.AddAccount("carol")
	dave := w.b.AddAccount("dave")
	w.token = w.alice.Token()
	w.bookmark(t, n, carol, dave)
	return w
}

// bookmark makes n posts alternating between authors and has alice
// bookmark each, oldest first.
func (w *world) bookmark(t *testing.T, n int, authors ...*mastodontest.Account) []*mastodontest.Status {
	t.Helper()
	var sts []*mastodontest.Status
	for i := 0; i < n; i++ {
		s := authors[i%len(authors)].Post(mastodontest.PostOptions{
			Text:      fmt.Sprintf("<p>post %d, with \"quotes\", commas &amp; <a href=\"https://example.com/%d\">a link</a></p>", i, i),
			CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
		})
		w.alice.Bookmark(s)
		sts = append(sts, s)
	}
	return sts
}

func (w *world) login(t *testing.T) {
	t.Helper()
	r := mustRun(t, 0, w.home, w.token+"\n", "login", w.a.URL(), "--token-stdin")
	if !strings.Contains(r.stderr, "Logged in as "+w.alice.Handle()) {
		t.Fatalf("login said %q, want it to name %s", r.stderr, w.alice.Handle())
	}
}

func expectedMastodonCSV(uris []string) string {
	if len(uris) == 0 {
		return ""
	}
	return strings.Join(uris, "\n") + "\n"
}

func TestBackupEveryQuirkGetsEachBookmarkOnceInOrder(t *testing.T) {
	for _, q := range []struct {
		name  string
		quirk mastodontest.Quirk
	}{{"mastodon", mastodontest.Mastodon}, {"gotosocial", mastodontest.GoToSocial}, {"pixelfed", mastodontest.Pixelfed}, {"snac", mastodontest.Snac}} {
		t.Run(q.name, func(t *testing.T) {
			w := newWorld(t, q.quirk, 1000)
			w.login(t)
			r := mustRun(t, 0, w.home, "", "backup")
			if !strings.Contains(r.stderr, "1,000 new") {
				t.Errorf("summary %q does not report 1,000 new", r.stderr)
			}
			out := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
			want := w.alice.BookmarkURIs()
			if len(want) != 1000 {
				t.Fatalf("fake server lists %d bookmarks, want 1000", len(want))
			}
			if out != expectedMastodonCSV(want) {
				got := strings.Split(strings.TrimSpace(out), "\n")
				t.Fatalf("export differs: got %d lines, want %d; first got %q want %q", len(got), len(want), got[0], want[0])
			}

			// Nothing new: one request.
			w.a.ResetCounts()
			r = mustRun(t, 0, w.home, "", "backup")
			if n := w.a.Requests("", "/api/"); n != 1 {
				t.Errorf("unchanged backup made %d API requests, want 1", n)
			}
			if !strings.Contains(r.stderr, "0 new") || !strings.Contains(r.stderr, "1 request;") {
				t.Errorf("summary %q should say 0 new and 1 request", r.stderr)
			}
		})
	}
}

func TestBackupGoToSocialShortAndEmptyPages(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	a := net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial, HideEvery: 3})
	alice := a.AddAccount("alice")
	bob := a.AddAccount("bob")
	home := newHome(t)
	for i := 0; i < 200; i++ {
		alice.Bookmark(bob.Post(mastodontest.PostOptions{}))
	}
	mustRun(t, 0, home, alice.Token()+"\n", "login", a.URL(), "--token-stdin")
	mustRun(t, 0, home, "", "backup")
	out := mustRun(t, 0, home, "", "export", "--offline", "--format", "mastodon").stdout
	if want := expectedMastodonCSV(alice.BookmarkURIs()); out != want {
		t.Fatalf("export after short pages:\n got %d lines\nwant %d lines", strings.Count(out, "\n"), strings.Count(want, "\n"))
	}
}

func TestBackupNewBookmarksGoOnTopAndFullRecordsRemovals(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 100)
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	carol := w.a.AddAccount("carol2")
	fresh := w.bookmark(t, 45, carol)
	mustRun(t, 0, w.home, "", "backup")
	out := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if out != expectedMastodonCSV(w.alice.BookmarkURIs()) {
		t.Fatalf("after an incremental backup of 45 new bookmarks the order differs")
	}

	for _, s := range fresh[:10] {
		w.alice.Unbookmark(s)
	}
	r := mustRun(t, 0, w.home, "", "backup", "--full")
	if !strings.Contains(r.stderr, "10 removed") {
		t.Errorf("full backup summary %q should report 10 removed", r.stderr)
	}
	out = mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if out != expectedMastodonCSV(w.alice.BookmarkURIs()) {
		t.Fatalf("after removals the export differs from the server")
	}
	all := mustRun(t, 0, w.home, "", "export", "--offline", "--include-removed", "--format", "mastodon").stdout
	if n := strings.Count(all, "\n"); n != 145 {
		t.Errorf("--include-removed lists %d, want 145 (history kept)", n)
	}
	var acc struct {
		Bookmarks, Removed int
		LastBackup         *time.Time `json:"last_backup"`
	}
	js := mustRun(t, 0, w.home, "", "accounts", "--json").stdout
	if err := json.Unmarshal([]byte(js), &acc); err != nil {
		t.Fatalf("accounts --json: %v: %q", err, js)
	}
	if acc.Bookmarks != 135 || acc.Removed != 10 || acc.LastBackup == nil {
		t.Errorf("accounts --json = %+v, want 135 bookmarks, 10 removed, a last backup", acc)
	}
}

func TestBackupWaitsForRateLimitReset(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 1000)
	w.login(t)
	w.a.SetRateLimit(10, 2*time.Second)
	w.a.ResetCounts()
	// On a fake clock the server's windows and the tool's waits share:
	// a client that did not wait would never see a reset.
	r := newWaitGate(newTestClock(w.net)).at(t, 0, w.home, "", "backup")
	out := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if out != expectedMastodonCSV(w.alice.BookmarkURIs()) {
		t.Fatal("rate-limited backup missed bookmarks")
	}
	// 26 pages; a client that waits for the reset gets at most a 429 at
	// each window's edge from clock skew, never a storm of them.
	if n := w.a.Responses(429); n > 3 {
		t.Errorf("server answered 429 %d times; the client should wait for the reset", n)
	}
	// 26 pages need at least two resets of a 10-request window: a client
	// that did not wait would have met 429s or made more requests.
	if n := w.a.Requests("GET", "/api/v1/bookmarks"); n > 26+3 {
		t.Errorf("%d bookmark requests for 26 pages", n)
	}
	if !strings.Contains(r.stderr, "1,000 new") {
		t.Errorf("summary %q", r.stderr)
	}
}

func TestBackupInterruptedThenResumed(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 400)
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	// 600 more, then interrupt the backup after 5 pages of them.
	carol := w.a.AddAccount("carol2")
	w.bookmark(t, 600, carol)
	w.a.SetLatency(20 * time.Millisecond)
	w.a.ResetCounts()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for w.a.Requests("GET", "/api/v1/bookmarks") < 5 {
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
	}()
	r := runTool(t, ctx, w.home, "", "backup")
	if r.code != ExitInterrupted {
		t.Fatalf("interrupted backup exit %d, want %d: %s", r.code, ExitInterrupted, r.stderr)
	}
	w.a.SetLatency(0)
	// Bookmarks made in between land on top.
	w.bookmark(t, 7, carol)
	r = mustRun(t, 0, w.home, "", "backup")
	if !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("resumed backup summary %q should say it finished an interrupted backup", r.stderr)
	}
	out := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if out != expectedMastodonCSV(w.alice.BookmarkURIs()) {
		got := strings.Split(strings.TrimSpace(out), "\n")
		t.Fatalf("after resume: %d lines, want %d, or order differs", len(got), len(w.alice.BookmarkURIs()))
	}
}

func TestBadTokenExits4(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 3)
	r := mustRun(t, ExitAuth, w.home, "not-a-valid-token-123\n", "login", w.a.URL(), "--token-stdin")
	if !strings.Contains(r.stderr, "log in again") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("bad token message %q: want one line saying to log in again", r.stderr)
	}
	// A token revoked after login.
	w.login(t)
	w.a.RevokeToken(w.token)
	r = mustRun(t, ExitAuth, w.home, "", "backup")
	if !strings.Contains(r.stderr, "log in again: fedimarks login "+w.a.URL()) {
		t.Errorf("revoked token message %q", r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, w.token) {
		t.Error("the token appears in output")
	}
}

func TestPlainHTTPOnlyForLoopback(t *testing.T) {
	home := newHome(t)
	r := mustRun(t, ExitUsage, home, "sometoken1234\n", "login", "http://mastodon.example", "--token-stdin")
	if !strings.Contains(r.stderr, "loopback") || !strings.Contains(r.stderr, "https") {
		t.Errorf("refusal %q should explain http is for loopback only and to use https", r.stderr)
	}
}

func TestTokenFileIsPrivate(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 1)
	w.login(t)
	var files []string
	filepath.WalkDir(w.home, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), w.token) {
				files = append(files, p)
			}
		}
		return nil
	})
	if len(files) != 1 {
		t.Fatalf("token found in %d files (%v), want exactly 1", len(files), files)
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(files[0]))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("token dir mode %v, want 0700", di.Mode().Perm())
	}
}

func TestExportCSVAndJSON(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 5)
	w.login(t)
	csv := mustRun(t, 0, w.home, "", "export", "--format", "csv").stdout
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if lines[0] != "Bookmark URL,Account URL,Created at" || len(lines) != 6 {
		t.Fatalf("csv export:\n%s", csv)
	}
	js := mustRun(t, 0, w.home, "", "export", "--format", "json", "--offline").stdout
	var arr []struct {
		Account string          `json:"account"`
		Status  json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal([]byte(js), &arr); err != nil {
		t.Fatalf("json export does not parse: %v", err)
	}
	if len(arr) != 5 || arr[0].Account != w.alice.Handle() || !strings.Contains(string(arr[0].Status), "fedimarks_test_extra") {
		t.Fatalf("json export lacks the raw status with unknown fields: %s", js[:min(len(js), 400)])
	}
	path := filepath.Join(t.TempDir(), "out.csv")
	mustRun(t, 0, w.home, "", "export", "--format", "mastodon", "--offline", "-o", path)
	b, err := os.ReadFile(path)
	if err != nil || string(b) != expectedMastodonCSV(w.alice.BookmarkURIs()) {
		t.Fatalf("-o file: %v %q", err, b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("-o file: %v, want mode 0600", err)
	}
	mustRun(t, ExitUsage, w.home, "", "export", "--format", "nope", "--offline")
}

func TestBackupServerDownNamesServer(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 3)
	w.login(t)
	w.a.SetDown(true)
	r := mustRun(t, ExitError, w.home, "", "export", "--format", "mastodon")
	// Never backed up: an offline export would have nothing to give.
	if !strings.Contains(r.stderr, w.a.Host()+" did not answer") || !strings.Contains(r.stderr, "nothing of this account is archived yet") || strings.Contains(r.stderr, "export --offline") {
		t.Errorf("server down: %q should name %s and say nothing is archived yet, not point to export --offline", r.stderr, w.a.Host())
	}
	// In plain words: not the client's request, retry count or Go's error.
	for _, raw := range []string{"GET /api", "attempts", "EOF"} {
		if strings.Contains(r.stderr, raw) {
			t.Errorf("server down: %q shows %q", r.stderr, raw)
		}
	}
	if r.stdout != "" {
		t.Errorf("an account never backed up has nothing to export, got %q", r.stdout)
	}
	// Once backed up, the way out is the offline export.
	w.a.SetDown(false)
	mustRun(t, 0, w.home, "", "backup")
	w.a.SetDown(true)
	r = mustRun(t, ExitError, w.home, "", "backup")
	if !strings.Contains(r.stderr, "export --offline") {
		t.Errorf("server down after a backup: %q should point to export --offline", r.stderr)
	}
}

func TestBackupMissingScopeNamesIt(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 3)
	mustRun(t, 0, w.home, w.alice.Token("read:accounts")+"\n", "login", w.a.URL(), "--token-stdin")
	r := mustRun(t, ExitAuth, w.home, "", "backup")
	if !strings.Contains(r.stderr, `lacks the "read:bookmarks" scope`) || !strings.Contains(r.stderr, "fedimarks login "+w.a.URL()) {
		t.Errorf("missing scope message %q", r.stderr)
	}
	// And the next backup with a good token does the work (the failed run
	// saved nothing and must not hide it).
	mustRun(t, 0, w.home, w.alice.Token()+"\n", "login", w.a.URL(), "--token-stdin")
	r = mustRun(t, 0, w.home, "", "backup")
	if !strings.Contains(r.stderr, "3 new") {
		t.Errorf("backup after a new login: %q, want 3 new", r.stderr)
	}
}

func TestSecondBackupOfAnAccountWaitsItsTurn(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 300)
	w.login(t)
	w.a.SetLatency(30 * time.Millisecond)
	first := make(chan run, 1)
	go func() { first <- runTool(t, nil, w.home, "", "backup", "--full") }()
	for w.a.Requests("GET", "/api/v1/bookmarks") < 2 {
		time.Sleep(time.Millisecond)
	}
	second := runTool(t, nil, w.home, "", "export", "--format", "mastodon")
	if second.code != ExitError || !strings.Contains(second.stderr, "has been backing up "+w.alice.Handle()) {
		t.Errorf("second backup: exit %d, %q; want exit 1 naming the running backup", second.code, second.stderr)
	}
	if r := <-first; r.code != 0 {
		t.Fatalf("the first backup failed because of the second: %d %s", r.code, r.stderr)
	}
	w.a.SetLatency(0)
	out := mustRun(t, 0, w.home, "", "export", "--format", "mastodon").stdout
	if out != expectedMastodonCSV(w.alice.BookmarkURIs()) {
		t.Fatal("export after the two backups differs")
	}
}

func TestExportOutputCheckedBeforeBackup(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 3)
	w.login(t)
	w.a.ResetCounts()
	dir := t.TempDir()
	for _, tt := range []struct{ out, want string }{
		{filepath.Join(dir, "nodir", "x.csv"), "directory " + filepath.Join(dir, "nodir") + " does not exist"},
		{dir, "is a directory"},
	} {
		r := mustRun(t, ExitUsage, w.home, "", "export", "--format", "mastodon", "-o", tt.out)
		if !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, ".tmp") {
			t.Errorf("-o %s: %q, want it to say %q and no temporary name", tt.out, r.stderr, tt.want)
		}
	}
	if n := w.a.Requests("", "/api/"); n != 0 {
		t.Errorf("a bad -o still made %d requests", n)
	}
}
