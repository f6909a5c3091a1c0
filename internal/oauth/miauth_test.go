package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// confirmer is the person at a terminal that can wait for Enter: before
// pressing it, they open the last address said and approve there.
type confirmer struct {
	*person
	presses int
}

func (c *confirmer) Confirm(ctx context.Context, prompt string) error {
	c.presses++
	c.mu.Lock()
	c.prompts = append(c.prompts, prompt)
	c.mu.Unlock()
	if !c.idle {
		if _, err := c.browse(c.saidURL()); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func miauthFlow(t *testing.T, opts mastodontest.InstanceOptions) (*MiAuth, *mastodontest.Instance, *mastodontest.Account) {
	t.Helper()
	n := mastodontest.NewNetwork(t)
	opts.Quirk = mastodontest.Misskey
	mk := n.NewInstance(opts)
	alice := mk.AddAccount("alice")
	mk.SetAuthorizingUser(alice)
	return &MiAuth{
		Server: mk.URL(),
		Client: func(tok string) *misskey.Client {
			return misskey.New(misskey.Options{Server: mk.URL(), Token: tok, Options: remote.Options{MaxRetries: -1}})
		},
		Software: "misskey 2024.11.0",
		Wait:     5 * time.Second,
	}, mk, alice
}

func TestMiAuthThroughTheBrowser(t *testing.T) {
	flow, mk, alice := miauthFlow(t, mastodontest.InstanceOptions{})
	var secrets []string
	flow.OnSecret = func(s string) { secrets = append(secrets, s) }
	p := &person{t: t}
	res, err := flow.SignIn(context.Background(), p)
	if err != nil {
		t.Fatalf("sign-in: %v\n%s", err, p.transcript())
	}
	if !mk.TokenValid(res.Token) || res.Account.Handle != fedimarks.Handle(alice.Handle()) || res.Account.ID != alice.ID() {
		t.Errorf("result %+v", res.Account)
	}
	if !slices.Equal(res.Account.Scopes, MiAuthPermissions) || res.Account.Software != "misskey 2024.11.0" {
		t.Errorf("scopes %v, software %q", res.Account.Scopes, res.Account.Software)
	}
	if !slices.Equal(secrets, []string{res.Token}) || strings.Contains(p.transcript(), res.Token) {
		t.Errorf("secrets %v; transcript holds the token: %v", secrets, strings.Contains(p.transcript(), res.Token))
	}
	u, err := url.Parse(p.opened[0])
	if err != nil || !strings.HasPrefix(u.Path, "/miauth/") || u.Query().Get("name") != "fedimarks" ||
		u.Query().Get("permission") != "read:favorites,write:favorites,read:account" || !strings.HasPrefix(u.Query().Get("callback"), "http://127.0.0.1:") {
		t.Errorf("opened %s", p.opened[0])
	}
	if !strings.Contains(p.pages[0], "fedimarks is approved") {
		t.Errorf("the browser showed %v", p.pages)
	}
}

func TestMiAuthWithoutBrowserWaitsForEnter(t *testing.T) {
	flow, mk, _ := miauthFlow(t, mastodontest.InstanceOptions{})
	p := &confirmer{person: &person{t: t, noBrowser: true}}
	res, err := flow.SignIn(context.Background(), p)
	if err != nil || !mk.TokenValid(res.Token) || p.presses != 1 {
		t.Fatalf("sign-in: %v after %d presses\n%s", err, p.presses, p.transcript())
	}
	if !p.heard("press Enter") || strings.Contains(p.saidURL(), "callback") {
		t.Errorf("said:\n%s", p.transcript())
	}

	// A browser that cannot be opened: the same, after saying so.
	p = &confirmer{person: &person{t: t, openErr: errors.New("no display")}}
	if res, err := flow.SignIn(context.Background(), p); err != nil || !mk.TokenValid(res.Token) || !p.heard("Could not open a browser (no display)") {
		t.Fatalf("fallback: %v\n%s", err, p.transcript())
	}

	// Pressing Enter before approving: asked again; three times, refused.
	p = &confirmer{person: &person{t: t, noBrowser: true, idle: true}}
	_, err = flow.SignIn(context.Background(), p)
	if !errors.Is(err, ErrDenied) || fedimarks.ErrorCode(err) != fedimarks.EAuth || p.presses != maxEnterTries {
		t.Errorf("never approved: %v after %d presses", err, p.presses)
	}
	mk.SetMiAuthDenied(true)
	p = &confirmer{person: &person{t: t, noBrowser: true}}
	if _, err := flow.SignIn(context.Background(), p); !errors.Is(err, ErrDenied) {
		t.Errorf("denied: %v", err)
	}
}

func TestMiAuthRefusesAnotherSessionAndTimesOut(t *testing.T) {
	flow, _, _ := miauthFlow(t, mastodontest.InstanceOptions{})
	p := &person{t: t, rewrite: func(u *url.URL) {
		if u.Hostname() == "127.0.0.1" && u.Path == "/callback" {
			u.RawQuery = "session=someone-else"
		}
	}}
	if _, err := flow.SignIn(context.Background(), p); !errors.Is(err, ErrWrongState) {
		t.Errorf("another session: %v", err)
	}
	flow.Wait = 50 * time.Millisecond
	p = &person{t: t, idle: true}
	if _, err := flow.SignIn(context.Background(), p); !errors.Is(err, ErrTimedOut) {
		t.Errorf("idle person: %v", err)
	}
	// An unknown token cannot say whose it is.
	_, err := IdentifyMisskey(context.Background(), flow.Client("unknown-token"), flow.Server, nil, "")
	if fedimarks.ErrorKind(err) != fedimarks.KindAuth {
		t.Errorf("identify with an unknown token: %v", err)
	}
}
