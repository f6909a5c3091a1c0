package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

func TestRegisteredLoopbackPort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		port int
		ok   bool
	}{
		{"http://127.0.0.1:4242/callback\nurn:ietf:wg:oauth:2.0:oob", 4242, true},
		{"urn:ietf:wg:oauth:2.0:oob http://127.0.0.1:80/callback", 80, true},
		{"urn:ietf:wg:oauth:2.0:oob", 0, false},
		{"http://127.0.0.1/callback", 0, false},
		{"http://example.com:4242/callback", 0, false},
		{"https://127.0.0.1:4242/callback", 0, false},
		{"http://127.0.0.1:4242/other", 0, false},
	} {
		port, ok := registeredLoopbackPort(tc.in)
		if port != tc.port || ok != tc.ok {
			t.Errorf("registeredLoopbackPort(%q) = %d, %v; want %d, %v", tc.in, port, ok, tc.port, tc.ok)
		}
	}
}

func TestLoopbackReceiver(t *testing.T) {
	ctx := context.Background()
	get := func(t *testing.T, u string) int {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	listen := func(t *testing.T) *loopbackReceiver {
		t.Helper()
		port, err := freeLoopbackPort()
		if err != nil {
			t.Fatal(err)
		}
		r, err := listenLoopback(port, "the-state")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.close(ctx) })
		if host, _, _ := strings.Cut(r.addr, ":"); host != "127.0.0.1" {
			t.Errorf("listening on %s, want 127.0.0.1 only", r.addr)
		}
		return r
	}

	t.Run("code", func(t *testing.T) {
		r := listen(t)
		if s := get(t, r.redirectURI+"?code=abc&state=the-state"); s != 200 {
			t.Errorf("status %d", s)
		}
		// A second answer changes nothing.
		get(t, r.redirectURI+"?code=other&state=the-state")
		code, err := r.wait(ctx, time.Minute)
		if err != nil || code != "abc" {
			t.Errorf("wait = %q, %v; want abc", code, err)
		}
	})
	t.Run("wrong state", func(t *testing.T) {
		r := listen(t)
		if s := get(t, r.redirectURI+"?code=abc&state=forged"); s != 400 {
			t.Errorf("status %d, want 400", s)
		}
		if _, err := r.wait(ctx, time.Minute); fedimarks.ErrorCode(err) != fedimarks.EAuth || !strings.Contains(err.Error(), "wrong state") {
			t.Errorf("wait err = %v", err)
		}
	})
	t.Run("no state", func(t *testing.T) {
		r := listen(t)
		if s := get(t, r.redirectURI+"?code=abc"); s != 400 {
			t.Errorf("status %d, want 400", s)
		}
		if _, err := r.wait(ctx, time.Minute); err == nil {
			t.Error("a code without state was accepted")
		}
	})
	t.Run("denied", func(t *testing.T) {
		r := listen(t)
		get(t, r.redirectURI+"?error=access_denied&error_description=no+thanks&state=the-state")
		if _, err := r.wait(ctx, time.Minute); err == nil || !strings.Contains(err.Error(), "access_denied: no thanks") {
			t.Errorf("wait err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		r := listen(t)
		if _, err := r.wait(ctx, time.Millisecond); err == nil || !strings.Contains(err.Error(), "no approval came") {
			t.Errorf("wait err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		r := listen(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := r.wait(cctx, time.Minute); !errors.Is(err, context.Canceled) {
			t.Errorf("wait err = %v", err)
		}
	})
	t.Run("other paths", func(t *testing.T) {
		r := listen(t)
		if s := get(t, "http://"+r.addr+"/favicon.ico"); s != 404 {
			t.Errorf("status %d, want 404", s)
		}
		resp, err := http.Post(r.redirectURI+"?code=abc&state=the-state", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Errorf("POST status %d, want 405", resp.StatusCode)
		}
		if _, err := r.wait(ctx, time.Millisecond); err == nil || !strings.Contains(err.Error(), "no approval") {
			t.Errorf("a stray request delivered a result: %v", err)
		}
	})
}
