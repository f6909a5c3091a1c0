package mastodontest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
)

func TestRateLimit(t *testing.T) {
	for _, c := range []struct {
		q     Quirk
		reset string
		msg   string
	}{
		{Mastodon, "2025-01-01T12:05:00.000000Z", "Too many requests"},
		{GoToSocial, "2025-01-01T12:05:00.000Z", "rate limit reached"},
	} {
		t.Run(c.q.String(), func(t *testing.T) {
			n := NewNetwork(t)
			clock := clocktest.New(time.Date(2025, 1, 1, 12, 3, 7, 0, time.UTC))
			n.SetClock(clock.Now)
			i := n.NewInstance(InstanceOptions{Quirk: c.q})
			a := i.AddAccount("alice")
			tok, other := a.Token(), a.Token()

			r := call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
			if r.header.Get("X-RateLimit-Limit") != "300" || r.header.Get("X-RateLimit-Remaining") != "300" ||
				r.header.Get("X-RateLimit-Reset") != c.reset {
				t.Fatalf("default headers: %v", r.header)
			}
			if d, err := http.ParseTime(r.header.Get("Date")); err != nil || !d.Equal(clock.Now()) {
				t.Fatalf("Date %q: %v", r.header.Get("Date"), err)
			}

			i.SetRateLimit(3, 5*time.Minute)
			for k, want := range []string{"2", "1", "0"} {
				r := call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
				if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != want {
					t.Fatalf("request %d: %d remaining %q", k, r.status, r.header.Get("X-RateLimit-Remaining"))
				}
			}
			r = call(t, "GET", i.URL()+"/api/v1/accounts/verify_credentials", tok, nil)
			if r.status != http.StatusTooManyRequests || r.errorMessage(t) != c.msg {
				t.Fatalf("over budget: %d %s", r.status, r.body)
			}
			if r.header.Get("Retry-After") != "" || r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") != c.reset {
				t.Fatalf("429 headers: %v", r.header)
			}
			if got := i.Responses(http.StatusTooManyRequests); got != 1 {
				t.Fatalf("Responses(429) = %d", got)
			}
			// Another token has its own budget.
			if r := call(t, "GET", i.URL()+"/api/v1/bookmarks", other, nil); r.status != 200 {
				t.Fatalf("other token: %d", r.status)
			}
			// The next window, aligned to the epoch, starts afresh.
			clock.Advance(time.Minute + 53*time.Second)
			r = call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
			if r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
				t.Fatalf("new window: %d %v", r.status, r.header)
			}
			// Unauthenticated requests count per IP.
			for range 3 {
				call(t, "GET", i.URL()+"/api/v1/instance", "", nil)
			}
			if r := call(t, "GET", i.URL()+"/api/v1/instance", "", nil); r.status != http.StatusTooManyRequests {
				t.Fatalf("anonymous over budget: %d", r.status)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	a := i.AddAccount("alice")
	tok := a.Token()
	u := i.URL() + "/api/v1/bookmarks"
	call(t, "GET", u, tok, nil) // a keep-alive connection to reuse

	i.FailNext(2, http.StatusServiceUnavailable, 1500*time.Millisecond)
	for range 2 {
		r := call(t, "GET", u, tok, nil)
		if r.status != 503 || r.header.Get("Retry-After") != "2" || r.errorMessage(t) == "" {
			t.Fatalf("failure: %d %v %s", r.status, r.header, r.body)
		}
	}
	i.FailNext(1, http.StatusBadGateway, 0)
	if r := call(t, "GET", u, tok, nil); r.status != 502 || r.header.Get("Retry-After") != "" {
		t.Fatalf("502: %d %v", r.status, r.header)
	}
	if r := call(t, "GET", u, tok, nil); r.status != 200 {
		t.Fatalf("after failures: %d", r.status)
	}

	i.DropNext(2)
	for k := range 2 {
		if _, err := try("GET", u, tok, nil); err == nil {
			t.Fatalf("drop %d: request succeeded", k)
		}
	}
	if r := call(t, "GET", u, tok, nil); r.status != 200 {
		t.Fatalf("after drops: %d", r.status)
	}
	// Faults are for the API only.
	i.FailNext(1, 503, 0)
	if r := call(t, "GET", i.URL()+"/.well-known/oauth-authorization-server", "", nil); r.status != 200 {
		t.Fatalf("metadata during API fault: %d", r.status)
	}
	i.FailNext(0, 0, 0)
	if got := i.Responses(503); got != 2 {
		t.Fatalf("Responses(503) = %d, want 2", got)
	}

	if got := i.Requests("GET", "/api/v1/bookmarks"); got != 3 {
		t.Fatalf("Requests counted %d bookmark GETs, want 3 (faults not counted)", got)
	}
	if got := i.Requests("", ""); got != 4 {
		t.Fatalf("Requests counted %d in all, want 4", got)
	}
	i.ResetCounts()
	if got := i.Requests("", ""); got != 0 {
		t.Fatalf("after reset: %d", got)
	}

	i.SetDown(true)
	if _, err := try("GET", u, tok, nil); err == nil {
		t.Fatal("down instance answered")
	}
	if _, err := try("GET", i.URL()+"/oauth/authorize", "", nil); err == nil {
		t.Fatal("down instance answered outside the API")
	}
	i.SetDown(false)
	if r := call(t, "GET", u, tok, nil); r.status != 200 {
		t.Fatalf("back up: %d", r.status)
	}

	// Latency holds the answer back; a caller's deadline still ends the wait.
	i.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answered despite an hour of latency")
	}
	i.SetLatency(0)
}

func TestAuthAndScopes(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	a := i.AddAccount("alice")
	s := a.Post(PostOptions{})
	cases := []struct {
		name, method, path, tok string
		status                  int
		msg                     string
	}{
		{"no token", "GET", "/api/v1/bookmarks", "", 401, "The access token is invalid"},
		{"bad token", "GET", "/api/v1/bookmarks", "nope", 401, "The access token is invalid"},
		{"read:bookmarks", "GET", "/api/v1/bookmarks", a.Token("read:bookmarks"), 200, ""},
		{"read", "GET", "/api/v1/bookmarks", a.Token("read"), 200, ""},
		{"write only", "GET", "/api/v1/bookmarks", a.Token("write"), 403, "This action is outside the authorized scopes"},
		{"app token", "GET", "/api/v1/bookmarks", a.AppToken(), 422, "This method requires an authenticated user"},
		{"bookmark write:bookmarks", "POST", "/api/v1/statuses/" + s.ID() + "/bookmark", a.Token("write:bookmarks"), 200, ""},
		{"bookmark read", "POST", "/api/v1/statuses/" + s.ID() + "/bookmark", a.Token("read"), 403, "This action is outside the authorized scopes"},
		{"bookmark app", "POST", "/api/v1/statuses/" + s.ID() + "/unbookmark", a.AppToken(), 422, "This method requires an authenticated user"},
		{"search read:search", "GET", "/api/v2/search?q=x", a.Token("read:search"), 200, ""},
		{"search no token", "GET", "/api/v2/search?q=x", "", 200, ""},
		{"search wrong scope", "GET", "/api/v2/search?q=x", a.Token("read:bookmarks"), 403, "This action is outside the authorized scopes"},
		{"search bad token", "GET", "/api/v2/search?q=x", "nope", 401, "The access token is invalid"},
		{"me profile", "GET", "/api/v1/accounts/verify_credentials", a.Token("profile"), 200, ""},
		{"me read:accounts", "GET", "/api/v1/accounts/verify_credentials", a.Token("read:accounts"), 200, ""},
		{"me bookmarks only", "GET", "/api/v1/accounts/verify_credentials", a.Token("read:bookmarks"), 403, "This action is outside the authorized scopes"},
		{"me app", "GET", "/api/v1/accounts/verify_credentials", a.AppToken(), 422, "This method requires an authenticated user"},
		{"instance", "GET", "/api/v1/instance", "", 200, ""},
		{"unknown route", "GET", "/api/v1/nothing", "", 404, "Record not found"},
	}
	for _, c := range cases {
		r := call(t, c.method, i.URL()+c.path, c.tok, nil)
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, r.status, c.status, r.body)
			continue
		}
		if c.msg != "" && r.errorMessage(t) != c.msg {
			t.Errorf("%s: error %q, want %q", c.name, r.errorMessage(t), c.msg)
		}
		if r.header.Get("X-RateLimit-Limit") == "" || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s: headers %v", c.name, r.header)
		}
	}
}
