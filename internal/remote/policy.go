// Package remote is the request policy that fedimarks' API adapters
// (internal/mastodon, internal/misskey) share toward one server: retries
// of transient failures with a capped exponential backoff and jitter, 429
// answers waited out (the server's Retry-After, else the end of the
// rate-limit window its headers named, else a backoff), pacing by the
// X-RateLimit-* headers so that the window's budget is used to its end
// without a 429 (budget.go; per endpoint for servers that limit each
// endpoint on its own, by Sharkey's leaky-bucket headers: endpoints.go),
// every wait capped at MaxWait and told
// through OnWait first, the "server found down" fail-fast (DownFor), and
// the count of requests sent.
//
// An adapter keeps what is its protocol: it builds each request, reads an
// error answer into its own error (and the wait the server asked for, in
// whatever form its protocol says it), and turns the result into the
// domain's error kinds. Policy.Do runs the attempts between the two.
package remote

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the policy.
const (
	// MaxWait caps any single wait (a rate-limit reset, a Retry-After):
	// after it a request goes, and its answer says what next.
	MaxWait = 15 * time.Minute
	// ResetMargin is added to a wait until a window's reset, so that the
	// next request reaches the server just after its window ended.
	ResetMargin = 100 * time.Millisecond
	// Max429Retries is how many consecutive 429 answers to one request are
	// waited out before the refusal is returned.
	Max429Retries = 10
	// DownFor is how long after a request went unanswered through all its
	// retries the next requests are tried once each instead of retried
	// again: the server was just found down, and a second round of waits
	// (a dry run asks twice) would only repeat that. Any answer ends it.
	DownFor = 2 * time.Minute

	defaultMaxRetries = 5
	defaultBackoff    = time.Second
	maxBackoff        = time.Minute
	// maxDrainBytes caps how much of an unread body is drained so that the
	// connection can be reused.
	maxDrainBytes = 256 << 10
)

// Options configures a Policy. The zero value of every field selects a
// sensible default.
type Options struct {
	// MaxRetries is how many times a transient failure (5xx, connection
	// failure) is retried; default 5. A negative value disables retries.
	MaxRetries int
	// Backoff is the first backoff step (default 1 s), doubled each retry
	// with up to 25% jitter added, capped at 1 minute.
	Backoff time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() in that
	// case; default a select on a timer and ctx.Done().
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait, if set, is called before every wait so that a UI can tell the
	// user why and for how long the client pauses.
	OnWait func(WaitEvent)
	// OnNote, if set, is called at most once, with a line saying what is
	// odd about the server's rate-limit headers (a reset that is no time
	// or decades away, a negative remaining count) the first time they
	// are; the policy goes on with safe waits. The line holds no server
	// text but a short excerpt of the header, control characters removed.
	OnNote func(string)
}

// WaitEvent describes a pause before a request.
type WaitEvent struct {
	// Reason is why: "rate limit", "429", "503 Retry-After", "503", "502",
	// "retry after connection reset", ...
	Reason string
	// Duration is how long the client waits.
	Duration time.Duration
	// Attempt is the number of the attempt that follows the wait (1 for the
	// first attempt of a request).
	Attempt int
}

// RateLimit is what the server last said about the request budget in its
// X-RateLimit-* headers. Known is false until a response carried them.
type RateLimit struct {
	Limit, Remaining int
	Reset            time.Time
	Known            bool
}

// Policy is the request policy of one client toward one server. It is
// safe for concurrent use: its callers share the rate-limit budget and
// what is known of the server's health.
type Policy struct {
	maxRetries int
	backoff    time.Duration
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	onWait     func(WaitEvent)
	onNote     func(string)

	requests  atomic.Int64
	budget    *budget   // paces the paced calls of no endpoint
	endpoints endpoints // pace the paced calls of each endpoint

	mu   sync.Mutex
	rate RateLimit
	// gaveUp is when a request last went unanswered after all its
	// retries (zero: none since the last answer); see retriesLeft.
	gaveUp time.Time
}

// New returns a Policy configured by o.
func New(o Options) *Policy {
	p := &Policy{maxRetries: o.MaxRetries, backoff: o.Backoff, now: o.Now, sleep: o.Sleep, onWait: o.OnWait, onNote: o.OnNote}
	switch {
	case p.maxRetries == 0:
		p.maxRetries = defaultMaxRetries
	case p.maxRetries < 0:
		p.maxRetries = 0
	}
	if p.backoff <= 0 {
		p.backoff = defaultBackoff
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.sleep == nil {
		p.sleep = Sleep
	}
	p.budget = newBudget(p.backoff)
	return p
}

// Requests returns how many HTTP requests were sent under the policy,
// counting every attempt, retries included.
func (p *Policy) Requests() int64 { return p.requests.Load() }

// RateLimit returns the X-RateLimit-* values of the last answer to a
// paced call that carried them.
func (p *Policy) RateLimit() RateLimit {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}

// Backoff returns the wait before retry n (1-based): Backoff doubled n-1
// times plus up to 25% jitter, capped at one minute.
func (p *Policy) Backoff(n int) time.Duration {
	d := p.backoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	if q := int64(d / 4); q > 0 {
		d += time.Duration(rand.Int64N(q))
	}
	return min(d, maxBackoff)
}

// Wait tells OnWait and sleeps d, capped to [0, MaxWait], before the
// given attempt; it returns ctx's error if ctx ends first.
func (p *Policy) Wait(ctx context.Context, reason string, d time.Duration, attempt int) error {
	d = min(max(d, 0), MaxWait)
	if p.onWait != nil {
		p.onWait(WaitEvent{Reason: reason, Duration: d, Attempt: attempt})
	}
	if err := p.sleep(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}

// SendOnce sends req with hc once, outside the policy (no pacing, no
// retry), counting it; a transport error comes back scrubbed of the URL.
func (p *Policy) SendOnce(hc *http.Client, req *http.Request) (*http.Response, error) {
	p.requests.Add(1)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, Scrub(err)
	}
	return resp, nil
}

// retriesLeft is how many retries a request may take after a failed
// connection: none while the server was just found down, else the
// policy's.
func (p *Policy) retriesLeft() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.gaveUp.IsZero() && p.now().Sub(p.gaveUp) < DownFor {
		return 0
	}
	return p.maxRetries
}

// answered records whether the server answered (any HTTP answer) or a
// request went unanswered after its retries.
func (p *Policy) answered(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		p.gaveUp = time.Time{}
	} else {
		p.gaveUp = p.now()
	}
}

// pacerOf is what a paced call spends: its endpoint's budget, or the
// server's one.
func (p *Policy) pacerOf(c Call) pacer {
	if c.Endpoint != "" {
		return p.endpoints.of(c.Endpoint)
	}
	return p.budget
}

// pace waits, before a paced request, until its pacer lets it go, then
// counts it as in flight until the pacer is told it landed. A call of an
// endpoint that has just waited out its own 429 goes at once.
func (p *Policy) pace(ctx context.Context, pc pacer, attempt int, after429 bool) error {
	if b, ok := pc.(*bucket); ok && after429 {
		b.pass()
		return nil
	}
	for {
		d, landed := pc.reserve(p.now())
		switch {
		case landed != nil:
			select {
			case <-landed:
			case <-ctx.Done():
				return ctx.Err()
			}
		case d > 0:
			if err := p.Wait(ctx, "rate limit", d, attempt); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// observe records the X-RateLimit-* headers of an answer to a request
// sent at sent, and tells OnNote the first time they are odd.
func (p *Policy) observe(c Call, sent time.Time, h http.Header) {
	if c.Endpoint != "" {
		p.endpoints.of(c.Endpoint).observe(sent, p.now(), h)
		return
	}
	rl, note := p.budget.observe(sent, p.now(), h)
	if note != "" && p.onNote != nil {
		p.onNote(note)
	}
	if rl.Known {
		p.mu.Lock()
		p.rate = rl
		p.mu.Unlock()
	}
}

// Sleep waits for d or until ctx is done (its error then): the wait of
// the clients, and of any caller given no other.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
