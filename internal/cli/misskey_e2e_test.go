package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// mkWorld is a Misskey instance where alice favorites notes of its own
// users and posts of a Mastodon instance.
type mkWorld struct {
	net        *mastodontest.Network
	mk, ms     *mastodontest.Instance
	alice      *mastodontest.Account
	carol, bob *mastodontest.Account
	home       string
	// want is what the archive should list, newest first: the URIs of
	// alice's favorites, a pure renote's being the renoted post's.
	want []string
}

func newMkWorld(t *testing.T) *mkWorld {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	w := &mkWorld{net: net, home: newHome(t)}
	w.mk = net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Misskey})
	w.ms = net.NewInstance(mastodontest.InstanceOptions{})
	w.alice = w.mk.AddAccount("alice")
	w.carol = w.mk.AddAccount("carol")
	w.bob = w.ms.AddAccount("bob")
	return w
}

// favorite has alice favorite s; orig is what the archive keeps (s, or
// the post s renotes).
func (w *mkWorld) favorite(s, orig *mastodontest.Status) {
	w.alice.Favorite(s)
	w.want = slices.DeleteFunc(w.want, func(u string) bool { return u == orig.URI() })
	w.want = append([]string{orig.URI()}, w.want...)
}

// quirks makes n favorites, a fifth each of: Mastodon posts with an image,
// local notes with a content warning, pure renotes of Mastodon posts,
// local notes with files and MFM over several lines, plain Mastodon posts.
// It returns the notes and posts made, oldest first.
func (w *mkWorld) quirks(t *testing.T, n int) []*mastodontest.Status {
	t.Helper()
	var made []*mastodontest.Status
	for k := range n {
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(k) * time.Minute)
		var s, orig *mastodontest.Status
		switch k % 5 {
		case 0:
			s = w.bob.Post(mastodontest.PostOptions{CreatedAt: at, Text: fmt.Sprintf("<p>bob's photo %d</p>", k),
				Media: []mastodontest.MediaOptions{{Size: 300, Description: fmt.Sprintf("photo %d", k)}}})
		case 1:
			s = w.carol.Post(mastodontest.PostOptions{CreatedAt: at, Text: fmt.Sprintf("the ending of film %d", k), SpoilerText: "spoilers ahead"})
		case 2:
			orig = w.bob.Post(mastodontest.PostOptions{CreatedAt: at, Text: fmt.Sprintf("<p>renoted post %d</p>", k)})
			s = w.carol.Post(mastodontest.PostOptions{CreatedAt: at, Reblog: orig})
		case 3:
			s = w.carol.Post(mastodontest.PostOptions{CreatedAt: at, Text: fmt.Sprintf("**quokka** %d\n$[x2 big] <b>not html</b>", k),
				Media: []mastodontest.MediaOptions{{Type: "video", Size: 200}}})
		case 4:
			s = w.bob.Post(mastodontest.PostOptions{CreatedAt: at})
		}
		if orig == nil {
			orig = s
		}
		w.favorite(s, orig)
		made = append(made, s)
	}
	return made
}

func (w *mkWorld) login(t *testing.T) {
	t.Helper()
	r := mustRun(t, 0, w.home, w.alice.Token()+"\n", "login", w.mk.URL(), "--token-stdin")
	if !strings.Contains(r.stderr, "Logged in as "+w.alice.Handle()+" on misskey 2024.11.0 (Misskey API)") {
		t.Fatalf("login said %q", r.stderr)
	}
}

// drop removes uri from what the archive should list.
func (w *mkWorld) drop(uri string) {
	w.want = slices.DeleteFunc(w.want, func(u string) bool { return u == uri })
}

func TestMisskeyBackupOfFavoritesWithQuirks(t *testing.T) {
	w := newMkWorld(t)
	made := w.quirks(t, 500)
	// Ten notes deleted before the first backup: their favorites are gone.
	for k := 4; k < 50; k += 5 {
		made[k].Delete()
		w.drop(made[k].URI())
	}
	w.login(t)
	r := mustRun(t, 0, w.home, "", "backup")
	if !strings.Contains(r.stderr, "490 new") {
		t.Errorf("backup said %q, want 490 new", r.stderr)
	}
	csv := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if csv != expectedMastodonCSV(w.want) {
		got := strings.Split(strings.TrimSpace(csv), "\n")
		t.Fatalf("export has %d rows, want %d; first %q want %q", len(got), len(w.want), got[0], w.want[0])
	}

	// The JSON export holds the notes as statuses: the CW as the spoiler,
	// MFM as text, files as media, renotes as the renoted post, and the
	// server's own JSON.
	var doc []struct {
		Status struct {
			URI         string `json:"uri"`
			SpoilerText string `json:"spoiler_text"`
			Content     string `json:"content"`
			Media       []struct {
				Type string `json:"type"`
				URL  string `json:"url"`
			} `json:"media_attachments"`
			Account struct {
				Acct string `json:"acct"`
			} `json:"account"`
		} `json:"status"`
	}
	js := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "json").stdout
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("json export: %v\n%.500s", err, js)
	}
	byURI := map[string]int{}
	for k, b := range doc {
		byURI[b.Status.URI] = k
	}
	cw, mfm, renote, photo := doc[byURI[made[1].URI()]].Status, doc[byURI[made[3].URI()]].Status, made[2], doc[byURI[made[0].URI()]].Status
	if cw.SpoilerText != "spoilers ahead" || !strings.Contains(cw.Content, "the ending of film 1") || cw.Account.Acct != "carol" {
		t.Errorf("note with a CW: %+v", cw)
	}
	if !strings.Contains(mfm.Content, "**quokka** 3<br>$[x2 big] &lt;b&gt;not html&lt;/b&gt;") || len(mfm.Media) != 1 || mfm.Media[0].Type != "video" {
		t.Errorf("MFM note: %+v", mfm)
	}
	if len(photo.Media) != 1 || photo.Media[0].URL != made[0].MediaURLs()[0] || photo.Account.Acct != w.bob.Handle() {
		t.Errorf("Mastodon post with a photo: %+v", photo)
	}
	if _, ok := byURI[renote.URI()]; ok {
		t.Errorf("the renote's own URI %s is archived; the renoted post's should be", renote.URI())
	}
	if !strings.Contains(js, `"misskey_favorite"`) || !strings.Contains(js, `"fedimarks_test_extra"`) {
		t.Error("the json export lost the server's own JSON")
	}

	// Every format exports the notes.
	dir := t.TempDir()
	for _, f := range formats.Names() {
		out := filepath.Join(dir, "export."+f)
		r := runTool(t, nil, w.home, "", "export", "--offline", "--format", f, "-o", out)
		if r.code != 0 {
			out = filepath.Join(dir, f) + string(filepath.Separator)
			r = runTool(t, nil, w.home, "", "export", "--offline", "--format", f, "-o", out)
		}
		if r.code != 0 {
			t.Errorf("export --format %s: exit %d: %s", f, r.code, r.stderr)
			continue
		}
		if size := treeSize(t, out); size < 490*20 {
			t.Errorf("export --format %s wrote %d bytes for 490 notes", f, size)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "export.html"))
	if err == nil && !strings.Contains(string(html), "<details") {
		t.Error("the html export does not collapse content warnings")
	}

	// Search finds MFM text.
	if r := mustRun(t, 0, w.home, "", "search", "quokka", "--json"); strings.Count(r.stdout, "\n") != 100 {
		t.Errorf("search quokka found %d notes, want 100", strings.Count(r.stdout, "\n"))
	}

	// The web page shows notes as posts: the CW collapsed, MFM as text.
	page := servedPage(t, w.home, "")
	if !strings.Contains(page, "Content warning:") || !strings.Contains(page, "spoilers ahead") ||
		!strings.Contains(page, "**quokka** 498") || !strings.Contains(page, "&lt;b&gt;not html&lt;/b&gt;") {
		t.Errorf("served page: %.2000s", page)
	}

	// Nothing new: one request.
	w.mk.ResetCounts()
	r = mustRun(t, 0, w.home, "", "backup")
	if n := w.mk.Requests("", "/api/"); n != 1 || !strings.Contains(r.stderr, "0 new") {
		t.Errorf("unchanged backup: %d API requests, said %q", n, r.stderr)
	}

	// New favorites on top, found incrementally.
	fresh := w.bob.Post(mastodontest.PostOptions{})
	w.favorite(fresh, fresh)
	r = mustRun(t, 0, w.home, "", "backup")
	if !strings.Contains(r.stderr, "1 new") {
		t.Errorf("incremental backup said %q", r.stderr)
	}

	// --full records removals: three unfavorited, two deleted.
	for _, k := range []int{10, 11, 13} {
		w.alice.Unfavorite(made[k])
		w.drop(made[k].URI())
	}
	for _, k := range []int{20, 21} {
		made[k].Delete()
		w.drop(made[k].URI())
	}
	r = mustRun(t, 0, w.home, "", "backup", "--full")
	if !strings.Contains(r.stderr, "5 removed") {
		t.Errorf("full backup said %q, want 5 removed", r.stderr)
	}
	csv = mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if csv != expectedMastodonCSV(w.want) {
		t.Fatalf("export after --full differs: %d rows, want %d", strings.Count(csv, "\n"), len(w.want))
	}

	// accounts says what the server runs.
	acc := mustRun(t, 0, w.home, "", "accounts", "--json").stdout
	if !strings.Contains(acc, `"software":"misskey 2024.11.0"`) || !strings.Contains(acc, `"family":"misskey"`) {
		t.Errorf("accounts --json: %s", acc)
	}
	if table := mustRun(t, 0, w.home, "", "accounts").stdout; !strings.Contains(table, "misskey 2024.11.0 (Misskey API)") {
		t.Errorf("accounts: %s", table)
	}
}

// treeSize is the size of a file, or of the files under a directory.
func treeSize(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	filepath.Walk(path, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func TestMisskeyBackupPacedByRateLimitLosesNothing(t *testing.T) {
	w := newMkWorld(t)
	w.quirks(t, 450)
	w.login(t)
	clock := clocktest.New(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	sleep := func(ctx context.Context, d time.Duration) error { clock.Advance(d); return ctx.Err() }
	w.net.SetClock(clock.Now)
	// Sharkey-like: two pages a minute.
	w.mk.SetEndpointLimit("i/favorites", 2, time.Minute)
	r := runToolWith(t, nil, w.home, "", func(o *IO) { o.Now, o.Sleep = clock.Now, sleep }, "backup")
	if r.code != 0 || !strings.Contains(r.stderr, "450 new") {
		t.Fatalf("rate-limited backup: exit %d: %s", r.code, r.stderr)
	}
	csv := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout
	if csv != expectedMastodonCSV(w.want) {
		t.Fatalf("rate-limited backup lost rows: %d, want %d", strings.Count(csv, "\n"), len(w.want))
	}
	// 5 pages and the empty one: 429 at the 3rd and the 5th, each waited
	// out as Retry-After says (60 s of fake time), not retried at once.
	if n := w.mk.Responses(429); n != 2 {
		t.Errorf("%d answers 429, want 2", n)
	}
	if n := w.mk.Requests("POST", "/api/i/favorites"); n != 8 {
		t.Errorf("%d favorites requests, want 8 (6 pages, 2 refused)", n)
	}
	if waited := clock.Now().Sub(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)); waited < 2*time.Minute || waited > 3*time.Minute {
		t.Errorf("waited %s of fake time", waited)
	}
}

// syncBuf is a buffer written by the tool and read by the test's person.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// enterPresser is a person at the terminal: at each line asked for, they
// first open the MiAuth address the tool printed in a browser (approving
// it there), then press Enter.
type enterPresser struct {
	t      *testing.T
	stderr *syncBuf
	max    int
	n      int
}

var miauthURL = regexp.MustCompile(`http://\S+/miauth/\S+`)

func (p *enterPresser) Read(b []byte) (int, error) {
	if p.n >= p.max {
		return 0, io.EOF
	}
	p.n++
	u := miauthURL.FindString(p.stderr.String())
	if u == "" {
		p.t.Errorf("no MiAuth address printed before the prompt: %q", p.stderr.String())
		return 0, io.EOF
	}
	if resp, err := http.Get(u); err == nil {
		resp.Body.Close()
	}
	b[0] = '\n'
	return 1, nil
}

func TestMisskeyLoginMiAuth(t *testing.T) {
	w := newMkWorld(t)
	w.mk.SetAuthorizingUser(w.alice)
	var opened []string
	browser := func(u string) error {
		opened = append(opened, u)
		resp, err := http.Get(u) // a browser: follows the page's redirect to the callback
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	r := runToolWith(t, nil, w.home, "", func(o *IO) { o.OpenBrowser = browser }, "login", w.mk.URL())
	if r.code != 0 || !strings.Contains(r.stderr, "Logged in as "+w.alice.Handle()+" on misskey 2024.11.0 (Misskey API) with permissions read:favorites write:favorites read:account") {
		t.Fatalf("browser login: exit %d: %s", r.code, r.stderr)
	}
	if len(opened) != 1 || !strings.Contains(opened[0], "/miauth/") || !strings.Contains(opened[0], "callback=http%3A%2F%2F127.0.0.1%3A") {
		t.Errorf("opened %v", opened)
	}
	if n, perms := w.mk.MiAuthSessions(); n != 1 || !slices.Equal(perms, []string{"read:favorites", "write:favorites", "read:account"}) {
		t.Errorf("MiAuth sessions %d, permissions %v", n, perms)
	}
	tok := savedToken(t, w.home, w.alice.Handle())
	if !w.mk.TokenValid(tok) || strings.Contains(r.stderr+r.stdout, tok) {
		t.Errorf("token saved %q: valid %v, or shown in output", tok, w.mk.TokenValid(tok))
	}
	// The token backs up; files are media: a Mastodon post's image and a
	// note's video (original and preview each), and the two avatars.
	w.quirks(t, 5)
	if r := mustRun(t, 0, w.home, "", "backup", "--media"); !strings.Contains(r.stderr, "5 new") ||
		!strings.Contains(r.stderr, "media: 6 files") || !strings.Contains(r.stderr, "0 failed") {
		t.Errorf("backup --media with the MiAuth token: %s", r.stderr)
	}

	// Logging in again replaces the token, which Misskey lets only its web
	// page revoke; so does logout, which says where.
	r = runToolWith(t, nil, w.home, "", func(o *IO) { o.OpenBrowser = browser }, "login", w.mk.URL())
	if r.code != 0 || !strings.Contains(r.stderr, "Misskey lets only its web page revoke it: revoke fedimarks at "+w.mk.URL()+"/settings/apps") {
		t.Errorf("second login: exit %d: %s", r.code, r.stderr)
	}
	r = mustRun(t, 0, w.home, "", "logout", w.alice.Handle())
	if !strings.Contains(r.stderr, "Forgot "+w.alice.Handle()) || !strings.Contains(r.stderr, "Misskey lets only its own web page revoke") {
		t.Errorf("logout: %s", r.stderr)
	}

	// Without a browser: the person opens the address and presses Enter.
	home := newHome(t)
	stderr := &syncBuf{}
	person := &enterPresser{t: t, stderr: stderr, max: 1}
	r = runToolWith(t, nil, home, "", func(o *IO) { o.Stdin, o.Stderr = person, stderr }, "login", w.mk.URL(), "--no-browser")
	r.stderr = stderr.String()
	if r.code != 0 || !strings.Contains(r.stderr, "Logged in as "+w.alice.Handle()) || !strings.Contains(r.stderr, "press Enter") {
		t.Fatalf("paste login: exit %d: %s", r.code, r.stderr)
	}
	if tok2 := savedToken(t, home, w.alice.Handle()); tok2 == "" || tok2 == tok || !w.mk.TokenValid(tok2) {
		t.Errorf("paste login saved %q", tok2)
	}

	// Denied: three presses of Enter, then a clear refusal (exit 4).
	w.mk.SetMiAuthDenied(true)
	home = newHome(t)
	stderr = &syncBuf{}
	person = &enterPresser{t: t, stderr: stderr, max: 5}
	r = runToolWith(t, nil, home, "", func(o *IO) { o.Stdin, o.Stderr = person, stderr }, "login", w.mk.URL(), "--no-browser")
	if r.code != ExitAuth || person.n != 3 || !strings.Contains(stderr.String(), "does not say fedimarks was approved") {
		t.Errorf("denied login: exit %d after %d presses: %s", r.code, person.n, stderr.String())
	}
}

// savedToken is the token the tool keeps for handle ("" if none).
func savedToken(t *testing.T, home, handle string) string {
	t.Helper()
	e := &loginEnv{t: t, home: home}
	return e.token(handle)
}

func TestMisskeyBackupInterruptedThenResumed(t *testing.T) {
	w := newMkWorld(t)
	w.quirks(t, 100)
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	w.quirks(t, 450)
	w.mk.SetLatency(20 * time.Millisecond)
	w.mk.ResetCounts()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for w.mk.Requests("POST", "/api/i/favorites") < 3 {
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
	}()
	if r := runTool(t, ctx, w.home, "", "backup"); r.code != ExitInterrupted {
		t.Fatalf("interrupted backup: exit %d: %s", r.code, r.stderr)
	}
	w.mk.SetLatency(0)
	w.quirks(t, 7) // made in between: on top
	r := mustRun(t, 0, w.home, "", "backup")
	if !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("resumed backup said %q", r.stderr)
	}
	if csv := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout; csv != expectedMastodonCSV(w.want) {
		t.Fatalf("after resume: %d rows, want %d, or out of order", strings.Count(csv, "\n"), len(w.want))
	}

	// A revoked token: log in again (exit 4), the token never shown.
	tok := savedToken(t, w.home, w.alice.Handle())
	w.mk.RevokeToken(tok)
	r = mustRun(t, ExitAuth, w.home, "", "backup")
	if !strings.Contains(r.stderr, "log in again: fedimarks login "+w.mk.URL()) || strings.Contains(r.stderr, tok) {
		t.Errorf("revoked token: %s", r.stderr)
	}
	// A token without read:favorites: the permission is named.
	mustRun(t, 0, w.home, w.alice.Token("read:account")+"\n", "login", w.mk.URL(), "--token-stdin")
	r = mustRun(t, ExitAuth, w.home, "", "backup")
	if !strings.Contains(r.stderr, `lacks the "read:favorites" scope`) {
		t.Errorf("missing permission: %s", r.stderr)
	}
}

// servedPage runs serve on home's archive and returns the page at query.
func servedPage(t *testing.T, home, query string) string {
	t.Helper()
	srv := startServe(t, home, nil)
	defer srv.stop()
	resp, err := http.Get(srv.url + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// Without NodeInfo, Misskey is known by its /api/meta (Mastodon's
// /api/v1/instance answers UNKNOWN_API_ENDPOINT there); an export that
// backs up first reads the favorites too.
func TestMisskeyLoginWithoutNodeinfo(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	mk := net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Misskey, NoNodeinfo: true, Version: "2025.1.0"})
	alice, carol := mk.AddAccount("alice"), mk.AddAccount("carol")
	note := carol.Post(mastodontest.PostOptions{Text: "hello"})
	alice.Favorite(note)
	home := newHome(t)
	r := mustRun(t, 0, home, alice.Token()+"\n", "login", mk.URL(), "--token-stdin")
	if !strings.Contains(r.stderr, "on misskey 2025.1.0 (Misskey API)") || mk.Requests("POST", "/api/meta") != 1 {
		t.Errorf("login said %q after %d meta calls", r.stderr, mk.Requests("POST", "/api/meta"))
	}
	if out := mustRun(t, 0, home, "", "export", "--format", "mastodon").stdout; out != note.URI()+"\n" {
		t.Errorf("export: %q", out)
	}
}

// A followers-only note favorited while alice followed its author is
// listed hidden (no text) once she unfollows: the archive keeps the copy
// it made when she could see it.
func TestMisskeyHiddenNoteKeepsArchivedCopy(t *testing.T) {
	w := newMkWorld(t)
	w.alice.Follow(w.carol)
	secret := w.carol.Post(mastodontest.PostOptions{Text: "for followers: the wombat", Visibility: "private"})
	w.favorite(secret, secret)
	w.login(t)
	mustRun(t, 0, w.home, "", "backup")
	w.alice.Unfollow(w.carol)
	mustRun(t, 0, w.home, "", "backup", "--full")
	js := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "json").stdout
	if !strings.Contains(js, "the wombat") || strings.Contains(js, `"fedimarks_hidden"`) {
		t.Errorf("the hidden note's archived copy changed: %s", js)
	}
	// A note hidden from the first backup on is kept with what is known.
	other := w.carol.Post(mastodontest.PostOptions{Text: "never seen", Visibility: "private"})
	w.favorite(other, other)
	mustRun(t, 0, w.home, "", "backup")
	if csv := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout; csv != expectedMastodonCSV(w.want) {
		t.Errorf("export: %q", csv)
	}
}
