package cli

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// givingUpBrowser is a person's browser: when the server shows an error
// page instead of coming back to fedimarks, the person gives up (Ctrl-C),
// which is what they are left to do.
func givingUpBrowser(t *testing.T) (*browser, context.Context) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b := &browser{t: t}
	b.onPage = func(status int) {
		if status >= 400 {
			t.Logf("the browser shows an error page (%d): the person gives up", status)
			cancel()
		}
	}
	return b, ctx
}

// snac deletes fedimarks' app when one of its tokens is revoked, which a
// second login does to the token it replaces, and logout too. The next
// login must see that and register again, and still revoke the token it
// replaces (snac wants the credentials of the app that issued it).
func TestLoginAgainAfterSnacForgotTheApp(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{Quirk: mastodontest.Snac, NoAuthMetadata: true})
	e := newLoginEnv(t)
	b, ctx := givingUpBrowser(t)
	o := runOpts{ctx: ctx, open: b.open}

	e.mustRun(0, o, "login", inst.URL())
	first := e.token(alice.Handle())
	e.mustRun(0, o, "login", inst.URL()) // revokes first: snac deletes the app
	second := e.token(alice.Handle())
	if inst.TokenValid(first) {
		t.Fatal("the first token was not revoked")
	}
	opened := len(b.urls())

	r := e.mustRun(0, o, "login", inst.URL())
	third := e.token(alice.Handle())
	if !inst.TokenValid(third) || third == second {
		t.Fatal("no new valid token")
	}
	if n := inst.AppRegistrations(); n != 2 {
		t.Errorf("%d app registrations, want 2 (registered again once)", n)
	}
	if !strings.Contains(r.stderr, "no longer knows fedimarks' app") || !strings.Contains(r.stderr, "registering it again") {
		t.Errorf("stderr does not say the app is registered again:\n%s", r.stderr)
	}
	if n := len(b.urls()) - opened; n != 1 {
		t.Errorf("the browser opened %d times, want once", n)
	}
	if inst.TokenValid(second) {
		t.Error("the replaced token is still valid")
	}
	if !strings.Contains(r.stderr, "Revoked the previous token") {
		t.Errorf("stderr does not say the previous token was revoked:\n%s", r.stderr)
	}

	// logout revokes the token: snac deletes the new app too.
	e.mustRun(0, runOpts{}, "logout", alice.Handle())
	if inst.TokenValid(third) {
		t.Fatal("logout did not revoke the token")
	}
	r = e.mustRun(0, o, "login", inst.URL())
	if tok := e.token(alice.Handle()); !inst.TokenValid(tok) {
		t.Fatalf("no valid token after logout and login:\n%s", r.stderr)
	}
	if n := inst.AppRegistrations(); n != 3 {
		t.Errorf("%d app registrations, want 3", n)
	}
	e.checkNoSecrets(first, second, third, e.token(alice.Handle()), e.app(inst.URL()).ClientSecret)
}

// Mastodon and GoToSocial send a browser that is not signed in to their
// sign-in page whatever the client: the kept app is checked with a
// client-credentials token instead, before the person is sent to approve
// an app the server no longer knows.
func TestLoginAgainWhenServerForgotTheApp(t *testing.T) {
	for _, q := range []mastodontest.Quirk{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(q.String(), func(t *testing.T) {
			inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{Quirk: q, SignIn: true, NoAuthMetadata: q == mastodontest.GoToSocial})
			e := newLoginEnv(t)
			b, ctx := givingUpBrowser(t)
			b.cookie = inst.SessionCookie()
			o := runOpts{ctx: ctx, open: b.open}
			e.mustRun(0, o, "login", inst.URL())

			inst.ForgetApps() // an admin removed it, or the database was reset
			r := e.mustRun(0, o, "login", inst.URL())
			if tok := e.token(alice.Handle()); !inst.TokenValid(tok) {
				t.Fatal("no valid token")
			}
			if n := inst.AppRegistrations(); n != 2 {
				t.Errorf("%d app registrations, want 2", n)
			}
			if n := len(b.urls()); n != 2 {
				t.Errorf("the browser opened %d times, want 2 (once a login)", n)
			}
			if !strings.Contains(r.stderr, "registering it again") {
				t.Errorf("stderr does not say the app is registered again:\n%s", r.stderr)
			}
			// A third login reuses the app registered by the second.
			e.mustRun(0, o, "login", inst.URL())
			if n := inst.AppRegistrations(); n != 2 {
				t.Errorf("%d app registrations after a third login, want 2", n)
			}
			e.checkNoSecrets(e.token(alice.Handle()), e.app(inst.URL()).ClientSecret)
		})
	}
}

// An app that vanishes between the check and the token exchange gets, on
// snac, a 401 with an empty body: the login registers again and asks once
// more, whatever the shape of the refusal.
func TestLoginRegistersAgainOnEmptyRefusal(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{Quirk: mastodontest.Snac, NoAuthMetadata: true})
	e := newLoginEnv(t)
	b, ctx := givingUpBrowser(t)
	e.mustRun(0, runOpts{ctx: ctx, open: b.open}, "login", inst.URL())
	var once sync.Once
	b.rewrite = func(u *url.URL) {
		if u.Path == "/callback" {
			once.Do(inst.ForgetApps)
		}
	}
	r := e.mustRun(0, runOpts{ctx: ctx, open: b.open}, "login", inst.URL())
	if tok := e.token(alice.Handle()); !inst.TokenValid(tok) {
		t.Fatalf("no valid token:\n%s", r.stderr)
	}
	if n := inst.AppRegistrations(); n != 2 {
		t.Errorf("%d app registrations, want 2", n)
	}
	if !strings.Contains(r.stderr, "registering it again") {
		t.Errorf("stderr does not say the app is registered again:\n%s", r.stderr)
	}
}
