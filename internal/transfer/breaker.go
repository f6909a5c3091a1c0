package transfer

import (
	"fmt"
	"sync"
	"time"
)

// BreakerPolicy sets the per-domain circuit breaker. The zero value means
// the defaults: 3 consecutive unreachable results for posts of one domain
// (each after the client's own retries) open the breaker for that domain
// for 5 minutes, during which its rows end unreachable without a request;
// then one row is let through as a trial: success closes the breaker, a
// failure opens it for another 5 minutes. Mastodon's own importer is
// stricter (one error opens it for 5 minutes); three tolerates a single
// slow fetch.
type BreakerPolicy struct {
	Failures int
	Cooldown time.Duration
}

func (p BreakerPolicy) orDefault() BreakerPolicy {
	if p.Failures <= 0 {
		p.Failures = 3
	}
	if p.Cooldown <= 0 {
		p.Cooldown = 5 * time.Minute
	}
	return p
}

// breaker is the per-domain circuit breaker; safe for concurrent use.
type breaker struct {
	policy BreakerPolicy
	now    func() time.Time
	mu     sync.Mutex
	state  map[string]*domainState
}

type domainState struct {
	fails     int
	openUntil time.Time
	trial     bool // a trial request is out while half-open
}

func newBreaker(p BreakerPolicy, now func() time.Time) *breaker {
	return &breaker{policy: p.orDefault(), now: now, state: map[string]*domainState{}}
}

// allow reports whether a request for a post of domain may go out; when
// not, reason says why, for the row's detail.
func (b *breaker) allow(domain string) (ok bool, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[domain]
	if s == nil || s.fails < b.policy.Failures {
		return true, ""
	}
	if b.now().Before(s.openUntil) || s.trial {
		return false, fmt.Sprintf("not tried: %s did not answer %d times in a row (circuit breaker open); a rerun retries it", domain, s.fails)
	}
	s.trial = true
	return true, ""
}

// result is what a request told the breaker.
type result int

const (
	outcomeOK      result = iota // the server answered
	outcomeFail                  // unreachable
	outcomeNeutral               // cancelled: says nothing about the domain
)

// record notes the result of a request for a post of domain.
func (b *breaker) record(domain string, res result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[domain]
	if s == nil {
		s = &domainState{}
		b.state[domain] = s
	}
	s.trial = false
	switch res {
	case outcomeOK:
		s.fails = 0
		return
	case outcomeNeutral:
		return
	}
	s.fails++
	if s.fails >= b.policy.Failures {
		s.openUntil = b.now().Add(b.policy.Cooldown)
	}
}
