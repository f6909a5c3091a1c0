package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// formRecorder records the method, path, auth header, content type and
// form of each request, then answers with respond.
type formRecorder struct {
	mu   sync.Mutex
	reqs []recordedForm
}

type recordedForm struct {
	method, path, auth, ctype string
	form                      url.Values
}

func (f *formRecorder) handler(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, recordedForm{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.PostForm})
		f.mu.Unlock()
		respond(w, r)
	}
}

func (f *formRecorder) all() []recordedForm {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedForm(nil), f.reqs...)
}

func TestRegisterApp(t *testing.T) {
	rec := &formRecorder{}
	srv := newServer(t, rec.handler(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"1","name":"fedimarks","redirect_uri":"urn:ietf:wg:oauth:2.0:oob\nhttp://127.0.0.1:8765/callback","redirect_uris":["urn:ietf:wg:oauth:2.0:oob","http://127.0.0.1:8765/callback"],"client_id":"cid","client_secret":"csecret","scopes":["read:bookmarks","write:bookmarks"]}`)
	}))
	// A token in the options must still not be sent to the OAuth endpoints.
	c, _ := newTestClient(t, srv)
	app, err := c.RegisterApp(context.Background(), "fedimarks", "urn:ietf:wg:oauth:2.0:oob\nhttp://127.0.0.1:8765/callback", "read:bookmarks write:bookmarks", "https://fedimarks.example")
	if err != nil {
		t.Fatal(err)
	}
	want := fedimarks.App{ClientID: "cid", ClientSecret: "csecret", RedirectURI: "urn:ietf:wg:oauth:2.0:oob\nhttp://127.0.0.1:8765/callback", Scopes: "read:bookmarks write:bookmarks"}
	if app != want {
		t.Errorf("app = %+v, want %+v", app, want)
	}
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.method != "POST" || r.path != "/api/v1/apps" || r.auth != "" || r.ctype != "application/x-www-form-urlencoded" {
		t.Errorf("request %+v", r)
	}
	wantForm := url.Values{
		"client_name":   {"fedimarks"},
		"redirect_uris": {"urn:ietf:wg:oauth:2.0:oob\nhttp://127.0.0.1:8765/callback"},
		"scopes":        {"read:bookmarks write:bookmarks"},
		"website":       {"https://fedimarks.example"},
	}
	if !reflect.DeepEqual(r.form, wantForm) {
		t.Errorf("form = %v, want %v", r.form, wantForm)
	}
}

func TestRegisterAppOldServerShape(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		// GoToSocial/old Mastodon: no redirect_uris list, no scopes.
		fmt.Fprint(w, `{"id":"01ABC","client_id":"cid","client_secret":"cs","redirect_uri":"urn:ietf:wg:oauth:2.0:oob"}`)
	})
	c, _ := newTestClient(t, srv)
	app, err := c.RegisterApp(context.Background(), "fedimarks", "urn:ietf:wg:oauth:2.0:oob", "read write", "")
	if err != nil {
		t.Fatal(err)
	}
	if app.RedirectURI != "urn:ietf:wg:oauth:2.0:oob" || app.Scopes != "read write" {
		t.Errorf("app = %+v", app)
	}
}

func TestNonIdempotentCallsNotRetriedOnAmbiguousFailures(t *testing.T) {
	for _, name := range []string{"apps", "token"} {
		t.Run(name, func(t *testing.T) {
			h := &hits{}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				h.inc()
				w.WriteHeader(http.StatusBadGateway)
			})
			c, rec := newTestClient(t, srv)
			var err error
			if name == "apps" {
				_, err = c.RegisterApp(context.Background(), "n", "urn:ietf:wg:oauth:2.0:oob", "read", "")
			} else {
				_, err = c.ExchangeCode(context.Background(), fedimarks.App{ClientID: "a", ClientSecret: "b"}, "code", "urn:ietf:wg:oauth:2.0:oob", "")
			}
			if !IsStatus(err, 502) {
				t.Fatalf("err = %v", err)
			}
			if h.get() != 1 || len(rec.Sleeps()) != 0 {
				t.Errorf("requests = %d: a non-idempotent call was retried after a 502", h.get())
			}
		})
	}
	t.Run("dropped connection", func(t *testing.T) {
		h := &hits{}
		srv := newServer(t, hijackFirst(t, 1, h, func(w http.ResponseWriter) {
			fmt.Fprint(w, `{"access_token":"x"}`)
		}))
		c, _ := newTestClient(t, srv)
		_, err := c.ExchangeCode(context.Background(), fedimarks.App{ClientID: "a"}, "code", "urn:ietf:wg:oauth:2.0:oob", "")
		var ne *NetError
		if !errors.As(err, &ne) || h.get() != 1 {
			t.Errorf("err = %v, requests = %d; want a NetError after 1 request", err, h.get())
		}
	})
	t.Run("connection refused is retried", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
		srv.Close()
		c, rec := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 2 })
		_, err := c.RegisterApp(context.Background(), "n", "urn:ietf:wg:oauth:2.0:oob", "read", "")
		var ne *NetError
		if !errors.As(err, &ne) || ne.Attempts != 3 || len(rec.Sleeps()) != 2 {
			t.Errorf("err = %v, sleeps = %v; want 3 attempts", err, rec.Sleeps())
		}
	})
}

func TestAuthMetadata(t *testing.T) {
	t.Run("present", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/.well-known/oauth-authorization-server" || r.Header.Get("Authorization") != "" {
				t.Errorf("request %s auth=%q", r.URL.Path, r.Header.Get("Authorization"))
			}
			fmt.Fprintf(w, `{"issuer":"https://m.example/","authorization_endpoint":"https://m.example/oauth/authorize","token_endpoint":"https://m.example/oauth/token","revocation_endpoint":"https://m.example/oauth/revoke","scopes_supported":["read","profile"],"code_challenge_methods_supported":["S256"]}`)
		})
		c, _ := newTestClient(t, srv)
		m, err := c.AuthMetadata(context.Background())
		if err != nil || m == nil {
			t.Fatalf("AuthMetadata = %v, %v", m, err)
		}
		want := &AuthMetadata{
			AuthorizationEndpoint: "https://m.example/oauth/authorize", TokenEndpoint: "https://m.example/oauth/token",
			RevocationEndpoint: "https://m.example/oauth/revoke", ScopesSupported: []string{"read", "profile"},
			CodeChallengeMethodsSupported: []string{"S256"},
		}
		if !reflect.DeepEqual(m, want) || !m.SupportsPKCE() {
			t.Errorf("got %+v", m)
		}
	})
	for _, tt := range []struct {
		name string
		code int
		body string
	}{
		{"404", 404, `{"error":"Not found"}`},
		{"html page", 200, `<!doctype html><html></html>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
				fmt.Fprint(w, tt.body)
			})
			c, _ := newTestClient(t, srv)
			m, err := c.AuthMetadata(context.Background())
			if m != nil || err != nil {
				t.Errorf("AuthMetadata = %v, %v; want nil, nil", m, err)
			}
			if m.SupportsPKCE() {
				t.Error("nil metadata supports PKCE")
			}
		})
	}
	t.Run("403 is an error", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) })
		c, _ := newTestClient(t, srv)
		if _, err := c.AuthMetadata(context.Background()); !IsStatus(err, 403) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestAuthorizeURL(t *testing.T) {
	c := New(Options{Server: "https://m.example", Token: testToken})
	app := fedimarks.App{ClientID: "cid+1", ClientSecret: "secret"}
	raw := c.AuthorizeURL(app, "http://127.0.0.1:8765/cb", "read:bookmarks write:bookmarks", "st&ate", "chal")
	if strings.Contains(raw, "+") && !strings.Contains(raw, "%2B") || strings.Contains(raw, "secret") || strings.Contains(raw, testToken) {
		t.Errorf("URL %s", raw)
	}
	if !strings.Contains(raw, "scope=read%3Abookmarks%20write%3Abookmarks") {
		t.Errorf("spaces not encoded as %%20: %s", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme+"://"+u.Host+u.Path != "https://m.example/oauth/authorize" {
		t.Errorf("base = %s", u)
	}
	want := url.Values{
		"response_type": {"code"}, "client_id": {"cid+1"}, "redirect_uri": {"http://127.0.0.1:8765/cb"},
		"scope": {"read:bookmarks write:bookmarks"}, "state": {"st&ate"},
		"code_challenge": {"chal"}, "code_challenge_method": {"S256"},
	}
	if !reflect.DeepEqual(u.Query(), want) {
		t.Errorf("query = %v, want %v", u.Query(), want)
	}
	u, _ = url.Parse(c.AuthorizeURL(app, "urn:ietf:wg:oauth:2.0:oob", "read", "s", ""))
	if u.Query().Has("code_challenge") || u.Query().Has("code_challenge_method") {
		t.Errorf("PKCE parameters without a challenge: %s", u)
	}
}

func TestExchangeCode(t *testing.T) {
	for _, verifier := range []string{"", "verif-123"} {
		t.Run("verifier="+verifier, func(t *testing.T) {
			rec := &formRecorder{}
			srv := newServer(t, rec.handler(t, func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"access_token":"new-token","token_type":"Bearer","scope":"read:bookmarks","created_at":1573979017}`)
			}))
			c, _ := newTestClient(t, srv)
			app := fedimarks.App{ClientID: "cid", ClientSecret: "cs"}
			tok, err := c.ExchangeCode(context.Background(), app, "the-code", "urn:ietf:wg:oauth:2.0:oob", verifier)
			if err != nil {
				t.Fatal(err)
			}
			if tok != (Token{AccessToken: "new-token", TokenType: "Bearer", Scope: "read:bookmarks", CreatedAt: 1573979017}) {
				t.Errorf("token = %+v", tok)
			}
			r := rec.all()[0]
			want := url.Values{
				"grant_type": {"authorization_code"}, "code": {"the-code"}, "client_id": {"cid"},
				"client_secret": {"cs"}, "redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"},
			}
			if verifier != "" {
				want.Set("code_verifier", verifier)
			}
			if r.method != "POST" || r.path != "/oauth/token" || r.auth != "" || !reflect.DeepEqual(r.form, want) {
				t.Errorf("request %+v, want form %v", r, want)
			}
		})
	}
	t.Run("invalid grant", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}`)
		})
		c, _ := newTestClient(t, srv)
		_, err := c.ExchangeCode(context.Background(), fedimarks.App{ClientID: "cid", ClientSecret: "client-secret-xyz"}, "bad-code-abc", "urn:ietf:wg:oauth:2.0:oob", "")
		var ae *APIError
		if !errors.As(err, &ae) || ae.Message != "invalid_grant" || !strings.HasPrefix(ae.Description, "The provided") {
			t.Fatalf("err = %v", err)
		}
		if s := err.Error(); strings.Contains(s, "client-secret-xyz") || strings.Contains(s, "bad-code-abc") {
			t.Errorf("error mentions the secret or the code: %s", s)
		}
	})
	t.Run("no token in answer", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{}`) })
		c, _ := newTestClient(t, srv)
		if _, err := c.ExchangeCode(context.Background(), fedimarks.App{}, "c", "r", ""); err == nil {
			t.Error("no error for an answer without access_token")
		}
	})
}

func TestRevoke(t *testing.T) {
	rec := &formRecorder{}
	h := &hits{}
	srv := newServer(t, rec.handler(t, func(w http.ResponseWriter, r *http.Request) {
		if h.inc() == 1 {
			w.WriteHeader(503) // idempotent: retried
			return
		}
		fmt.Fprint(w, `{}`)
	}))
	c, _ := newTestClient(t, srv, func(o *Options) { o.Token = "" })
	if err := c.Revoke(context.Background(), fedimarks.App{ClientID: "cid", ClientSecret: "cs"}, "old-token"); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	want := url.Values{"client_id": {"cid"}, "client_secret": {"cs"}, "token": {"old-token"}}
	for _, r := range reqs {
		if r.method != "POST" || r.path != "/oauth/revoke" || !reflect.DeepEqual(r.form, want) {
			t.Errorf("request %+v", r)
		}
	}
}
