package misskey

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// pacedNet is a Misskey-family server (Sharkey when software says so) on
// a fake clock, with a client whose waits are told and pass on that clock.
type pacedNet struct {
	clock *clocktest.Clock
	srv   *mastodontest.Instance
	alice *mastodontest.Account
	bob   *mastodontest.Account // of a Mastodon server the notes come from

	mu    sync.Mutex
	waits []remote.WaitEvent
}

func newPacedNet(t *testing.T, software string) *pacedNet {
	n := mastodontest.NewNetwork(t)
	p := &pacedNet{clock: clocktest.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	n.SetClock(p.clock.Now)
	p.srv = n.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Misskey, Software: software})
	p.alice = p.srv.AddAccount("alice")
	p.bob = n.NewInstance(mastodontest.InstanceOptions{}).AddAccount("bob")
	return p
}

// options are the client's: its sleeps are given by sleep (nil: they
// move the fake clock on).
func (p *pacedNet) options(sleep func(ctx context.Context, d time.Duration) error) Options {
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error { p.clock.Advance(d); return ctx.Err() }
	}
	return Options{Server: p.srv.URL(), Token: p.alice.Token(), Options: remote.Options{
		Now: p.clock.Now, Sleep: sleep, Backoff: time.Second,
		OnWait: func(e remote.WaitEvent) { p.mu.Lock(); p.waits = append(p.waits, e); p.mu.Unlock() },
	}}
}

func (p *pacedNet) said() []remote.WaitEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]remote.WaitEvent(nil), p.waits...)
}

// A 429 of one endpoint holds back the other calls of that endpoint until
// the time it named (they wait, said, instead of meeting 429s of their
// own), and no call of another endpoint: Misskey limits each endpoint on
// its own.
func TestThrottledEndpointDoesNotHoldBackAnother(t *testing.T) {
	p := newPacedNet(t, "")
	p.srv.SetEndpointLimit("ap/show", 1, time.Hour)
	for range 3 {
		p.alice.Favorite(p.bob.Post(mastodontest.PostOptions{}))
	}
	asleep := make(chan time.Duration, 64)
	wake := make(chan struct{})
	c := New(p.options(func(ctx context.Context, d time.Duration) error {
		asleep <- d
		select {
		case <-wake:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	w := NewWriter(c)
	ctx := context.Background()
	if _, err := w.Resolve(ctx, p.bob.Post(mastodontest.PostOptions{}).URI()); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	resolve := func() {
		_, err := w.Resolve(ctx, p.bob.Post(mastodontest.PostOptions{}).URI())
		errs <- err
	}
	go resolve()
	if d := <-asleep; d != remote.MaxWait {
		t.Errorf("the 429 (window an hour away) is waited %v, want %v", d, remote.MaxWait)
	}
	go resolve()
	if d := <-asleep; d <= 0 || d > remote.MaxWait {
		t.Errorf("another ap/show waits %v, want until the window named", d)
	}
	if n := p.srv.Responses(429); n != 1 {
		t.Errorf("the server answered 429 %d times: the other ap/show was not held back", n)
	}
	// i/favorites is not held back by ap/show's limit.
	page, err := c.FavoritesPage(ctx, "")
	if err != nil || len(page.Statuses) != 3 {
		t.Fatalf("favorites while ap/show waits: %d, %v", len(page.Statuses), err)
	}
	select {
	case d := <-asleep:
		t.Errorf("i/favorites waited %v", d)
	default:
	}
	p.srv.SetEndpointLimit("ap/show", 0, 0) // both go through once woken
	p.clock.Advance(time.Hour)
	close(wake)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("after the window: %v", err)
		}
	}
	said := p.said()
	if len(said) < 2 || said[0].Reason != "429" || said[0].Duration != remote.MaxWait || said[1].Reason != "rate limit" {
		t.Errorf("waits said: %+v", said)
	}
}

// Misskey's own 429 has no header: the end of the window is the body's
// info.resetMs (Unix milliseconds). It is waited for, each wait at most
// 15 minutes and said before it, until the window ends; the call then
// goes through.
func TestMisskeyResetMsWaitedCappedAndSaid(t *testing.T) {
	p := newPacedNet(t, "")
	p.srv.SetEndpointLimit("i", 1, time.Hour)
	c := New(p.options(nil))
	ctx := context.Background()
	if _, err := c.I(ctx); err != nil {
		t.Fatal(err)
	}
	start := p.clock.Now()
	p.clock.Advance(10 * time.Minute) // the window ends 50 minutes from now
	if _, err := c.I(ctx); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	said := p.said()
	var got []string
	for _, e := range said {
		got = append(got, fmt.Sprintf("%s %v", e.Reason, e.Duration))
	}
	want := []string{"429 15m0s", "429 15m0s", "429 15m0s", "429 5m0s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits said %q, want %q", got, want)
	}
	if took := p.clock.Now().Sub(start); took < time.Hour || took > time.Hour+2*time.Second {
		t.Errorf("the call went through %v after the window began, want just after an hour", took)
	}
	if n := p.srv.Responses(429); n != 4 {
		t.Errorf("%d answers 429, want 4 (one a wait)", n)
	}
}

// Sharkey says on every answer what is left of the endpoint's bucket
// (X-RateLimit-Remaining) and when it is empty (X-RateLimit-Clear): the
// client paces each endpoint by them, so that no call meets a 429, and
// uses the budget (a bucket of 30 ap/show dripping one every 2 s: 100
// calls take the 140 s that the 70 beyond the bucket need, and little
// more). Older versions write Clear in whole seconds: the drip is then
// bounded from above, a little slower, still without a 429.
func TestSharkeyPacedWithoutA429(t *testing.T) {
	for _, c := range []struct {
		name  string
		whole bool
		most  time.Duration
	}{
		{"milliseconds", false, 147 * time.Second},
		{"whole seconds", true, 150 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPacedNet(t, "sharkey")
			p.srv.SetSharkeyWholeSeconds(c.whole)
			cl := New(p.options(nil))
			w := NewWriter(cl)
			ctx := context.Background()
			start := p.clock.Now()
			for k := range 100 {
				if _, err := w.Resolve(ctx, p.bob.Post(mastodontest.PostOptions{}).URI()); err != nil {
					t.Fatalf("call %d: %v", k, err)
				}
				// i (10 a second) beside it is not held back by ap/show.
				if k%10 == 0 {
					before := len(p.said())
					if _, err := cl.I(ctx); err != nil {
						t.Fatal(err)
					}
					if said := p.said(); len(said) != before {
						t.Errorf("i waited: %+v", said[before:])
					}
				}
			}
			if n := p.srv.Responses(429); n != 0 {
				t.Errorf("Sharkey answered 429 %d times", n)
			}
			took := p.clock.Now().Sub(start)
			if need := 140 * time.Second; took < need || took > c.most {
				t.Errorf("100 ap/show took %v of the clock, want %v to %v", took, need, c.most)
			}
			t.Logf("100 ap/show in %v of the clock", took)
			for _, e := range p.said() {
				if e.Reason != "rate limit" || e.Duration > 3*time.Second {
					t.Errorf("wait said %+v, want short rate-limit waits", e)
					break
				}
			}
		})
	}
}
