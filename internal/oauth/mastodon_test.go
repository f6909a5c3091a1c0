package oauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

func TestSignInThroughLoopback(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       mastodontest.InstanceOptions
		pkce       bool
		identScope string
	}{
		{"pkce", mastodontest.InstanceOptions{}, true, "profile"},
		{"no metadata", mastodontest.InstanceOptions{NoAuthMetadata: true}, false, "read:accounts"},
		{"metadata without pkce", mastodontest.InstanceOptions{NoPKCE: true}, false, "profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, tc.opts)
			p := &person{t: t}
			res, err := e.signIn(t, p)
			if err != nil {
				t.Fatalf("SignIn: %v\n%s", err, p.transcript())
			}
			if !e.inst.TokenValid(res.Token) {
				t.Error("the token is not valid")
			}
			want := []string{"read:bookmarks", "write:bookmarks", "read:search", tc.identScope}
			acc := res.Account
			if string(acc.Handle) != e.alice.Handle() || acc.Server != e.inst.URL() || acc.ID == "" || !slices.Equal(acc.Scopes, want) || acc.Software == "" {
				t.Errorf("account %+v, want %s on %s with scopes %q", acc, e.alice.Handle(), e.inst.URL(), want)
			}
			if len(p.opened) != 1 || len(p.prompts) != 0 {
				t.Fatalf("opened %q and prompted %q, want one page opened and no prompt", p.opened, p.prompts)
			}
			q := query(t, p.opened[0])
			if q.Get("state") == "" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
				t.Errorf("authorize query %v, want a state and the loopback redirect", q)
			}
			if got := q.Get("code_challenge") != ""; got != tc.pkce {
				t.Errorf("code_challenge sent = %v, want %v", got, tc.pkce)
			}
			if !p.heard(p.opened[0]) || !p.heard("Waiting up to 5m00s") {
				t.Errorf("the address or the wait was not said:\n%s", p.transcript())
			}
			if app := e.kept(t); !strings.Contains(app.RedirectURI, q.Get("redirect_uri")) || !strings.Contains(app.RedirectURI, oobRedirect) {
				t.Errorf("kept app redirects %q, want the loopback and the out-of-band one", app.RedirectURI)
			}
			if !e.told(e.kept(t).ClientSecret) || len(e.secrets) < 3 {
				t.Errorf("told %d secrets, want the client secret, the code and the token", len(e.secrets))
			}
			if len(res.Forgotten) != 0 {
				t.Errorf("forgotten apps %v on a first sign-in", res.Forgotten)
			}
		})
	}
}

// The loopback receiver takes only an answer for this sign-in; any other
// answer ends it with what failed, for cli to say what to do.
func TestSignInBrowserAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(q url.Values)
		kind   error
		text   string
	}{
		{"forged state", func(q url.Values) { q.Set("state", "forged-"+q.Get("state")) }, ErrWrongState, "wrong state"},
		{"no state", func(q url.Values) { q.Del("state") }, ErrWrongState, "nothing saved"},
		{"denied", func(q url.Values) {
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("error_description", "no thanks")
		}, ErrDenied, "access_denied: no thanks"},
		{"no code", func(q url.Values) { q.Del("code") }, ErrNoCode, "no authorization code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, mastodontest.InstanceOptions{})
			p := &person{t: t, rewrite: func(u *url.URL) {
				if u.Path == callbackPath {
					q := u.Query()
					tc.change(q)
					u.RawQuery = q.Encode()
				}
			}}
			res, err := e.signIn(t, p)
			if !errors.Is(err, tc.kind) || fedimarks.ErrorCode(err) != fedimarks.EAuth || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("SignIn err = %v, want %v (EAuth) saying %q", err, tc.kind, tc.text)
			}
			if res.Token != "" {
				t.Error("a token came with the error")
			}
			if len(p.pages) != 1 {
				t.Errorf("the browser showed %d pages, want 1", len(p.pages))
			}
		})
	}
}

func TestSignInPastedCode(t *testing.T) {
	busy := func(t *testing.T, e *flowEnv) {
		// A first sign-in registers the app; then something else holds
		// its loopback port.
		if _, err := e.signIn(t, &person{t: t}); err != nil {
			t.Fatal(err)
		}
		port, _ := registeredLoopbackPort(e.kept(t).RedirectURI)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Skipf("port %d taken meanwhile: %v", port, err)
		}
		t.Cleanup(func() { ln.Close() })
	}
	for _, tc := range []struct {
		name      string
		paste     bool // Mastodon.PasteCode
		noBrowser bool
		openErr   error
		before    func(*testing.T, *flowEnv)
		says      string
		opened    int // pages the flow opened in the browser
	}{
		{"asked to", true, false, nil, nil, "", 0},
		{"no browser here", false, true, nil, nil, "No browser can be opened here", 0},
		{"browser fails", false, false, errors.New("boom"), nil, "Could not open a browser (boom)", 1},
		{"loopback port busy", false, false, nil, busy, "Cannot receive the answer on 127.0.0.1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, mastodontest.InstanceOptions{})
			if tc.before != nil {
				tc.before(t, e)
			}
			e.flow.PasteCode = tc.paste
			p := &person{t: t, noBrowser: tc.noBrowser, openErr: tc.openErr}
			res, err := e.signIn(t, p)
			if err != nil {
				t.Fatalf("SignIn: %v\n%s", err, p.transcript())
			}
			if !e.inst.TokenValid(res.Token) || string(res.Account.Handle) != e.alice.Handle() {
				t.Errorf("result %s, valid %v", res.Account.Handle, e.inst.TokenValid(res.Token))
			}
			if !slices.Equal(p.prompts, []string{"Code: "}) {
				t.Errorf("prompts %q, want one for the code", p.prompts)
			}
			q := query(t, p.saidURL())
			if q.Get("redirect_uri") != oobRedirect || q.Get("code_challenge") == "" {
				t.Errorf("said address %v, want the out-of-band redirect with a PKCE challenge", q)
			}
			if tc.says != "" && !p.heard(tc.says) || tc.says == "" && strings.Contains(p.transcript(), "instead") {
				t.Errorf("said:\n%s\nwant %q", p.transcript(), tc.says)
			}
			if len(p.opened) != tc.opened {
				t.Errorf("opened %q, want %d pages", p.opened, tc.opened)
			}
		})
	}
}

func TestSignInCodeRefused(t *testing.T) {
	e := newFlowEnv(t, mastodontest.InstanceOptions{})
	e.flow.PasteCode = true
	_, err := e.signIn(t, &person{t: t, paste: "not-the-code"})
	if !errors.Is(err, ErrCodeRefused) || fedimarks.ErrorCode(err) != fedimarks.EAuth {
		t.Fatalf("err = %v, want the code refused (EAuth)", err)
	}
	if msg := err.Error(); !strings.Contains(msg, fedimarks.HostOf(e.inst.URL())+" refused the authorization code (invalid_grant") {
		t.Errorf("message %q does not name the server and its answer", msg)
	}
}

func TestSignInTimesOut(t *testing.T) {
	e := newFlowEnv(t, mastodontest.InstanceOptions{})
	e.flow.Wait = time.Millisecond
	p := &person{t: t, idle: true}
	_, err := e.signIn(t, p)
	if !errors.Is(err, ErrTimedOut) || fedimarks.ErrorCode(err) != fedimarks.EAuth || !strings.Contains(err.Error(), "no approval came from the browser") {
		t.Fatalf("err = %v, want a time-out", err)
	}
}

func TestSignInCancelled(t *testing.T) {
	e := newFlowEnv(t, mastodontest.InstanceOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &cancelling{person: &person{t: t, idle: true}, cancel: cancel}
	if _, err := e.flow.SignIn(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// cancelling is a person who presses Ctrl-C instead of approving.
type cancelling struct {
	*person
	cancel func()
}

func (c *cancelling) OpenBrowser(u string) error {
	c.cancel()
	return c.person.OpenBrowser(u)
}

func TestSignInServerUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := "http://" + ln.Addr().String()
	ln.Close()
	f := &Mastodon{Server: server, Apps: &memApps{}, Client: func(token string) *mastodon.Client {
		return mastodon.New(mastodon.Options{Server: server, Token: token, Options: remote.Options{Backoff: time.Millisecond, MaxRetries: 1}})
	}}
	p := &person{t: t}
	_, err = f.SignIn(context.Background(), p)
	if !fedimarks.IsUnreachable(err) || !strings.Contains(err.Error(), "reach "+server) {
		t.Fatalf("err = %v, want %s unreachable", err, server)
	}
	if len(p.said) != 0 || len(p.opened) != 0 {
		t.Errorf("the person was asked to approve on a server that does not answer:\n%s", p.transcript())
	}
}
