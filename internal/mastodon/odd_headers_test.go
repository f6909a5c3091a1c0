package mastodon_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// sleepClock is a fake clock shared by the fake server and the client;
// the client's waits advance it and are recorded.
type sleepClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *sleepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *sleepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// TestOddRateLimitHeadersNeverBurst: a server that allows 3 requests a
// minute but writes odd headers. Every wait is positive and at most 15
// minutes, no request is given up, headers that can be read (epoch
// seconds or milliseconds, a reset years ahead, a negative count) cost no
// 429, and each odd one is noted once.
func TestOddRateLimitHeadersNeverBurst(t *testing.T) {
	for _, tt := range []struct {
		name      string
		mode      mastodontest.RateHeaders
		noted     bool
		max429    int
		maxWaited time.Duration
	}{
		// A window of a minute, and the margin.
		{"epoch seconds", mastodontest.ResetEpochSeconds, false, 0, time.Minute + time.Second},
		{"epoch milliseconds", mastodontest.ResetEpochMillis, false, 0, time.Minute + time.Second},
		{"negative remaining", mastodontest.RemainingNegative, true, 0, time.Minute + time.Second},
		{"ten years ahead", mastodontest.ResetFarFuture, true, 0, 15 * time.Minute},
		// No usable reset: waits of 1, 2, 4, ... seconds find the window's end.
		{"huge", mastodontest.ResetHuge, true, 6, time.Minute},
		{"garbage", mastodontest.ResetGarbage, true, 6, time.Minute},
		{"an hour ago", mastodontest.ResetPast, true, 6, time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &sleepClock{now: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
			net := mastodontest.NewNetwork(t)
			net.SetClock(clk.Now)
			inst := net.NewInstance(mastodontest.InstanceOptions{})
			tok := inst.AddAccount("alice").Token()
			inst.SetRateLimit(3, time.Minute)
			inst.SetRateHeaders(tt.mode)
			var notes []string
			c := mastodon.New(mastodon.Options{Server: inst.URL(), Token: tok,
				Options: remote.Options{
					Now:    clk.Now,
					Sleep:  clk.Sleep,
					OnNote: func(s string) { notes = append(notes, s) },
				},
			})
			const calls = 10
			for k := 0; k < calls; k++ {
				if _, err := c.VerifyCredentials(context.Background()); err != nil {
					t.Fatalf("call %d: %v", k+1, err)
				}
			}
			for _, d := range clk.waits {
				if d <= 0 || d > 15*time.Minute {
					t.Errorf("wait %v: every wait must be in (0, 15m]", d)
				}
				if d > tt.maxWaited {
					t.Errorf("wait %v, want at most %v", d, tt.maxWaited)
				}
			}
			if len(clk.waits) == 0 {
				t.Error("10 requests at 3 a minute never waited")
			}
			windows := 1 + (calls-1)/3
			if n := inst.Responses(429); n > tt.max429*windows {
				t.Errorf("%d answers of 429 in %d windows, want at most %d", n, windows, tt.max429*windows)
			}
			if tt.noted && len(notes) != 1 || !tt.noted && len(notes) != 0 {
				t.Errorf("notes %q, want %v once", notes, tt.noted)
			}
		})
	}
}
