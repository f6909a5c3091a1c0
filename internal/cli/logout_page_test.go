package cli

import (
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// When fedimarks cannot revoke a token itself, it says where the person
// can: the page of the server's software (Mastodon's
// /oauth/authorized_applications is 404 on GoToSocial, and snac has no such
// page), or the server's settings when it does not know the software.
func TestLogoutNamesTheTokenPageOfTheServer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    mastodontest.InstanceOptions
		want    string
		wantNot string
	}{
		{"mastodon", mastodontest.InstanceOptions{}, "/oauth/authorized_applications", ""},
		{"gotosocial", mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial}, "/settings/user/tokens", "/oauth/authorized_applications"},
		{"snac", mastodontest.InstanceOptions{Quirk: mastodontest.Snac}, "snac has no page", "/oauth/authorized_applications"},
		{"unknown software", mastodontest.InstanceOptions{Version: "1.0 (compatible; Nobody 2.0)"}, "in the server's settings", "/oauth/authorized_applications"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, alice := newOAuthServer(t, tc.opts)
			e := newLoginEnv(t)
			// A pasted token: fedimarks did not issue it and cannot revoke it.
			tok := alice.Token("read")
			e.mustRun(0, runOpts{stdin: strings.NewReader(tok + "\n")}, "login", inst.URL(), "--token-stdin")
			// Logging in again replaces it, unrevoked.
			tok2 := alice.Token("read")
			r := e.mustRun(0, runOpts{stdin: strings.NewReader(tok2 + "\n")}, "login", inst.URL(), "--token-stdin")
			check := func(what, out string) {
				t.Helper()
				if !strings.Contains(out, tc.want) || (tc.wantNot != "" && strings.Contains(out, tc.wantNot)) {
					t.Errorf("%s: want %q and not %q in:\n%s", what, tc.want, tc.wantNot, out)
				}
			}
			check("login again", r.stderr)
			r = e.mustRun(0, runOpts{}, "logout", alice.Handle())
			check("logout", r.stderr)

			if tc.name != "gotosocial" {
				return // the retries take a second: one server is enough
			}
			// The server cannot be reached: logout says where to revoke.
			b := &browser{t: t}
			e.mustRun(0, runOpts{open: b.open}, "login", inst.URL())
			inst.SetDown(true)
			r = e.mustRun(ExitError, runOpts{}, "logout", alice.Handle())
			inst.SetDown(false)
			check("logout, server down", r.stderr)
			e.checkNoSecrets(tok, tok2)
		})
	}
}
