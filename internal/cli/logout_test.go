package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// bookmarksIn counts the archived bookmarks of handle.
func (e *loginEnv) bookmarksIn(handle string) int {
	e.t.Helper()
	ar := openHomeArchive(e.t, e.home)
	defer ar.Close()
	n, err := ar.Counts(context.Background(), fedimarks.Handle(handle))
	if err != nil {
		e.t.Fatal(err)
	}
	return n.Active
}

func TestLogoutRevokesAndForgets(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	bob := inst.AddAccount("bob")
	alice.Bookmark(bob.Post(mastodontest.PostOptions{Text: "<p>keep me</p>"}))
	e := newLoginEnv(t)
	b := &browser{t: t}
	e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	tok := e.token(alice.Handle())
	e.mustRun(0, runOpts{}, "backup")
	if n := e.bookmarksIn(alice.Handle()); n != 1 {
		t.Fatalf("%d bookmarks archived, want 1", n)
	}

	r := e.mustRun(0, runOpts{}, "logout", alice.Handle())
	if inst.TokenValid(tok) {
		t.Error("the token is still valid after logout")
	}
	if !strings.Contains(r.stderr, "Revoked the token of "+alice.Handle()) {
		t.Errorf("stderr does not say the token was revoked:\n%s", r.stderr)
	}
	if files := e.tokenFiles(); len(files) != 0 {
		t.Errorf("token files left after logout: %v", files)
	}
	if accs := e.accounts(); len(accs) != 0 {
		t.Errorf("accounts left after logout: %v", accs)
	}
	if n := e.bookmarksIn(alice.Handle()); n != 1 {
		t.Errorf("%d bookmarks left in the archive after logout, want 1 (they stay)", n)
	}
	if out := e.mustRun(0, runOpts{}, "accounts", "--json").stdout; !strings.Contains(out, `"account":"`+alice.Handle()+`"`) || !strings.Contains(out, `"signed_in":false`) {
		t.Errorf("accounts --json should still list the logged-out archive: %s", out)
	}
	if e.app(inst.URL()) == nil {
		t.Error("logout forgot the app registered on the server: the next login would register again")
	}

	// Gone now: a second logout says so.
	r = e.mustRun(ExitUsage, runOpts{}, "logout", alice.Handle())
	if !strings.Contains(r.stderr, "not a saved account") {
		t.Errorf("second logout: %s", r.stderr)
	}
	// Logging in again reuses the kept app.
	e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	if n := inst.AppRegistrations(); n != 1 {
		t.Errorf("%d app registrations, want 1", n)
	}
	e.checkNoSecrets(tok, e.token(alice.Handle()), e.app(inst.URL()).ClientSecret)
}

func TestLogoutServerDownStillForgets(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	b := &browser{t: t}
	e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	tok := e.token(alice.Handle())

	inst.SetDown(true)
	r := e.mustRun(ExitError, runOpts{}, "logout", alice.Handle())
	inst.SetDown(false)
	if !strings.Contains(r.stderr, "may still be live") || !strings.Contains(r.stderr, "/oauth/authorized_applications") {
		t.Errorf("stderr does not warn that the token may be live and where to revoke it:\n%s", r.stderr)
	}
	// In plain words, as login says it: not the request and its retries.
	if strings.Contains(r.stderr, "/oauth/revoke:") || strings.Contains(r.stderr, "attempts") ||
		!strings.Contains(r.stderr, inst.Host()+" did not answer") || !strings.Contains(r.stderr, "forgot") {
		t.Errorf("stderr should say in plain words that %s did not answer and the token was forgotten here:\n%s", inst.Host(), r.stderr)
	}
	if !inst.TokenValid(tok) {
		t.Error("the token was revoked although the server was down (the fake is wrong?)")
	}
	if files := e.tokenFiles(); len(files) != 0 {
		t.Errorf("token files left after logout: %v", files)
	}
	if accs := e.accounts(); len(accs) != 0 {
		t.Errorf("accounts left after logout: %v", accs)
	}
	e.checkNoSecrets(tok, e.app(inst.URL()).ClientSecret)
}

func TestLogoutPastedToken(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	e := newLoginEnv(t)
	tok := alice.Token("read")
	e.mustRun(0, runOpts{stdin: strings.NewReader(tok + "\n")}, "login", inst.URL(), "--token-stdin")
	r := e.mustRun(0, runOpts{}, "logout", alice.Handle())
	if !strings.Contains(r.stderr, "did not issue this token") {
		t.Errorf("stderr does not say the token cannot be revoked by fedimarks:\n%s", r.stderr)
	}
	if files := e.tokenFiles(); len(files) != 0 {
		t.Errorf("token files left after logout: %v", files)
	}
	if accs := e.accounts(); len(accs) != 0 {
		t.Errorf("accounts left after logout: %v", accs)
	}
	e.checkNoSecrets(tok)
}

func TestLogoutUsage(t *testing.T) {
	e := newLoginEnv(t)
	e.mustRun(ExitUsage, runOpts{}, "logout")
	e.mustRun(ExitUsage, runOpts{}, "logout", "not-an-account")
	r := e.mustRun(0, runOpts{}, "help", "logout")
	if !strings.Contains(r.stdout, "Usage: fedimarks logout ACCOUNT") {
		t.Errorf("help logout: %s", r.stdout)
	}
}

func TestLogoutTokenOfAnotherApp(t *testing.T) {
	inst, alice := newOAuthServer(t, mastodontest.InstanceOptions{})
	bob := inst.AddAccount("bob")
	b := &browser{t: t}

	// Another client (here: another fedimarks home, so another app) holds
	// a token of alice's.
	other := newLoginEnv(t)
	other.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	foreign := other.token(alice.Handle())

	// This home has its own app on the server (bob signed in through it),
	// and alice's foreign token pasted in.
	e := newLoginEnv(t)
	inst.SetAuthorizingUser(bob)
	e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
	e.mustRun(0, runOpts{stdin: strings.NewReader(foreign + "\n")}, "login", inst.URL(), "--token-stdin")

	r := e.mustRun(0, runOpts{}, "logout", alice.Handle())
	if !strings.Contains(r.stderr, "did not issue this token") {
		t.Errorf("stderr does not say the token belongs to another app:\n%s", r.stderr)
	}
	if !inst.TokenValid(foreign) {
		t.Error("the other app's token was revoked (the fake server should refuse)")
	}
	accs := e.accounts()
	if len(accs) != 1 || accs[0]["account"] != bob.Handle() {
		t.Errorf("accounts = %v, want only %s", accs, bob.Handle())
	}
	e.checkNoSecrets(foreign, e.token(bob.Handle()))
	other.checkNoSecrets(foreign)
}
