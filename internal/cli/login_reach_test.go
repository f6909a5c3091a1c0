package cli

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// countingDialer dials loopback only, counting the attempts; hosts in
// unknown do not resolve (a *net.DNSError as the system resolver gives).
type countingDialer struct {
	dials   atomic.Int32
	unknown map[string]bool
}

func (d *countingDialer) client() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.dial}}
}

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	host, _, _ := net.SplitHostPort(addr)
	if d.unknown[host] {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "test dials loopback only", Name: host}}
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// loginFails runs login args with the dialer and checks the failure is
// told in plain words, once, without retries nor a "resume" hint.
func loginFails(t *testing.T, d *countingDialer, want []string, args ...string) {
	t.Helper()
	home := newHome(t)
	for _, stdin := range []string{"", "tok-1234567890\n"} {
		a := append(append([]string{}, args...), "--no-browser")
		if stdin != "" {
			a[len(a)-1] = "--token-stdin"
		}
		if d != nil {
			d.dials.Store(0)
		}
		r := runToolWith(t, nil, home, stdin, func(o *IO) {
			if d != nil {
				o.HTTPClient = d.client()
			}
			o.OpenBrowser = func(string) error { t.Error("a browser was opened"); return nil }
		}, a...)
		if r.code != ExitError {
			t.Errorf("login %v: exit %d, want 1\n%s", a, r.code, r.stderr)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("login %v: stderr lacks %q:\n%s", a, w, r.stderr)
			}
		}
		for _, bad := range []string{"resume", "goes on where it stopped", "waiting", "attempts"} {
			if strings.Contains(r.stderr, bad) {
				t.Errorf("login %v: stderr says %q:\n%s", a, bad, r.stderr)
			}
		}
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 {
			t.Errorf("login %v: %d lines, want one:\n%s", a, n+1, r.stderr)
		}
		if d != nil && d.dials.Load() > 1 {
			t.Errorf("login %v: %d connection attempts, want one (no retries on login)", a, d.dials.Load())
		}
	}
}

// Issue 12: login to an unknown host, a refused connection or a TLS
// failure says so in plain words with what to check, at once.
func TestLoginUnreachableSaysWhatToCheck(t *testing.T) {
	t.Run("unknown host", func(t *testing.T) {
		d := &countingDialer{unknown: map[string]bool{"mastodon.socail": true}}
		loginFails(t, d, []string{"fedimarks: no server named mastodon.socail", "check the spelling"}, "login", "mastodon.socail")
	})
	t.Run("unknown host of a handle", func(t *testing.T) {
		d := &countingDialer{unknown: map[string]bool{"mastodon.socail": true}}
		loginFails(t, d, []string{"fedimarks: no server named mastodon.socail"}, "login", "alice@mastodon.socail")
	})
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		d := &countingDialer{}
		loginFails(t, d, []string{"fedimarks: " + addr + " refused the connection", "check the address and port"}, "login", "http://"+addr)
	})
	t.Run("tls", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
		srv.StartTLS()
		defer srv.Close()
		host := strings.TrimPrefix(srv.URL, "https://")
		loginFails(t, nil, []string{"fedimarks: " + host + ": the secure connection (TLS) failed", "certificate"}, "login", srv.URL)
	})
}

// Issue 12: `login alice@host` (or @alice@host, or the profile address)
// takes the server from the handle.
func TestLoginTakesTheServerFromAHandle(t *testing.T) {
	for _, tc := range []struct{ in, instance, user string }{
		{"mastodon.social", "mastodon.social", ""},
		{"https://mastodon.social", "https://mastodon.social", ""},
		{"alice@mastodon.social", "mastodon.social", "alice"},
		{"@alice@mastodon.social", "mastodon.social", "alice"},
		{" @alice@Mastodon.Social ", "Mastodon.Social", "alice"},
		{"https://mastodon.social/@alice", "https://mastodon.social", "alice"},
		{"http://127.0.0.1:8080/@alice", "http://127.0.0.1:8080", "alice"},
		{"https://mastodon.social/users/alice", "https://mastodon.social", "alice"},
		{"https://mastodon.social/about", "https://mastodon.social/about", ""},
		{"a@b@c", "a@b@c", ""},
	} {
		instance, user := loginTarget(tc.in)
		if instance != tc.instance || user != tc.user {
			t.Errorf("loginTarget(%q) = %q, %q; want %q, %q", tc.in, instance, user, tc.instance, tc.user)
		}
	}

	// End to end, with the profile address of a loopback server (a
	// handle would mean https, which the fake does not speak).
	net := mastodontest.NewNetwork(t)
	inst := net.NewInstance(mastodontest.InstanceOptions{})
	alice := inst.AddAccount("alice")
	home := newHome(t)
	r := mustRun(t, 0, home, alice.Token()+"\n", "login", inst.URL()+"/@alice", "--token-stdin")
	if !strings.Contains(r.stderr, "Logged in as "+alice.Handle()) {
		t.Errorf("login by profile address:\n%s", r.stderr)
	}
	// Signed in as someone else than named: said.
	bob := inst.AddAccount("bob")
	r = mustRun(t, 0, home, bob.Token()+"\n", "login", inst.URL()+"/@carol", "--token-stdin")
	if !strings.Contains(r.stderr, "Logged in as "+bob.Handle()) || !strings.Contains(r.stderr, "not carol@"+inst.Host()) {
		t.Errorf("login named carol, signed in bob:\n%s", r.stderr)
	}
}

// A cancelled login (Ctrl-C) has nothing to resume and says so plainly.
func TestLoginCancelledSaysNoResume(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	inst := net.NewInstance(mastodontest.InstanceOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runTool(t, ctx, newHome(t), "", "login", inst.URL(), "--no-browser")
	if r.code != ExitInterrupted || strings.TrimSpace(r.stderr) != "fedimarks: login cancelled" {
		t.Errorf("cancelled login: exit %d\n%s", r.code, r.stderr)
	}
}
