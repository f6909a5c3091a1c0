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

// TestConcurrentCallersShareTheBudget: four goroutines on one client (as
// the importer's searches are) stay within a 10-requests-per-second window
// instead of each trusting the last X-RateLimit-Remaining it saw.
func TestConcurrentCallersShareTheBudget(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	inst := net.NewInstance(mastodontest.InstanceOptions{})
	tok := inst.AddAccount("alice").Token()
	c := mastodon.New(mastodon.Options{Server: inst.URL(), Token: tok, Options: remote.Options{Backoff: 10 * time.Millisecond}})
	// First answer: the budget is known before the crowd starts.
	inst.SetRateLimit(10, time.Second)
	if _, err := c.VerifyCredentials(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				if _, err := c.VerifyCredentials(context.Background()); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A 429 at a window's edge can come from the clocks; a crowd of them
	// means the callers overshot the budget.
	if n := inst.Responses(429); n > 1 {
		t.Errorf("%d answers of 429 for 33 requests paced at 10 per second", n)
	}
}

// TestManyRequestsWithinAGenerousLimitNeverWait: a budget that answers
// keep refilling (Remaining stays high) never makes callers wait.
func TestManyRequestsWithinAGenerousLimitNeverWait(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	inst := net.NewInstance(mastodontest.InstanceOptions{}) // 300 / 5 min headers, never spent
	tok := inst.AddAccount("alice").Token()
	var waits []mastodon.WaitEvent
	var mu sync.Mutex
	c := mastodon.New(mastodon.Options{Server: inst.URL(), Token: tok,
		Options: remote.Options{
			OnWait: func(e mastodon.WaitEvent) {
				mu.Lock()
				waits = append(waits, e)
				mu.Unlock()
			},
		},
	})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 120; i++ {
				if _, err := c.VerifyCredentials(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(waits) > 0 {
		t.Fatalf("480 requests under a limit never reached waited: %+v", waits[0])
	}
}
