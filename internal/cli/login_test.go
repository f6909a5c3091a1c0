package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/secrets"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in
// different goroutines; onWrite, if set, sees everything written so far.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	onWrite func(all string)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	all, cb := s.b.String(), s.onWrite
	s.mu.Unlock()
	if cb != nil {
		cb(all)
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// loginEnv is a FEDIMARKS_HOME and every output the tool wrote into it,
// so that a test can check no secret ever reached the output.
type loginEnv struct {
	t       *testing.T
	home    string
	mu      sync.Mutex
	outputs []string
}

func newLoginEnv(t *testing.T) *loginEnv {
	return &loginEnv{t: t, home: newHome(t)}
}

// runOpts are the parts of IO a login test varies.
type runOpts struct {
	ctx     context.Context
	stdin   io.Reader
	open    func(string) error
	onError func(all string) // sees stderr as it is written
}

func (e *loginEnv) run(o runOpts, args ...string) run {
	e.t.Helper()
	ctx := o.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	stdin := o.stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	errb := &syncBuffer{onWrite: o.onError}
	r := runToolWith(e.t, ctx, e.home, "", func(io *IO) {
		io.Stdin, io.Stderr, io.OpenBrowser, io.Backoff = stdin, errb, o.open, 0
	}, args...)
	r.stderr = errb.String()
	e.mu.Lock()
	e.outputs = append(e.outputs, r.stdout, r.stderr)
	e.mu.Unlock()
	return r
}

func (e *loginEnv) mustRun(want int, o runOpts, args ...string) run {
	e.t.Helper()
	r := e.run(o, args...)
	if r.code != want {
		e.t.Fatalf("fedimarks %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// token returns the token saved for handle ("" if none).
func (e *loginEnv) token(handle string) string {
	e.t.Helper()
	tok, err := secrets.NewFileStore(filepath.Join(e.home, "tokens")).Get(context.Background(), handle)
	if err != nil {
		return ""
	}
	return tok
}

// tokenFiles lists the files in the token folder.
func (e *loginEnv) tokenFiles() []string {
	e.t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.home, "tokens"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, ent := range ents {
		names = append(names, ent.Name())
	}
	return names
}

// app returns the app kept in the archive for server.
func (e *loginEnv) app(server string) *fedimarks.App {
	e.t.Helper()
	ar := openHomeArchive(e.t, e.home)
	defer ar.Close()
	app, err := ar.App(context.Background(), server)
	if err != nil {
		e.t.Fatal(err)
	}
	return app
}

// accounts returns `fedimarks accounts --json`, one map an account.
func (e *loginEnv) accounts() []map[string]any {
	e.t.Helper()
	r := e.mustRun(0, runOpts{}, "accounts", "--json")
	var accs []map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			e.t.Fatalf("accounts --json: %v\n%s", err, r.stdout)
		}
		if m["signed_in"] == true {
			accs = append(accs, m)
		}
	}
	return accs
}

// checkNoSecrets fails the test if any secret shows in any output.
func (e *loginEnv) checkNoSecrets(secrets ...string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range secrets {
		if len(s) < 8 {
			e.t.Fatalf("checkNoSecrets: %q is not a real secret", s)
		}
		for _, out := range e.outputs {
			if strings.Contains(out, s) {
				e.t.Errorf("a secret appears in the output:\n%s", out)
			}
		}
	}
}

// browser is a stand-in for a person's browser with the person approving:
// it GETs the URL it is asked to open and follows redirects, which reach
// the tool's loopback listener.
type browser struct {
	t      *testing.T
	mu     sync.Mutex
	opened []string
	pages  []string
	// rewrite, if set, may change a redirect before it is followed.
	rewrite func(*url.URL)
	// cookie, if set, is the person's session on the server, sent with
	// the first request.
	cookie *http.Cookie
	// onPage, if set, sees the status of every page shown.
	onPage func(status int)
}

func (b *browser) open(u string) error {
	b.mu.Lock()
	b.opened = append(b.opened, u)
	b.mu.Unlock()
	c := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if b.rewrite != nil {
			b.rewrite(req.URL)
		}
		return nil
	}}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("browser: %w", err)
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("browser: %w", err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	b.mu.Lock()
	b.pages = append(b.pages, fmt.Sprintf("%d %s", resp.StatusCode, page))
	b.mu.Unlock()
	if b.onPage != nil {
		b.onPage(resp.StatusCode)
	}
	return nil // a real opener returns once the browser is told, whatever the page says
}

func (b *browser) urls() []*url.URL {
	b.mu.Lock()
	defer b.mu.Unlock()
	var us []*url.URL
	for _, s := range b.opened {
		u, err := url.Parse(s)
		if err != nil {
			b.t.Fatal(err)
		}
		us = append(us, u)
	}
	return us
}

// noBrowser fails the test if the tool opens a browser.
func noBrowser(t *testing.T) func(string) error {
	return func(u string) error {
		t.Errorf("the tool opened a browser at %s", u)
		return fmt.Errorf("no browser here")
	}
}

func newOAuthServer(t *testing.T, opts mastodontest.InstanceOptions) (*mastodontest.Instance, *mastodontest.Account) {
	t.Helper()
	inst := mastodontest.NewNetwork(t).NewInstance(opts)
	alice := inst.AddAccount("alice")
	inst.SetAuthorizingUser(alice)
	return inst, alice
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLoginLoopback(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       mastodontest.InstanceOptions
		pkce       bool
		identScope string // scope asked for to read the account
	}{
		{"pkce", mastodontest.InstanceOptions{}, true, "profile"},
		{"no metadata", mastodontest.InstanceOptions{NoAuthMetadata: true}, false, "read:accounts"},
		{"metadata without pkce", mastodontest.InstanceOptions{NoPKCE: true}, false, "profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, alice := newOAuthServer(t, tc.opts)
			e := newLoginEnv(t)
			b := &browser{t: t}
			r := e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())

			us := b.urls()
			if len(us) != 1 {
				t.Fatalf("browser opened %d times, want 1", len(us))
			}
			q := us[0].Query()
			if us[0].Path != "/oauth/authorize" || !strings.HasPrefix(us[0].String(), inst.URL()) {
				t.Errorf("opened %s, want the server's /oauth/authorize", us[0])
			}
			redirect, err := url.Parse(q.Get("redirect_uri"))
			if err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" || redirect.Path != "/callback" || redirect.Port() == "" {
				t.Errorf("redirect_uri = %q, want http://127.0.0.1:PORT/callback", q.Get("redirect_uri"))
			}
			if q.Get("state") == "" {
				t.Error("no state in the authorize URL")
			}
			if got := q.Get("code_challenge") != ""; got != tc.pkce {
				t.Errorf("code_challenge sent = %v, want %v", got, tc.pkce)
			}
			if tc.pkce && q.Get("code_challenge_method") != "S256" {
				t.Errorf("code_challenge_method = %q, want S256", q.Get("code_challenge_method"))
			}
			wantScopes := []string{"read:bookmarks", "write:bookmarks", "read:search", tc.identScope}
			if got := strings.Fields(q.Get("scope")); !sameSet(got, wantScopes) {
				t.Errorf("scope = %q, want %q", got, wantScopes)
			}
			if !strings.Contains(r.stderr, us[0].String()) {
				t.Errorf("the authorize URL is not printed on stderr:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("login wrote to stdout: %q", r.stdout)
			}

			tok := e.token(alice.Handle())
			if tok == "" || !inst.TokenValid(tok) {
				t.Fatalf("saved token %v, valid %v", tok != "", inst.TokenValid(tok))
			}
			files := e.tokenFiles()
			if len(files) != 1 {
				t.Fatalf("token files %v, want one", files)
			}
			if m := fileMode(t, filepath.Join(e.home, "tokens", files[0])); m != 0o600 {
				t.Errorf("token file mode %o, want 600", m)
			}
			if m := fileMode(t, filepath.Join(e.home, "tokens")); m != 0o700 {
				t.Errorf("token folder mode %o, want 700", m)
			}
			accs := e.accounts()
			if len(accs) != 1 || accs[0]["account"] != alice.Handle() || accs[0]["server"] != inst.URL() {
				t.Fatalf("accounts = %v, want %s on %s", accs, alice.Handle(), inst.URL())
			}
			if got := toStrings(accs[0]["scopes"]); !sameSet(got, wantScopes) {
				t.Errorf("saved scopes %q, want %q", got, wantScopes)
			}
			if where, _ := accs[0]["token_store"].(string); !strings.HasPrefix(where, filepath.Join(e.home, "tokens")) {
				t.Errorf("token_store = %q, want a file under %s", where, filepath.Join(e.home, "tokens"))
			}
			if !strings.Contains(r.stderr, filepath.Join(e.home, "tokens")) {
				t.Errorf("login does not say where the token went:\n%s", r.stderr)
			}
			if n := inst.AppRegistrations(); n != 1 {
				t.Errorf("%d app registrations, want 1", n)
			}
			app := e.app(inst.URL())
			if app == nil || !strings.Contains(app.RedirectURI, "urn:ietf:wg:oauth:2.0:oob") || !strings.Contains(app.RedirectURI, redirect.String()) {
				t.Errorf("kept app %+v, want both redirect URIs", app)
			}
			e.checkNoSecrets(tok, app.ClientSecret)
		})
	}
}

func TestLoginAgainReusesAppAndRevokesOldToken(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	b := &browser{t: t}
	e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	first := e.token(alice.Handle())

	r := e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	second := e.token(alice.Handle())
	if second == "" || second == first {
		t.Fatal("the second login did not replace the token")
	}
	if n := inst.AppRegistrations(); n != 1 {
		t.Errorf("%d app registrations after two logins, want 1 (the app is kept)", n)
	}
	if inst.TokenValid(first) {
		t.Error("the replaced token is still valid: it was not revoked")
	}
	if !inst.TokenValid(second) {
		t.Error("the new token is not valid")
	}
	if !strings.Contains(r.stderr, "Revoked the previous token") {
		t.Errorf("stderr does not say the old token was revoked:\n%s", r.stderr)
	}
	us := b.urls()
	if len(us) != 2 || us[0].Query().Get("redirect_uri") != us[1].Query().Get("redirect_uri") {
		t.Errorf("the two logins used different redirect URIs: %v", us)
	}
	if us[0].Query().Get("state") == us[1].Query().Get("state") {
		t.Error("the state repeats between logins")
	}
	if accs := e.accounts(); len(accs) != 1 {
		t.Errorf("%d accounts, want 1", len(accs))
	}
	e.checkNoSecrets(first, second, e.app(inst.URL()).ClientSecret)
}

var oobCode = regexp.MustCompile(`class="oauth-code" readonly value="([^"]+)"`)

// pastingPerson reads the tool's stderr as a person would, opens the
// out-of-band authorize URL it prints, and pastes the code on stdin.
type pastingPerson struct {
	t    *testing.T
	once sync.Once
	w    *io.PipeWriter
	url  string
	err  error
	done chan struct{}
}

var printedAuthorizeURL = regexp.MustCompile(`https?://\S+/oauth/authorize\?\S+`)

func newPastingPerson(t *testing.T) (*pastingPerson, io.Reader) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	return &pastingPerson{t: t, w: pw, done: make(chan struct{})}, pr
}

func (p *pastingPerson) watch(stderr string) {
	m := printedAuthorizeURL.FindString(stderr)
	if m == "" || !strings.Contains(stderr, "Code:") {
		return
	}
	p.once.Do(func() {
		p.url = m
		go func() {
			defer close(p.done)
			resp, err := http.Get(m)
			if err != nil {
				p.err = err
				p.w.CloseWithError(err)
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sub := oobCode.FindSubmatch(page)
			if sub == nil {
				p.err = fmt.Errorf("no code on the page (%s): %s", resp.Status, page)
				p.w.Close()
				return
			}
			_, p.err = io.WriteString(p.w, string(sub[1])+"\n")
		}()
	})
}

func TestLoginOutOfBand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		open func(*testing.T) func(string) error
	}{
		{"no-browser flag", []string{"--no-browser"}, noBrowser},
		// No opener given and no display in the environment: nothing can
		// be opened, so the tool falls back to the code by itself.
		{"no display", nil, func(*testing.T) func(string) error { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.args == nil && runtime.GOOS != "linux" {
				t.Skip("the platform's opener needs no display")
			}
			inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
			e := newLoginEnv(t)
			person, stdin := newPastingPerson(t)
			args := append([]string{"login", inst.URL()}, tc.args...)
			r := e.mustRun(0, runOpts{stdin: stdin, open: tc.open(t), onError: person.watch}, args...)
			<-person.done
			if person.err != nil {
				t.Fatal(person.err)
			}
			u, err := url.Parse(person.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Query().Get("redirect_uri"); got != "urn:ietf:wg:oauth:2.0:oob" {
				t.Errorf("redirect_uri = %q, want the out-of-band URI", got)
			}
			if u.Query().Get("code_challenge") == "" {
				t.Error("no PKCE challenge although the server advertises S256")
			}
			tok := e.token(alice.Handle())
			if tok == "" || !inst.TokenValid(tok) {
				t.Fatalf("no valid token saved; stderr:\n%s", r.stderr)
			}
			if accs := e.accounts(); len(accs) != 1 || accs[0]["account"] != alice.Handle() {
				t.Errorf("accounts = %v", accs)
			}
			e.checkNoSecrets(tok, e.app(inst.URL()).ClientSecret)
		})
	}
}

func TestLoginWrongStateRefused(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	b := &browser{t: t, rewrite: func(u *url.URL) {
		if u.Path == "/callback" {
			q := u.Query()
			q.Set("state", "forged-"+q.Get("state"))
			u.RawQuery = q.Encode()
		}
	}}
	r := e.mustRun(ExitAuth, runOpts{open: b.open}, "login", inst.URL())
	if !strings.Contains(r.stderr, "wrong state") || !strings.Contains(r.stderr, "nothing saved") {
		t.Errorf("stderr does not explain the refusal:\n%s", r.stderr)
	}
	if len(b.pages) != 1 || !strings.HasPrefix(b.pages[0], "400 ") {
		t.Errorf("the browser was shown %q, want a 400 page", b.pages)
	}
	if files := e.tokenFiles(); len(files) != 0 {
		t.Errorf("token files saved after a refused login: %v", files)
	}
	if tok := e.token(alice.Handle()); tok != "" {
		t.Error("a token was saved after a refused login")
	}
	if accs := e.accounts(); len(accs) != 0 {
		t.Errorf("accounts saved after a refused login: %v", accs)
	}
}

func TestLoginScopeFallback(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts mastodontest.InstanceOptions
	}{
		// The metadata lists only read/write/follow/push: no need to try.
		{"metadata", mastodontest.InstanceOptions{NoGranularScopes: true}},
		// No metadata: registration with fine-grained scopes gets 422.
		{"no metadata", mastodontest.InstanceOptions{NoGranularScopes: true, NoAuthMetadata: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, alice := newOAuthServer(t, tc.opts)
			e := newLoginEnv(t)
			b := &browser{t: t}
			r := e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
			if !strings.Contains(r.stderr, `"read write"`) {
				t.Errorf("stderr does not say it fell back to read write:\n%s", r.stderr)
			}
			us := b.urls()
			if len(us) != 1 || us[0].Query().Get("scope") != "read write" {
				t.Fatalf("authorize URLs %v, want one with scope \"read write\"", us)
			}
			tok := e.token(alice.Handle())
			if !inst.TokenValid(tok) {
				t.Fatal("no valid token saved")
			}
			accs := e.accounts()
			if len(accs) != 1 || !sameSet(toStrings(accs[0]["scopes"]), []string{"read", "write"}) {
				t.Errorf("accounts = %v, want scopes read write", accs)
			}
			if n := inst.AppRegistrations(); n != 1 {
				t.Errorf("%d app registrations, want 1", n)
			}
			e.checkNoSecrets(tok)
		})
	}
}

func TestLoginRegistersAgainWhenClientUnknown(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	b := &browser{t: t}
	e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	first := e.token(alice.Handle())

	// The server no longer accepts the kept credentials (say its admin
	// reset the app's secret): the token exchange says invalid_client.
	ar := openHomeArchive(t, e.home)
	app, err := ar.App(context.Background(), inst.URL())
	if err != nil || app == nil {
		t.Fatalf("no app kept: %v", err)
	}
	app.ClientSecret = "not-the-secret-any-more"
	if err := ar.SaveApp(context.Background(), *app); err != nil {
		t.Fatal(err)
	}
	ar.Close()

	r := e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	if n := inst.AppRegistrations(); n != 2 {
		t.Errorf("%d app registrations, want 2 (registered again once)", n)
	}
	if !strings.Contains(r.stderr, "registering it again") {
		t.Errorf("stderr does not say the app is registered again:\n%s", r.stderr)
	}
	if len(b.urls()) != 3 {
		t.Errorf("browser opened %d times, want 3 (second login asks twice)", len(b.urls()))
	}
	second := e.token(alice.Handle())
	if !inst.TokenValid(second) || second == first {
		t.Error("no new valid token after registering again")
	}
	e.checkNoSecrets(first, second, e.app(inst.URL()).ClientSecret)
}

func TestLoginCancelled(t *testing.T) {
	inst, _ := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The person presses Ctrl-C instead of approving.
	open := func(string) error { cancel(); return nil }
	e.mustRun(ExitInterrupted, runOpts{ctx: ctx, open: open}, "login", inst.URL())
	if files := e.tokenFiles(); len(files) != 0 {
		t.Errorf("token files after an interrupted login: %v", files)
	}
}

func TestLoginTokenStdinStillWorks(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	tok := alice.Token("read")
	r := e.mustRun(0, runOpts{stdin: strings.NewReader(tok + "\n"), open: noBrowser(t)}, "login", inst.URL(), "--token-stdin")
	if got := e.token(alice.Handle()); got != tok {
		t.Error("the pasted token was not saved")
	}
	if inst.AppRegistrations() != 0 {
		t.Error("--token-stdin registered an app")
	}
	if !strings.Contains(r.stderr, "Logged in as "+alice.Handle()) {
		t.Errorf("stderr: %s", r.stderr)
	}
	e.checkNoSecrets(tok)
}

func TestMissingScopeNamesItAndSaysLogIn(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	// A token that may read the profile but not the bookmarks.
	tok := alice.Token("read:accounts")
	e.mustRun(0, runOpts{stdin: strings.NewReader(tok + "\n")}, "login", inst.URL(), "--token-stdin")
	r := e.mustRun(ExitAuth, runOpts{}, "backup")
	if !strings.Contains(r.stderr, `"read:bookmarks"`) || !strings.Contains(r.stderr, "fedimarks login "+inst.URL()) {
		t.Errorf("the message does not name the scope and the command to run:\n%s", r.stderr)
	}
	e.checkNoSecrets(tok)
}

func TestLacksScope(t *testing.T) {
	for scope, want := range map[string]string{
		"":                               "the access token lacks a scope this needs",
		"read:bookmarks":                 `the access token lacks the "read:bookmarks" scope`,
		"read:bookmarks write:bookmarks": "the access token lacks a scope this needs (it needs read:bookmarks, write:bookmarks)",
	} {
		if got := lacksScope(scope); got != want {
			t.Errorf("lacksScope(%q) = %q, want %q", scope, got, want)
		}
	}
}

// registeredLoopbackPort finds the port of the loopback redirect among
// an app's redirect URIs.
func registeredLoopbackPort(redirectURIs string) (int, bool) {
	for _, r := range strings.Fields(redirectURIs) {
		if u, err := url.Parse(r); err == nil && u.Hostname() == "127.0.0.1" {
			p, err := strconv.Atoi(u.Port())
			return p, err == nil
		}
	}
	return 0, false
}

func TestSystemOpener(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if systemOpener(env(nil), "linux") != nil {
		t.Error("an opener without a display on Linux")
	}
	if systemOpener(env(map[string]string{"BROWSER": "fedimarks-no-such-browser"}), "linux") != nil {
		t.Error("an opener for a $BROWSER that does not exist")
	}
	if _, err := os.Stat("/bin/true"); err == nil {
		if systemOpener(env(map[string]string{"BROWSER": "/bin/true"}), "linux") == nil {
			t.Error("no opener for an existing $BROWSER")
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestReadCode(t *testing.T) {
	ctx := context.Background()
	if code, err := readCode(ctx, strings.NewReader("  abc123 \nrest"), time.Minute); err != nil || code != "abc123" {
		t.Errorf("readCode = %q, %v", code, err)
	}
	if code, err := readCode(ctx, strings.NewReader("abc123"), time.Minute); err != nil || code != "abc123" {
		t.Errorf("readCode without newline = %q, %v", code, err)
	}
	if _, err := readCode(ctx, strings.NewReader(""), time.Minute); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := readCode(ctx, strings.NewReader("two words\n"), time.Minute); err == nil {
		t.Error("a line with a space accepted")
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	if _, err := readCode(ctx, pr, time.Millisecond); err == nil || !strings.Contains(err.Error(), "no code was pasted") {
		t.Errorf("timeout err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := readCode(cctx, pr, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled err = %v", err)
	}
}

func TestLoginFallsBackToCodeWhenLoopbackBusy(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	b := &browser{t: t}
	e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	port, ok := registeredLoopbackPort(e.app(inst.URL()).RedirectURI)
	if !ok {
		t.Fatal("no loopback redirect kept")
	}
	// Something else holds the registered port now.
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Skipf("port %d taken meanwhile: %v", port, err)
	}
	defer ln.Close()

	// The browser shows the out-of-band page; the person pastes its code.
	pr, pw := io.Pipe()
	defer pw.Close()
	paste := func(u string) error {
		if err := b.open(u); err != nil {
			return err
		}
		b.mu.Lock()
		page := b.pages[len(b.pages)-1]
		b.mu.Unlock()
		m := oobCode.FindStringSubmatch(page)
		if m == nil {
			return fmt.Errorf("no code on the page: %s", page)
		}
		go io.WriteString(pw, m[1]+"\n")
		return nil
	}
	r := e.mustRun(0, runOpts{stdin: pr, open: paste}, "login", inst.URL())
	if !strings.Contains(r.stderr, "using a code to paste instead") {
		t.Errorf("stderr does not explain the fallback:\n%s", r.stderr)
	}
	us := b.urls()
	if got := us[len(us)-1].Query().Get("redirect_uri"); got != "urn:ietf:wg:oauth:2.0:oob" {
		t.Errorf("redirect_uri = %q, want out-of-band", got)
	}
	tok := e.token(alice.Handle())
	if !inst.TokenValid(tok) {
		t.Fatal("no valid token after the fallback")
	}
	if n := inst.AppRegistrations(); n != 1 {
		t.Errorf("%d app registrations, want 1: one registration serves both redirects", n)
	}
	e.checkNoSecrets(tok)
}
