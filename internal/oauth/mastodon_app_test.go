package oauth

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// Scopes are negotiated once, at registration: the fine-grained ones when
// the server offers them or says nothing, "read write" when it offers only
// those or refuses the others, saying so either way.
func TestSignInNegotiatesScopes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts mastodontest.InstanceOptions
		want []string
		says string
	}{
		{"metadata", mastodontest.InstanceOptions{}, []string{"read:bookmarks", "write:bookmarks", "read:search", "profile"}, ""},
		{"no metadata", mastodontest.InstanceOptions{NoAuthMetadata: true}, []string{"read:bookmarks", "write:bookmarks", "read:search", "read:accounts"}, ""},
		{"metadata without them", mastodontest.InstanceOptions{NoGranularScopes: true}, []string{"read", "write"}, "does not offer fine-grained scopes"},
		{"refused", mastodontest.InstanceOptions{NoGranularScopes: true, NoAuthMetadata: true}, []string{"read", "write"}, "refused fine-grained scopes (POST /api/v1/apps: 422"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, tc.opts)
			p := &person{t: t}
			res, err := e.signIn(t, p)
			if err != nil {
				t.Fatalf("SignIn: %v\n%s", err, p.transcript())
			}
			if !slices.Equal(res.Account.Scopes, tc.want) {
				t.Errorf("granted scopes %q, want %q", res.Account.Scopes, tc.want)
			}
			if got := strings.Fields(query(t, p.opened[0]).Get("scope")); !slices.Equal(got, tc.want) {
				t.Errorf("asked for %q, want %q", got, tc.want)
			}
			if got := strings.Fields(e.kept(t).Scopes); !slices.Equal(got, tc.want) {
				t.Errorf("kept app's scopes %q, want %q", got, tc.want)
			}
			if n := e.inst.AppRegistrations(); n != 1 {
				t.Errorf("%d registrations, want 1", n)
			}
			coarse := p.heard(`asking for "read write"`)
			if tc.says != "" && (!p.heard(tc.says) || !coarse) || tc.says == "" && coarse {
				t.Errorf("said:\n%s\nwant %q", p.transcript(), tc.says)
			}
		})
	}
}

// A kept app is reused while the server knows it; one it forgot is
// registered again once, and handed back for revoking the tokens it
// issued.
func TestSignInKeptApp(t *testing.T) {
	forgetAtCallback := func(_ *testing.T, e *flowEnv, p *person) {
		var once sync.Once
		p.rewrite = func(u *url.URL) {
			if u.Path == callbackPath {
				once.Do(e.inst.ForgetApps)
			}
		}
	}
	for _, tc := range []struct {
		name      string
		opts      mastodontest.InstanceOptions
		forget    func(*testing.T, *flowEnv, *person)
		regs      int
		opened    int
		says      string
		forgotten bool
	}{
		{"known", mastodontest.InstanceOptions{}, func(*testing.T, *flowEnv, *person) {}, 1, 1, "", false},
		{"forgotten before", mastodontest.InstanceOptions{}, func(_ *testing.T, e *flowEnv, _ *person) { e.inst.ForgetApps() }, 2, 1, "registering it again.", true},
		{"secret reset", mastodontest.InstanceOptions{}, func(t *testing.T, e *flowEnv, _ *person) {
			app := e.kept(t)
			app.ClientSecret = "not-the-secret-any-more"
			e.apps.SaveApp(context.Background(), app)
		}, 2, 2, "registering it again; approve once more.", true},
		{"snac forgets after the check", mastodontest.InstanceOptions{Quirk: mastodontest.Snac, NoAuthMetadata: true}, forgetAtCallback, 2, 2, "approve once more", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, tc.opts)
			e.flow.Wait = 10 * time.Second // a person shown an error page gives up
			if _, err := e.signIn(t, &person{t: t}); err != nil {
				t.Fatal(err)
			}
			first := e.kept(t)
			p := &person{t: t}
			tc.forget(t, e, p)
			res, err := e.signIn(t, p)
			if err != nil {
				t.Fatalf("SignIn: %v\n%s", err, p.transcript())
			}
			if !e.inst.TokenValid(res.Token) {
				t.Error("no valid token")
			}
			if n := e.inst.AppRegistrations(); n != tc.regs {
				t.Errorf("%d registrations, want %d", n, tc.regs)
			}
			if len(p.opened) != tc.opened {
				t.Errorf("the browser opened %d times, want %d", len(p.opened), tc.opened)
			}
			if tc.says != "" && !p.heard(tc.says) || tc.says == "" && p.heard("registering") {
				t.Errorf("said:\n%s\nwant %q", p.transcript(), tc.says)
			}
			if got := len(res.Forgotten) == 1 && res.Forgotten[0].ClientID == first.ClientID; got != tc.forgotten {
				t.Errorf("forgotten %v, want the first app: %v", res.Forgotten, tc.forgotten)
			}
			if tc.forgotten == (e.kept(t).ClientID == first.ClientID) {
				t.Errorf("kept app %s, first %s", e.kept(t).ClientID, first.ClientID)
			}
		})
	}
}

// An app registered by this very sign-in is not registered again when the
// token endpoint refuses it: that would loop.
func TestSignInDoesNotRegisterAgainAFreshApp(t *testing.T) {
	e := newFlowEnv(t, mastodontest.InstanceOptions{Quirk: mastodontest.Snac, NoAuthMetadata: true})
	p := &person{t: t}
	var once sync.Once
	p.rewrite = func(u *url.URL) {
		if u.Path == callbackPath {
			once.Do(e.inst.ForgetApps)
		}
	}
	_, err := e.signIn(t, p)
	if _, refused := mastodon.InvalidClient(err); !refused {
		t.Fatalf("err = %v, want the token endpoint's refusal", err)
	}
	if n := e.inst.AppRegistrations(); n != 1 {
		t.Errorf("%d registrations, want 1", n)
	}
}

func TestSignInTooManyRegistrations(t *testing.T) {
	e := newFlowEnv(t, mastodontest.InstanceOptions{})
	c := e.flow.Client("")
	for range 5 {
		if _, err := c.RegisterApp(context.Background(), "other", oobRedirect, "read", ""); err != nil {
			t.Fatal(err)
		}
	}
	// The client waits out 429s (on its own clock, which here moves at
	// once); the server keeps refusing.
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
		return ctx.Err()
	}
	e.flow.Client = func(token string) *mastodon.Client {
		return mastodon.New(mastodon.Options{Server: e.inst.URL(), Token: token, Options: remote.Options{Backoff: time.Millisecond, Now: clock, Sleep: sleep}})
	}
	p := &person{t: t}
	_, err := e.signIn(t, p)
	if !errors.Is(err, ErrTooManyApps) || fedimarks.ErrorCode(err) != fedimarks.EUnavailable || !strings.Contains(err.Error(), "too many app registrations from this address") {
		t.Fatalf("err = %v, want too many registrations", err)
	}
	if app, _ := e.apps.App(context.Background(), e.inst.URL()); app != nil || len(p.opened) != 0 {
		t.Errorf("kept %v and opened %q after a refused registration", app, p.opened)
	}
}

// The token works for the sign-in but the server refuses to say whose it
// is: the error says it was that step, for cli to word like any refused
// request.
func TestSignInIdentifyRefused(t *testing.T) {
	e := newFlowEnv(t, mastodontest.InstanceOptions{})
	client := e.flow.Client
	e.flow.Client = func(token string) *mastodon.Client {
		if token != "" {
			token = "not-" + token
		}
		return client(token)
	}
	_, err := e.signIn(t, &person{t: t})
	var ie *IdentifyError
	if !errors.As(err, &ie) || fedimarks.ErrorKind(err) != fedimarks.KindAuth {
		t.Fatalf("err = %v, want an IdentifyError with the 401", err)
	}
}
