package oauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// person is the one signing in, as a test plays them (a Prompter): their
// browser follows the address it is asked to open, approving at once, and
// they paste the code the out-of-band page shows.
type person struct {
	t *testing.T
	// noBrowser: no browser can be opened here.
	noBrowser bool
	// openErr, if set, is what opening a browser fails with.
	openErr error
	// rewrite, if set, may change a redirect before the browser follows it.
	rewrite func(*url.URL)
	// idle: the browser opens but the person never approves.
	idle bool
	// paste, if set, is what the person pastes instead of the page's code.
	paste string

	mu      sync.Mutex
	said    []string
	opened  []string
	pages   []string // status and body of every page the browser showed
	prompts []string
}

func (p *person) Say(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.said = append(p.said, line)
}

func (p *person) CanOpenBrowser() bool { return !p.noBrowser }

func (p *person) OpenBrowser(u string) error {
	p.mu.Lock()
	p.opened = append(p.opened, u)
	p.mu.Unlock()
	if p.noBrowser {
		p.t.Errorf("a browser was opened at %s, though none can be here", u)
	}
	if p.openErr != nil || p.idle {
		return p.openErr
	}
	_, err := p.browse(u)
	return err
}

// browse GETs u as a browser, following redirects, and returns the page.
func (p *person) browse(u string) (string, error) {
	c := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if p.rewrite != nil {
			p.rewrite(req.URL)
		}
		return nil
	}}
	resp, err := c.Get(u)
	if err != nil {
		return "", fmt.Errorf("browser: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	page := fmt.Sprintf("%d %s", resp.StatusCode, body)
	p.mu.Lock()
	p.pages = append(p.pages, page)
	p.mu.Unlock()
	return page, nil
}

var oobCode = regexp.MustCompile(`class="oauth-code" readonly value="([^"]+)"`)

// ReadCode opens the last address said, as the person would, and pastes
// the code its page shows.
func (p *person) ReadCode(ctx context.Context, prompt string) (string, error) {
	p.mu.Lock()
	p.prompts = append(p.prompts, prompt)
	p.mu.Unlock()
	if p.paste != "" {
		return p.paste, nil
	}
	u := p.saidURL()
	page, err := p.browse(u)
	if err != nil {
		return "", err
	}
	m := oobCode.FindStringSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("no code on the page of %s: %s", u, page)
	}
	return m[1], ctx.Err()
}

// saidURL is the last address the person was shown.
func (p *person) saidURL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.said) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(p.said[i]); strings.HasPrefix(s, "http") {
			return s
		}
	}
	p.t.Fatal("no address was said")
	return ""
}

func (p *person) heard(part string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.said {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

func (p *person) transcript() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.said, "\n")
}

// memApps is an AppStore in memory.
type memApps struct {
	mu   sync.Mutex
	apps map[string]fedimarks.App
}

func (m *memApps) App(_ context.Context, server string) (*fedimarks.App, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if app, ok := m.apps[server]; ok {
		return &app, nil
	}
	return nil, nil
}

func (m *memApps) SaveApp(_ context.Context, app fedimarks.App) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.apps == nil {
		m.apps = map[string]fedimarks.App{}
	}
	m.apps[app.Server] = app
	return nil
}

func (m *memApps) DeleteApp(_ context.Context, server string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.apps, server)
	return nil
}

// flowEnv is a Mastodon flow against a fake server, with the secrets it
// told.
type flowEnv struct {
	inst    *mastodontest.Instance
	alice   *mastodontest.Account
	apps    *memApps
	flow    *Mastodon
	mu      sync.Mutex
	secrets []string
}

func newFlowEnv(t *testing.T, opts mastodontest.InstanceOptions) *flowEnv {
	t.Helper()
	inst := mastodontest.NewNetwork(t).NewInstance(opts)
	e := &flowEnv{inst: inst, alice: inst.AddAccount("alice"), apps: &memApps{}}
	inst.SetAuthorizingUser(e.alice)
	e.flow = &Mastodon{
		Server: inst.URL(),
		Client: func(token string) *mastodon.Client {
			return mastodon.New(mastodon.Options{Server: inst.URL(), Token: token, Options: remote.Options{Backoff: time.Millisecond}})
		},
		Apps: e.apps,
		OnSecret: func(s string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.secrets = append(e.secrets, s)
		},
	}
	return e
}

// signIn runs the flow with p and checks that nothing it said held a
// secret it told.
func (e *flowEnv) signIn(t *testing.T, p *person) (Result, error) {
	t.Helper()
	res, err := e.flow.SignIn(context.Background(), p)
	e.mu.Lock()
	defer e.mu.Unlock()
	said := p.transcript()
	for _, s := range e.secrets {
		if strings.Contains(said, s) {
			t.Errorf("a secret was said:\n%s", said)
		}
	}
	if res.Token != "" && !e.told(res.Token) {
		t.Error("the token was not told to OnSecret")
	}
	return res, err
}

func (e *flowEnv) told(s string) bool {
	for _, v := range e.secrets {
		if v == s {
			return true
		}
	}
	return false
}

// kept is the app kept for the server.
func (e *flowEnv) kept(t *testing.T) fedimarks.App {
	t.Helper()
	app, _ := e.apps.App(context.Background(), e.inst.URL())
	if app == nil {
		t.Fatal("no app kept")
	}
	return *app
}

func query(t *testing.T, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}
