package remote

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pacer is what a paced call spends: the server's one budget (budget, by
// the X-RateLimit-Limit/Remaining/Reset windows of Mastodon and the like)
// or one endpoint's (bucket).
type pacer interface {
	// reserve asks, at now, whether a request may go: (0, nil) and it
	// counts as in flight until land; else a wait before asking again, or
	// a channel closed when a request in flight lands.
	reserve(now time.Time) (time.Duration, <-chan struct{})
	land()
}

// endpoints are the per-endpoint budgets of a server that limits each
// endpoint on its own (Misskey, Sharkey), by endpoint.
type endpoints struct {
	mu sync.Mutex
	m  map[string]*bucket
}

// of returns the bucket of endpoint, made on first use.
func (e *endpoints) of(endpoint string) *bucket {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]*bucket{}
	}
	b := e.m[endpoint]
	if b == nil {
		b = &bucket{}
		e.m[endpoint] = b
	}
	return b
}

// bucket paces the calls of one endpoint. Sharkey limits each endpoint
// with a leaky bucket (SkRateLimiterService): a bucket of size calls that
// drains one call every drip; a call is refused when the bucket is full.
// Every answer says X-RateLimit-Remaining (calls that can still go now)
// and X-RateLimit-Clear (seconds until the bucket is empty: the calls in
// it times drip, with 3 decimals; whole seconds rounded up in older
// versions), but neither the size nor the drip. Two answers with other
// Remaining counts give the drip (Clear changes by one drip per call:
// calls = size - Remaining, Clear = calls x drip), and then the size.
//
// A call goes when the last answer's Remaining, plus the drips since it,
// less the calls in flight, leaves room; else it waits for the next drip
// (until the bucket is empty while the drip is unknown). Until the first
// answer of the endpoint, one call at a time. An endpoint whose answers
// carry no such header (Misskey's own, which answers 429 with a Unix
// time in its body and nothing before) is not paced, but a 429 holds
// back every call of its endpoint until the wait it named (hold), and
// only those: another endpoint has its own budget.
type bucket struct {
	mu       sync.Mutex
	inflight flights
	answered bool // an answer came
	headers  bool // an answer carried Remaining and Clear
	last     bucketAnswer
	ref      bucketAnswer  // the answer with the most room seen, to learn from
	drip     time.Duration // learned; 0 unknown
	size     int           // learned; 0 unknown
	until    time.Time     // local clock: no call before (a 429's wait)
}

// bucketAnswer is what one answer said, and when it came.
type bucketAnswer struct {
	remaining int
	clear     time.Duration
	exact     bool      // Clear had milliseconds
	sent, at  time.Time // local clock
}

// drips is how many drips certainly happened between an answer that came
// at and now, a margin kept for the clocks of the server's nodes.
func (b *bucket) drips(now time.Time) int {
	if b.drip <= 0 {
		return 0
	}
	d := now.Sub(b.last.at) - b.margin()
	if d < 0 {
		return 0
	}
	return int(d / b.drip)
}

// margin is kept after a drip or the bucket's emptying before counting on
// it: a twentieth of a drip, at most ResetMargin.
func (b *bucket) margin() time.Duration {
	if b.drip > 0 {
		return min(ResetMargin, b.drip/20)
	}
	return ResetMargin
}

// pass lets a call that has just waited out a 429 of its own go: the
// hold it set is for the others. It counts as in flight until land.
func (b *bucket) pass() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight.n++
}

func (b *bucket) reserve(now time.Time) (time.Duration, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.until) {
		return b.until.Sub(now), nil
	}
	switch {
	case !b.answered:
		if b.inflight.n > 0 {
			return 0, b.inflight.wait()
		}
	case b.headers:
		room, wait := b.room(now)
		if room-b.inflight.n <= 0 {
			if wait > 0 {
				return wait, nil
			}
			return 0, b.inflight.wait()
		}
	}
	b.inflight.n++
	return 0, nil
}

// room is how many calls the bucket takes at now by what is known, and
// when it takes one more (0: only when a call lands).
func (b *bucket) room(now time.Time) (int, time.Duration) {
	a := b.last
	if b.drip > 0 {
		k := b.drips(now)
		room := a.remaining + k
		if b.size > 0 && room >= b.size {
			return b.size, 0
		}
		next := a.at.Add(b.margin() + time.Duration(k+1)*b.drip)
		return room, next.Sub(now)
	}
	empty := a.at.Add(a.clear + b.margin())
	if now.Before(empty) {
		return a.remaining, empty.Sub(now)
	}
	// Empty: the answer's own call was in it, so it holds one more.
	return a.remaining + 1, 0
}

func (b *bucket) land() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight.land()
}

// observe records an answer to a call sent at sent that came at now.
func (b *bucket) observe(sent, now time.Time, h http.Header) {
	a, ok := readBucketHeaders(h)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answered = true
	if !ok {
		return
	}
	a.sent, a.at = sent, now
	if b.headers && sent.Before(b.last.sent) && a.remaining >= b.last.remaining {
		return // a late answer says no less than the last one
	}
	if b.headers {
		b.learn(a)
	}
	if !b.headers || a.remaining >= b.ref.remaining {
		b.ref = a
	}
	b.headers, b.last = true, a
}

// learn narrows the drip and the size by a new answer a and the answer
// with the most room seen: Clear is the calls in the bucket n times the
// drip d and Remaining is the size less n, so between two answers Clear
// changes by d for each call Remaining changes. With milliseconds that is
// d (a drip of several calls at once reads larger: the safe side); with
// Clear in whole seconds rounded up, it bounds d from above, closer the
// more calls lie between the two.
func (b *bucket) learn(a bucketAnswer) {
	ref := b.ref
	calls := ref.remaining - a.remaining
	if calls <= 0 {
		return
	}
	var d time.Duration
	if a.exact && ref.exact {
		d = max(b.drip, (a.clear-ref.clear)/time.Duration(calls))
	} else if up := (a.clear - ref.clear + time.Second) / time.Duration(calls); up > 0 {
		d = up
		if b.drip > 0 && b.drip < up {
			d = b.drip
		}
	}
	if d <= 0 || d > MaxWait {
		return
	}
	b.drip = d
	// The calls in the bucket: Clear / d, at least (Clear - 1 s) / d when
	// Clear was rounded up to whole seconds.
	in := int((a.clear + d/2) / d)
	if !a.exact {
		in = int((max(a.clear-time.Second, 0) + d - 1) / d)
	}
	if size := a.remaining + in; size > 0 && (b.size == 0 || size < b.size) {
		b.size = size
	}
}

// hold keeps every call of the endpoint back until t (a 429's wait).
func (b *bucket) hold(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.until) {
		b.until = t
	}
}

// readBucketHeaders reads Sharkey's X-RateLimit-Remaining and
// X-RateLimit-Clear; ok is false unless both are there and are numbers.
func readBucketHeaders(h http.Header) (a bucketAnswer, ok bool) {
	rs, cs := strings.TrimSpace(h.Get("X-RateLimit-Remaining")), strings.TrimSpace(h.Get("X-RateLimit-Clear"))
	if rs == "" || cs == "" {
		return a, false
	}
	r, err1 := strconv.Atoi(rs)
	c, err2 := strconv.ParseFloat(cs, 64)
	if err1 != nil || err2 != nil || c < 0 {
		return a, false
	}
	a.remaining = max(r, 0)
	a.exact = strings.Contains(cs, ".")
	if c > MaxWait.Seconds() {
		a.clear, a.exact = MaxWait, false // waits are capped; no drip from it
	} else {
		a.clear = time.Duration(c * float64(time.Second)).Round(time.Millisecond)
	}
	return a, true
}
