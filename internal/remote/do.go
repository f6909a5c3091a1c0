package remote

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Call is one logical request, which Do may send several times.
type Call struct {
	// Client sends the requests.
	Client *http.Client
	// NewRequest builds the request afresh for each attempt (a fresh
	// body each time). Its error is returned as it is.
	NewRequest func(ctx context.Context) (*http.Request, error)
	// Refused reads an answer that is not a success (status outside
	// 200-299) into the adapter's error, closing its body.
	Refused func(*http.Response) Refusal
	// Idempotent calls are retried after any transient failure; the
	// others only when nothing was sent (connection refused) or on 429.
	Idempotent bool
	// Paced calls spend the server's X-RateLimit-* budget: each waits
	// until the budget lets it go, and their answers' headers are read.
	Paced bool
	// Endpoint, for a paced call to a server that limits each endpoint
	// on its own (Misskey, Sharkey), names the budget it spends: calls of
	// one Endpoint share one, paced by Sharkey's X-RateLimit-Remaining
	// and -Clear, and a 429 holds back the calls of its endpoint only.
	// Empty: the server's one budget (Mastodon's is per account and IP).
	Endpoint string
	// Elsewhere calls go to another host (media on a CDN): whether they
	// are answered says nothing of the server's health.
	Elsewhere bool
}

// Refusal is what an adapter makes of an answer that is not a success.
type Refusal struct {
	// Err is the adapter's error for the answer, returned by Do when the
	// answer is not retried.
	Err error
	// RetryAfter is the wait the server asked for (a Retry-After header,
	// Misskey's info.resetMs), 0 if none. It is honoured on 429 and 503.
	RetryAfter time.Duration
	// Final marks an answer not worth retrying whatever its status (a 500
	// that the server's own error code says will not change).
	Final bool
}

// NoAnswer is a request that got no HTTP answer: the connection failed
// (refused, reset, dropped, timed out, name not resolved, TLS failure,
// redirected by the client's CheckRedirect) on every attempt. Err is the
// last failure, without the URL.
type NoAnswer struct {
	// Attempts is how many times the request was sent.
	Attempts int
	Err      error
}

// Error returns e.g. "no answer after 6 attempts: ...".
func (e *NoAnswer) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("no answer after %d attempts: %v", e.Attempts, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns the last connection failure.
func (e *NoAnswer) Unwrap() error { return e.Err }

// Do sends c under the policy and returns a 2xx response whose body the
// caller must close. Otherwise it returns the Refusal's Err of the last
// answer, a *NoAnswer when the connection failed through the retries,
// ctx's error when ctx ended, or NewRequest's error.
func (p *Policy) Do(ctx context.Context, c Call) (*http.Response, error) {
	var s streak
	for attempt := 1; ; attempt++ {
		resp, err := p.attempt(ctx, c, attempt, s.tooMany > 0)
		var next retry
		switch noAnswer, ok := err.(*NoAnswer); {
		case ok:
			next, err = p.unanswered(c, &s, noAnswer)
		case err != nil:
			return nil, err
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return resp, nil
		default:
			next, err = p.refused(c, &s, resp)
		}
		if err != nil {
			return nil, err
		}
		if err := p.pause(ctx, c, next, attempt+1); err != nil {
			return nil, err
		}
	}
}

// streak counts the retries of one call: after transient failures, and
// after consecutive 429 answers.
type streak struct {
	retries, tooMany int
}

// retry is what comes before the next attempt: a wait, and why.
type retry struct {
	reason string
	wait   time.Duration
	// asked is set when the server asked for the wait (Retry-After): it
	// covers the window its rate-limit headers named.
	asked bool
}

// attempt sends c once, paced if it is (after429: it has just waited out
// a 429 of its own), and records what the answer says
// of the budget and of the server's health. A transport failure comes
// back as a *NoAnswer.
func (p *Policy) attempt(ctx context.Context, c Call, n int, after429 bool) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.Paced {
		pc := p.pacerOf(c)
		if err := p.pace(ctx, pc, n, after429); err != nil {
			return nil, err
		}
		defer pc.land()
	}
	req, err := c.NewRequest(ctx)
	if err != nil {
		return nil, err
	}
	p.requests.Add(1)
	sent := p.now()
	resp, err := c.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &NoAnswer{Attempts: n, Err: Scrub(err)}
	}
	if c.Paced {
		p.observe(c, sent, resp.Header)
	}
	if !c.Elsewhere {
		p.answered(true)
	}
	return resp, nil
}

// unanswered decides whether a request that got no answer goes again: a
// transient failure is retried, unless the retries are spent, the server
// was just found down, or the request was not idempotent and may have
// reached the server. A request unanswered through a whole round of
// retries marks the server as found down.
func (p *Policy) unanswered(c Call, s *streak, e *NoAnswer) (retry, error) {
	ok, reason := transient(e.Err)
	if !ok || s.retries >= p.retriesLeft() || (!c.Idempotent && !nothingSent(e.Err)) {
		if ok && s.retries >= p.maxRetries && !c.Elsewhere {
			p.answered(false)
		}
		return retry{}, e
	}
	s.retries++
	s.tooMany = 0
	return retry{reason: reason, wait: p.Backoff(s.retries)}, nil
}

// refused decides whether an answer that is no success is retried: a 429
// after the server's wait, the window's end or a backoff; a 5xx of an
// idempotent call after a backoff (a 503 after its Retry-After).
func (p *Policy) refused(c Call, s *streak, resp *http.Response) (retry, error) {
	r := c.Refused(resp)
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		if s.tooMany >= Max429Retries {
			return retry{}, r.Err
		}
		s.tooMany++
		d := r.RetryAfter
		if d == 0 && c.Paced && c.Endpoint == "" {
			d = p.budget.retryWait(p.now()) // until the window the 429 named is over
		}
		if d == 0 {
			d = p.Backoff(s.tooMany)
		}
		if c.Paced && c.Endpoint != "" {
			// The other calls of the endpoint wait as long, not for 429s
			// of their own; other endpoints go on.
			p.endpoints.of(c.Endpoint).hold(p.now().Add(min(d, MaxWait)))
		}
		return retry{reason: "429", wait: d, asked: r.RetryAfter > 0}, nil
	case transientStatus(code) && !r.Final:
		if !c.Idempotent || s.retries >= p.maxRetries {
			return retry{}, r.Err
		}
		s.retries++
		s.tooMany = 0
		if code == http.StatusServiceUnavailable && r.RetryAfter > 0 {
			return retry{reason: "503 Retry-After", wait: r.RetryAfter}, nil
		}
		return retry{reason: strconv.Itoa(code), wait: p.Backoff(s.retries)}, nil
	}
	return retry{}, r.Err
}

// pause waits as next says before the given attempt.
func (p *Policy) pause(ctx context.Context, c Call, next retry, attempt int) error {
	if err := p.Wait(ctx, next.reason, next.wait, attempt); err != nil {
		return err
	}
	if next.asked && c.Paced && c.Endpoint == "" {
		// The server's own wait covers the window its headers named.
		p.budget.forget()
	}
	return nil
}

// transientStatus reports whether an answer says the server (or a gateway
// before it) failed for now: 500, 502, 503, 504.
func transientStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
