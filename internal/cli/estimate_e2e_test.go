package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// runToolAt is runTool with the clock now, shared with the fake servers.
func runToolAt(t *testing.T, now func() time.Time, want int, home string, args ...string) run {
	t.Helper()
	r := runToolWith(t, nil, home, "", func(o *IO) { o.Now = now }, args...)
	if r.code != want {
		t.Fatalf("fedimarks %s: exit %d, want %d\n%s", strings.Join(args, " "), r.code, want, r.stderr)
	}
	return r
}

// dryRunInto runs an import dry run of 30 posts of another server into a
// new account on a server of the quirk (set up further by setup) and
// returns its standard error.
func dryRunInto(t *testing.T, q mastodontest.Quirk, setup func(*mastodontest.Network, *mastodontest.Instance)) (string, *mastodontest.Instance) {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	clock := time.Date(2025, 1, 1, 12, 3, 7, 0, time.UTC)
	now := func() time.Time { return clock }
	net.SetClock(now)
	a := net.NewInstance(mastodontest.InstanceOptions{})
	d := net.NewInstance(mastodontest.InstanceOptions{Quirk: q})
	carol, bob := a.AddAccount("carol"), d.AddAccount("bob")
	var lines []string
	for k := 0; k < 30; k++ {
		lines = append(lines, carol.Post(mastodontest.PostOptions{}).URI())
	}
	home := newHome(t)
	mustRun(t, 0, home, bob.Token()+"\n", "login", d.URL(), "--token-stdin")
	if setup != nil {
		setup(net, d) // after the login, whose requests it would count
	}
	file := writeFile(t, "bookmarks.csv", strings.Join(lines, "\n")+"\n")
	r := runToolAt(t, now, 0, home, "import", file, "--to", bob.Handle(), "--dry-run")
	return r.stderr, d
}

// TestDryRunEstimateUsesTheServersBudget: the time a dry run announces
// comes from the limit and the budget left that the destination reports,
// not from Mastodon's limit with an empty budget; a server that reports
// none (snac) is said to, and only the requests are counted.
func TestDryRunEstimateUsesTheServersBudget(t *testing.T) {
	t.Run("snac reports no limit", func(t *testing.T) {
		stderr, d := dryRunInto(t, mastodontest.Snac, nil)
		want := "would take 61 requests; " + d.Host() + " sends no rate-limit headers (X-RateLimit-*): the estimate is the request count only\n"
		if !strings.Contains(stderr, want) || strings.Contains(stderr, "about") {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	})
	t.Run("gotosocial with its budget left", func(t *testing.T) {
		stderr, d := dryRunInto(t, mastodontest.GoToSocial, nil)
		want := "would take 61 requests, within the 300 left in " + d.Host() + "'s rate-limit window: no wait for it\n"
		if !strings.Contains(stderr, want) || strings.Contains(stderr, "about") {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	})
	t.Run("mastodon with little left", func(t *testing.T) {
		stderr, d := dryRunInto(t, mastodontest.Mastodon, func(_ *mastodontest.Network, d *mastodontest.Instance) {
			d.SetRateLimit(20, 5*time.Minute)
		})
		// The dry run spent 2 of 20 (instance, listing); the window ends
		// at 12:05:00, in 1m53s; 43 more requests need 3 windows more.
		want := "would take 61 requests: 18 left in " + d.Host() + "'s rate-limit window, which ends in 1m53s, then 20 a window: about 11m53s\n"
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	})
}
