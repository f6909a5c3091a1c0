package remote

import (
	"net/http"
	"testing"
	"time"
)

func sharkeyHeaders(remaining, clear string) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Remaining", remaining)
	h.Set("X-RateLimit-Clear", clear)
	return h
}

// Until the endpoint's first answer, one call at a time; an endpoint
// whose answers carry no Sharkey header (Misskey's own) is not paced,
// but a hold (a 429's wait) keeps its calls back until it ends.
func TestBucketFirstCallAloneThenMisskeyUnpacedButHeld(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	b := &bucket{}
	if d, ch := b.reserve(t0); d != 0 || ch != nil {
		t.Fatalf("first call: %v %v", d, ch)
	}
	if _, ch := b.reserve(t0); ch == nil {
		t.Fatal("a second call went before the first answer")
	}
	b.observe(t0, t0.Add(10*time.Millisecond), http.Header{})
	b.land()
	for k := range 50 {
		if d, ch := b.reserve(t0); d != 0 || ch != nil {
			t.Fatalf("call %d on an endpoint without headers waits %v %v", k, d, ch)
		}
	}
	b.hold(t0.Add(time.Minute))
	if d, _ := b.reserve(t0.Add(10 * time.Second)); d != 50*time.Second {
		t.Errorf("held call waits %v, want 50s", d)
	}
	if d, ch := b.reserve(t0.Add(time.Minute)); d != 0 || ch != nil {
		t.Errorf("after the hold: %v %v", d, ch)
	}
}

// The drip and the size come from two answers; an answer that comes late
// (sent before the last one) does not give back room the last one took.
func TestBucketLearnsAndIgnoresLateAnswers(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	b := &bucket{}
	b.reserve(t0)
	b.observe(t0, t0.Add(10*ms), sharkeyHeaders("29", "2.000"))
	b.land()
	b.reserve(t0.Add(20 * ms))
	b.reserve(t0.Add(20 * ms))
	b.observe(t0.Add(20*ms), t0.Add(30*ms), sharkeyHeaders("0", "60.000"))
	b.land()
	if b.drip != 2*time.Second || b.size != 30 {
		t.Fatalf("drip %v size %d, want 2s and 30", b.drip, b.size)
	}
	b.observe(t0.Add(15*ms), t0.Add(40*ms), sharkeyHeaders("27", "6.000")) // late
	b.land()
	at := t0.Add(30 * ms)
	if d, ch := b.reserve(at.Add(time.Second)); d != time.Second+100*ms || ch != nil {
		t.Errorf("spent bucket, 1 s on: wait %v %v, want until a drip and its margin (1.1s)", d, ch)
	}
	if d, ch := b.reserve(at.Add(2*time.Second + 100*ms)); d != 0 || ch != nil {
		t.Errorf("a drip on: %v %v", d, ch)
	}
	b.land()
	// Long after, the bucket holds its size, not more.
	later := at.Add(time.Hour)
	for k := range 30 {
		if d, ch := b.reserve(later); d != 0 || ch != nil {
			t.Fatalf("call %d of an empty bucket waits %v", k, d)
		}
	}
	if _, ch := b.reserve(later); ch == nil {
		t.Error("a 31st call in flight went into a bucket of 30")
	}
}
