package mastodontest

import (
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
)

// Sharkey limits each endpoint with a leaky bucket and says so on every
// answer: Remaining and Clear, and on a 429 Retry-After (whole seconds,
// rounded up) and X-RateLimit-Reset (seconds, 3 decimals) until a slot
// drips free; its info.resetMs is milliseconds from now.
func TestSharkeyLeakyBucketPerEndpoint(t *testing.T) {
	n := NewNetwork(t)
	clock := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	n.SetClock(clock.Now)
	sk := n.NewInstance(InstanceOptions{Quirk: Misskey, Software: "sharkey", Version: "2025.4.3"})
	tok := sk.AddAccount("alice").Token()
	call := func(ep string) result { return mkCall(t, sk, ep, map[string]any{"i": tok}) }
	type want struct {
		status                         int
		remaining, clear, retry, reset string
	}
	check := func(why string, r result, w want) {
		t.Helper()
		h := r.header
		if r.status != w.status || h.Get("X-RateLimit-Remaining") != w.remaining || h.Get("X-RateLimit-Clear") != w.clear ||
			h.Get("Retry-After") != w.retry || h.Get("X-RateLimit-Reset") != w.reset || h.Get("X-RateLimit-Limit") != "" {
			t.Errorf("%s: %d remaining %q clear %q retry %q reset %q limit %q, want %+v", why, r.status,
				h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Clear"), h.Get("Retry-After"), h.Get("X-RateLimit-Reset"), h.Get("X-RateLimit-Limit"), w)
		}
	}
	// ap/show: 30 a minute, a bucket of 30 dripping one every 2 s.
	for k := 1; k <= 30; k++ {
		r := mkCall(t, sk, "ap/show", map[string]any{"i": tok, "uri": sk.URL() + "/notes/9zzzzzzz"})
		if k == 1 {
			check("first", r, want{400, "29", "2.000", "", ""})
		}
		if k == 30 {
			check("30th", r, want{400, "0", "60.000", "", ""})
		}
	}
	clock.Advance(500 * time.Millisecond)
	r := mkCall(t, sk, "ap/show", map[string]any{"i": tok, "uri": "x"})
	check("31st, 0.5 s on", r, want{429, "0", "60.000", "2", "1.500"})
	var e mkErr
	r.json(t, &e)
	if e.Error.Code != "RATE_LIMIT_EXCEEDED" || e.Error.Info["resetMs"] != float64(1500) {
		t.Errorf("429 body %s", r.body)
	}
	// Another endpoint has its own bucket: i, 10 a second.
	check("i", call("i"), want{200, "9", "0.100", "", ""})
	// A slot drips free 2 s after the bucket's first call.
	clock.Advance(1500 * time.Millisecond)
	check("a slot free", mkCall(t, sk, "ap/show", map[string]any{"i": tok, "uri": "x"}), want{400, "0", "60.000", "", ""})
	check("none again", mkCall(t, sk, "ap/show", map[string]any{"i": tok, "uri": "x"}), want{429, "0", "60.000", "2", "2.000"})
	// A minute on, the bucket is empty.
	clock.Advance(time.Minute)
	check("drained", mkCall(t, sk, "ap/show", map[string]any{"i": tok, "uri": "x"}), want{400, "29", "2.000", "", ""})
	if sk.Responses(429) != 2 {
		t.Errorf("Responses(429) = %d", sk.Responses(429))
	}
}

// Older Sharkey versions write Clear in whole seconds, rounded up, and
// Reset in milliseconds.
func TestSharkeyWholeSecondHeaders(t *testing.T) {
	n := NewNetwork(t)
	clock := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	n.SetClock(clock.Now)
	sk := n.NewInstance(InstanceOptions{Quirk: Misskey, Software: "sharkey", Version: "2024.8.1"})
	sk.SetSharkeyWholeSeconds(true)
	tok := sk.AddAccount("alice").Token()
	var last result
	for range 11 {
		last = mkCall(t, sk, "i", map[string]any{"i": tok})
	}
	h := last.header
	if last.status != 429 || h.Get("X-RateLimit-Clear") != "1" || h.Get("X-RateLimit-Reset") != "100" || h.Get("Retry-After") != "1" {
		t.Errorf("11th call of i: %d clear %q reset %q retry %q", last.status, h.Get("X-RateLimit-Clear"), h.Get("X-RateLimit-Reset"), h.Get("Retry-After"))
	}
}
