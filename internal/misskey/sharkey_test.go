package misskey

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/remote"
)

// Sharkey answers a 429 with Retry-After (whole seconds) and its own
// X-RateLimit-* headers, with no info.resetMs: the wait is Retry-After's,
// said before it.
func TestSharkeyRateLimitWaitsRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "3")
			w.Header().Set("X-RateLimit-Reset", "2.345")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Clear", "60.000")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"message":"Rate limit exceeded. Please try again later.","code":"RATE_LIMIT_EXCEEDED","id":"d5826d14-3982-4d2e-8011-b9e9f02499ef"}}`))
			return
		}
		w.Write([]byte(`{"id":"u1","username":"alice"}`))
	}))
	defer srv.Close()
	var waits []string
	var slept []time.Duration
	c := New(Options{Server: srv.URL, Token: "tok-0123456789",
		Options: remote.Options{
			Sleep:  func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil },
			OnWait: func(e remote.WaitEvent) { waits = append(waits, e.Reason) },
		},
	})
	if _, err := c.I(context.Background()); err != nil {
		t.Fatalf("after a 429: %v", err)
	}
	if len(slept) != 1 || slept[0] != 3*time.Second || len(waits) != 1 || waits[0] != "429" {
		t.Errorf("waits %q %v, want one 429 wait of 3s", waits, slept)
	}
}
