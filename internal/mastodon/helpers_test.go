package mastodon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

const testToken = "sekrit-token-0123456789"

// recorder is an injected Sleep that records every wait, advances the fake
// clock (if any) and returns at once, honouring ctx.
type recorder struct {
	mu     sync.Mutex
	clock  *clocktest.Clock
	sleeps []time.Duration
	events []WaitEvent
}

func (r *recorder) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.sleeps = append(r.sleeps, d)
	r.mu.Unlock()
	if r.clock != nil {
		r.clock.Advance(d)
	}
	return ctx.Err()
}

func (r *recorder) OnWait(e WaitEvent) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) Sleeps() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

func (r *recorder) Events() []WaitEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]WaitEvent(nil), r.events...)
}

// epoch is the fake "now" of tests: far from the real clock, so that a
// test passing proves the server's Date, not the local clock, was used
// where it should be.
var epoch = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// newTestClient returns a client for srv with a recorder for waits and a
// fake clock at epoch.
func newTestClient(t *testing.T, srv *httptest.Server, mod ...func(*Options)) (*Client, *recorder) {
	t.Helper()
	clk := clocktest.New(epoch)
	rec := &recorder{clock: clk}
	opts := Options{
		Server: srv.URL,
		Token:  testToken,
		Options: remote.Options{
			Backoff: time.Second,
			Now:     clk.Now,
			Sleep:   rec.Sleep,
			OnWait:  rec.OnWait,
		},
	}
	for _, m := range mod {
		m(&opts)
	}
	return New(opts), rec
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func newServerB(b *testing.B, h http.HandlerFunc) string {
	b.Helper()
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}

// hits counts requests to a handler.
type hits struct {
	mu sync.Mutex
	n  int
}

func (h *hits) inc() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	return h.n
}

func (h *hits) get() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// statusJSON is a minimal Mastodon status.
func statusJSON(id string) string {
	return `{"id":"` + id + `","uri":"https://remote.example/users/a/statuses/` + id + `","url":"https://remote.example/@a/` + id + `","created_at":"2024-01-02T03:04:05.000Z","account":{"id":"9","username":"a","acct":"a@remote.example"},"content":"<p>hi</p>"}`
}
