package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/browsertest"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/secrets"
)

// serving is `fedimarks serve --addr 127.0.0.1:0` running in the test.
type serving struct {
	url    string // http://127.0.0.1:PORT/
	stderr *lockedBuffer
	stop   func() int // Ctrl-C; returns the exit code
}

// startServe runs serve on home through the test harness (invoke; tweak,
// when set, changes its IO) until the test stops it or ends, and returns
// once serve says its address.
func startServe(t *testing.T, home string, tweak func(*IO)) serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- invoke(ctx, home, "", func(o *IO) {
			if tweak != nil {
				tweak(o)
			}
			o.Stdout, o.Stderr = io.Discard, stderr
		}, "serve", "--addr", "127.0.0.1:0").code
	}()
	stopped := false
	code := 0
	stop := func() int {
		if stopped {
			return code
		}
		stopped = true
		cancel()
		select {
		case code = <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop on cancel")
		}
		return code
	}
	t.Cleanup(func() { stop() })
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if url := addr.FindString(stderr.String()); url != "" {
			return serving{url: url, stderr: stderr, stop: stop}
		}
		select {
		case code = <-done:
			stopped = true
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no address: %q", stderr.String())
	return serving{}
}

// TestAccountsPageBrowser drives the accounts page in a real chromium as
// a person does: it adds two accounts on two fake servers (a Mastodon and
// a GoToSocial) through the real OAuth redirect (the server's
// authorization page in the page's own tab, the answer on serve's own
// port), lists them with their software, last backup and count after a
// backup, downloads an export, installs a schedule with a sync pair (the
// fake system standing in for systemd), signs one out (its token revoked
// on its server and forgotten here), and checks that a form posted from
// another site is refused even with the page's token. It saves
// screenshots at 1280 and 390 px, and checks that the page never scrolls
// sideways at 390.
func TestAccountsPageBrowser(t *testing.T) {
	browsertest.Skip(t)
	e := newSchedEnv(t)
	net := mastodontest.NewNetwork(t)
	ma := net.NewInstance(mastodontest.InstanceOptions{})
	gts := net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial})
	alice, bob := ma.AddAccount("alice"), gts.AddAccount("bob")
	ma.SetAuthorizingUser(alice)
	gts.SetAuthorizingUser(bob)
	var uris []string
	for i := range 3 {
		s := alice.Post(mastodontest.PostOptions{Text: fmt.Sprintf("<p>alice keeps %d</p>", i)})
		alice.Bookmark(s)
		uris = append(uris, s.URI())
	}
	for i := range 2 {
		bob.Bookmark(bob.Post(mastodontest.PostOptions{Text: fmt.Sprintf("<p>bob keeps %d</p>", i)}))
	}
	srv := startServe(t, e.home, e.tweak)
	ctx := browsertest.New(t, 1280, 1000, 2*time.Minute)

	downloads := t.TempDir()
	yes := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: &yes,
		BrowserContextID: chromedp.FromContext(ctx).BrowserContextID}); err != nil {
		t.Fatal(err)
	}
	completed := make(chan string, 4)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			completed <- e.FilePath
		}
	}); err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// add signs in from the page, starting at "/" (an empty archive
	// sends the person to the accounts page).
	add := func(typed, handle string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(srv.url),
			chromedp.WaitVisible(chromedp.CSS(`#instance`)),
			chromedp.SetValue(chromedp.CSS(`#instance`), typed),
			chromedp.Click(chromedp.CSS(`form.add button`)),
		)
		if err == nil {
			wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err = chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(`section.notice`)))
			cancel()
		}
		if err != nil {
			here, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
			t.Fatalf("add %s: %v\nat %s: %s\nserve said: %s", typed, err, here, body, srv.stderr.String())
		}
		if n := text(`section.notice`); !strings.Contains(n, "Logged in as "+handle) || strings.Contains(text(`main`), "Could not") {
			t.Fatalf("after adding %s the page says %q", typed, n)
		}
	}
	add(ma.URL(), alice.Handle())
	// A profile address names the user too.
	add(gts.URL()+"/@bob", bob.Handle())
	if here, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(here, srv.url+"accounts?notice=") {
		t.Errorf("the sign-in ended at %s, want the accounts page of %s", here, srv.url)
	}

	// Each token is kept as login keeps it: a 0600 file, checked with
	// its server.
	store := secrets.NewFileStore(filepath.Join(e.home, "tokens"))
	tokens := map[string]string{}
	for _, acc := range []*mastodontest.Account{alice, bob} {
		tok, err := store.Get(context.Background(), acc.Handle())
		if err != nil || !acc.Instance().TokenValid(tok) {
			t.Fatalf("token of %s: %v (valid %v)", acc.Handle(), err, acc.Instance().TokenValid(tok))
		}
		tokens[acc.Handle()] = tok
	}
	ents, _ := os.ReadDir(filepath.Join(e.home, "tokens"))
	for _, ent := range ents {
		if fi, err := ent.Info(); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("token file %s: mode %v, want 0600", ent.Name(), fi.Mode().Perm())
		}
	}

	// A backup from the terminal while the page is open; the page lists
	// what it did.
	if r := runToolWith(t, nil, e.home, "", e.tweak, "backup", "--all"); r.code != 0 {
		t.Fatalf("backup: %d %s", r.code, r.stderr)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url+"accounts"), chromedp.WaitVisible(chromedp.CSS(`li.acct`))); err != nil {
		t.Fatal(err)
	}
	list := text(`ul.acct-list`)
	for _, want := range []string{"alice", "bob", "mastodon 4.3.0", "gotosocial 0.17.3", "Bookmarks\n3", "Bookmarks\n2", "2026-03-03"} {
		if !strings.Contains(list, want) {
			t.Errorf("the list lacks %q:\n%s", want, list)
		}
	}

	// A schedule with a sync pair, through schedule install and the
	// fake systemd.
	err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`select[name=every]`), "1d"),
		chromedp.SetValue(chromedp.CSS(`input[name=at]`), "03:30"),
		chromedp.SetValue(chromedp.CSS(`select[name=from]`), alice.Handle()),
		chromedp.SetValue(chromedp.CSS(`select[name=to]`), bob.Handle()),
		chromedp.Click(chromedp.CSS(`button[name=install]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.notice`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n := text(`section.notice`); !strings.Contains(n, "Schedule installed") {
		t.Errorf("installing the schedule: %q", n)
	}
	state := text(`pre.state`)
	if !strings.Contains(state, "every 1d, at 03:30") || !strings.Contains(state, "sync --from "+alice.Handle()+" --to "+bob.Handle()) {
		t.Errorf("the schedule shown:\n%s", state)
	}
	if calls := strings.Join(e.sys.Calls(), "\n"); !strings.Contains(calls, "systemctl --user enable --now fedimarks-backup.timer") {
		t.Errorf("systemd was told:\n%s", calls)
	}

	for _, width := range []int64{1280, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(srv.url+"accounts"), chromedp.WaitVisible(chromedp.CSS(`li.acct`))); err != nil {
			t.Fatal(err)
		}
		if sw, cw, err := browsertest.NoSidewaysScroll(ctx); err != nil || sw > cw {
			t.Errorf("at %d px the page scrolls sideways: scrollWidth %d > clientWidth %d (%v)", width, sw, cw, err)
		}
		browsertest.Screenshot(t, ctx, fmt.Sprintf("accounts-%d.png", width))
	}

	// Export alice as csv: a download named after her, her bookmarks in
	// it.
	sel := fmt.Sprintf(`form.export:has(input[value=%q])`, alice.Handle())
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(sel+` select`), "mastodon"),
		chromedp.Click(chromedp.CSS(sel+` button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case path := <-completed:
		if want := "bookmarks-alice-at-127.0.0.1-"; !strings.HasPrefix(filepath.Base(path), want) || filepath.Ext(path) != ".csv" {
			t.Errorf("downloaded %s, want %s...csv", filepath.Base(path), want)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range uris {
			if !strings.Contains(string(b), u) {
				t.Errorf("the export lacks %s:\n%s", u, b)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no download completed")
	}

	// A form of another site posting to the page is refused, even with
	// the page's token (its Origin is not the page's).
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('input[name=token]').value`))
	if err != nil || token == "" {
		t.Fatalf("token: %q %v", token, err)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%saccounts/signout"><input name="token" value="%s"><input name="account" value="%s"><button id="go">Win a prize</button></form>`,
			srv.url, token, alice.Handle())
	}))
	defer evil.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(evil.URL), chromedp.Click(chromedp.CSS(`#go`)), chromedp.WaitVisible(chromedp.CSS(`body > pre`))); err != nil {
		t.Fatal(err)
	}
	if body := text(`body`); !strings.Contains(body, "refused") {
		t.Errorf("a cross-site sign-out answered %q", body)
	}
	if !ma.TokenValid(tokens[alice.Handle()]) {
		t.Error("a cross-site POST revoked alice's token")
	}

	// Sign bob out: the token is revoked on his server and forgotten
	// here; his archived bookmarks stay listed.
	sel = fmt.Sprintf(`details.signout:has(input[value=%q])`, bob.Handle())
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.url+"accounts"),
		chromedp.Click(chromedp.CSS(sel+` summary`)),
		chromedp.Click(chromedp.CSS(sel+` button`)),
		chromedp.WaitVisible(chromedp.CSS(`section.notice`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n := text(`section.notice`); !strings.Contains(n, "Revoked the token of "+bob.Handle()) {
		t.Errorf("signing out bob: %q", n)
	}
	if gts.TokenValid(tokens[bob.Handle()]) {
		t.Error("bob's token is still valid on his server")
	}
	if _, err := store.Get(context.Background(), bob.Handle()); err == nil {
		t.Error("bob's token is still kept here")
	}
	if list := text(`ul.acct-list`); !strings.Contains(list, "bob") || !strings.Contains(list, "signed out") {
		t.Errorf("after signing bob out the list shows:\n%s", list)
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
	for _, tok := range tokens {
		if strings.Contains(srv.stderr.String(), tok) {
			t.Error("serve's output holds a token")
		}
	}
}
