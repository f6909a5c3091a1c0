package misskey

import (
	"context"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/clocktest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// A Misskey server found down (no answer through a whole round of
// retries) is not waited for again by the client's next requests for two
// minutes: each is tried once, as the Mastodon client does. Any answer,
// or time, gives the full retries back.
func TestServerFoundDownIsNotRetriedAgainAtOnce(t *testing.T) {
	mk, alice, _ := newNet(t)
	clk := clocktest.New(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	var sleeps int
	c := New(Options{Server: mk.URL(), Token: alice.Token(),
		Options: remote.Options{
			MaxRetries: 3,
			Now:        clk.Now,
			Sleep:      func(ctx context.Context, d time.Duration) error { sleeps++; clk.Advance(d); return ctx.Err() },
		},
	})
	ctx := context.Background()
	try := func(why string, wantOK bool, wantRequests int64) {
		t.Helper()
		before := c.Requests()
		_, err := c.I(ctx)
		if (err == nil) != wantOK {
			t.Fatalf("%s: err = %v", why, err)
		}
		if !wantOK && fedimarks.ErrorKind(err) != fedimarks.KindUnreachable {
			t.Errorf("%s: kind %q, want unreachable (%v)", why, fedimarks.ErrorKind(err), err)
		}
		if got := c.Requests() - before; got != wantRequests {
			t.Errorf("%s: %d requests, want %d", why, got, wantRequests)
		}
	}
	mk.SetDown(true)
	try("first request to a dead server", false, 4)
	before := sleeps
	try("next request at once", false, 1)
	try("and the one after", false, 1)
	if sleeps != before {
		t.Errorf("the next requests waited again: %d waits", sleeps-before)
	}
	clk.Advance(2*time.Minute + time.Second)
	try("a request once the while is over", false, 4)
	mk.SetDown(false)
	try("an answer", true, 1)
	mk.SetDown(true)
	try("down again after an answer", false, 4)
}
