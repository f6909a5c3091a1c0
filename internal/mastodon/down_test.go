package mastodon

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/remote"
)

// A server found down (no answer through a whole round of retries) is not
// waited for again by the client's next requests for a while: each is
// tried once. Any answer, or time, gives the full retries back. (A dry run
// against a dead server asked twice, each time through every retry: about
// 70 s to say the server is down.)
func TestServerFoundDownIsNotRetriedAgainAtOnce(t *testing.T) {
	var down atomic.Bool
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.inc()
		if down.Load() {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"1","uri":"https://x.example/1","url":"https://x.example/1","content":"","created_at":"2020-01-01T00:00:00Z","account":{"id":"1","acct":"a","url":"https://x.example/@a"}}`))
	})
	c, rec := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 3 })
	ctx := context.Background()
	try := func(why string, wantOK bool, wantRequests int) {
		t.Helper()
		before := h.get()
		_, err := c.Status(ctx, "1")
		if (err == nil) != wantOK {
			t.Fatalf("%s: err = %v", why, err)
		}
		// net/http itself sends a GET once more when a kept-alive
		// connection turns out closed: one request more is its own.
		if got := h.get() - before; got != wantRequests && got != wantRequests+1 {
			t.Errorf("%s: %d requests, want %d", why, got, wantRequests)
		}
	}
	down.Store(true)
	try("first request to a dead server", false, 4)
	sleeps := len(rec.Sleeps())
	try("next request at once", false, 1)
	try("and the one after", false, 1)
	if len(rec.Sleeps()) != sleeps {
		t.Errorf("the next request waited again: %v", rec.Sleeps()[sleeps:])
	}
	rec.clock.Advance(remote.DownFor + time.Second)
	try("a request once the while is over", false, 4)
	down.Store(false)
	try("an answer", true, 1)
	down.Store(true)
	try("down again after an answer", false, 4)
}
