package mastodon_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

const oob = "urn:ietf:wg:oauth:2.0:oob"

// approve has the authorizing user approve app in their browser (signed
// in) and returns a user token.
func approve(t *testing.T, inst *mastodontest.Instance, c *mastodon.Client, app fedimarks.App) string {
	t.Helper()
	nr := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest("GET", c.AuthorizeURL(app, "http://127.0.0.1:9/callback", app.Scopes, "s", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(inst.SessionCookie())
	resp, err := nr.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: %d, no redirect: %v", resp.StatusCode, err)
	}
	tok, err := c.ExchangeCode(context.Background(), app, loc.Query().Get("code"), "http://127.0.0.1:9/callback", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func TestCheckApp(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts mastodontest.InstanceOptions
		// forget makes the server forget the app as that server does.
		forget func(t *testing.T, inst *mastodontest.Instance, c *mastodon.Client, app fedimarks.App)
		// tokenProbes is how many requests the check makes to
		// /oauth/token (a client-credentials token, then revoked).
		tokenProbes int
	}{
		{"mastodon, signed in at once", mastodontest.InstanceOptions{}, forgetAll, 0},
		{"mastodon, sign-in page first", mastodontest.InstanceOptions{SignIn: true}, forgetAll, 1},
		{"gotosocial, sign-in page first", mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial, NoAuthMetadata: true, SignIn: true}, forgetAll, 1},
		// snac: no token is asked for (snac would mint a user token for
		// any request of a known app, and revoking it deletes the app).
		{"snac, revoked token", mastodontest.InstanceOptions{Quirk: mastodontest.Snac, NoAuthMetadata: true},
			func(t *testing.T, inst *mastodontest.Instance, c *mastodon.Client, app fedimarks.App) {
				if err := c.Revoke(context.Background(), app, approve(t, inst, c, app)); err != nil {
					t.Fatal(err)
				}
			}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := mastodontest.NewNetwork(t).NewInstance(tc.opts)
			inst.SetAuthorizingUser(inst.AddAccount("alice"))
			c := mastodon.New(mastodon.Options{Server: inst.URL(), Options: remote.Options{Backoff: time.Millisecond}})
			app, err := c.RegisterApp(ctx, "fedimarks", oob+"\nhttp://127.0.0.1:9/callback", "read write", "")
			if err != nil {
				t.Fatal(err)
			}
			inst.ResetCounts()
			state, why, err := c.CheckApp(ctx, app, oob)
			if err != nil || state != mastodon.AppKnown {
				t.Fatalf("kept app: %v (%s), %v; want known", state, why, err)
			}
			if n := inst.Requests("POST", "/oauth/token"); n != tc.tokenProbes {
				t.Errorf("%d token requests, want %d", n, tc.tokenProbes)
			}
			if n := inst.Requests("POST", "/oauth/revoke"); n != tc.tokenProbes {
				t.Errorf("%d revocations, want %d (the check's app token is revoked)", n, tc.tokenProbes)
			}
			if n := inst.AppRegistrations(); n != 1 {
				t.Errorf("%d registrations", n)
			}
			// The check leaves the app usable.
			if tok := approve(t, inst, c, app); !inst.TokenValid(tok) {
				t.Error("the app no longer gives tokens after the check")
			}

			tc.forget(t, inst, c, app)
			state, why, err = c.CheckApp(ctx, app, oob)
			if err != nil || state != mastodon.AppForgotten {
				t.Fatalf("forgotten app: %v (%s), %v; want forgotten", state, why, err)
			}
			if why == "" || strings.Contains(why, app.ClientSecret) {
				t.Errorf("why = %q", why)
			}
		})
	}
}

func forgetAll(t *testing.T, inst *mastodontest.Instance, _ *mastodon.Client, _ fedimarks.App) {
	inst.ForgetApps()
}

// A server whose answers say nothing about the client leaves the check
// unsure, and a cancelled check says so.
func TestCheckAppUnsure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth/authorize":
			http.Redirect(w, r, "/auth/sign_in", http.StatusSeeOther)
		case "/oauth/token":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := mastodon.New(mastodon.Options{Server: srv.URL, Options: remote.Options{Backoff: time.Millisecond}})
	app := fedimarks.App{ClientID: "cid", ClientSecret: "csecret", RedirectURI: oob, Scopes: "read"}
	if state, why, err := c.CheckApp(context.Background(), app, oob); err != nil || state != mastodon.AppUnsure {
		t.Errorf("CheckApp = %v (%s), %v; want unsure", state, why, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.CheckApp(ctx, app, oob); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled CheckApp err = %v", err)
	}
}
