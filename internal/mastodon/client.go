// Package mastodon is a client for the parts of the Mastodon client API that
// fedimarks uses: signing in (OAuth 2), reading bookmarks page by page,
// resolving posts, bookmarking them, and downloading media.
//
// Every request goes through one place (Client.do) that adds the token only
// for the configured server, paces requests by the X-RateLimit-* headers,
// retries 429, 503 (honouring Retry-After), other 5xx and connection
// failures with a capped exponential backoff, and turns error responses into
// *APIError, each inside the *fedimarks.RemoteError that says what it means
// (Remote). It knows nothing of files or databases.
package mastodon

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults and limits of the request policy.
const (
	defaultUserAgent  = "fedimarks"
	defaultMaxRetries = 5
	defaultBackoff    = time.Second
	maxBackoff        = time.Minute
	// maxWait caps any single wait (rate limit reset, Retry-After).
	maxWait = 15 * time.Minute
	// resetMargin is added to a wait until X-RateLimit-Reset.
	resetMargin = 100 * time.Millisecond
	// max429Retries is how many consecutive 429 answers are retried before
	// the APIError is returned.
	max429Retries = 10
	// maxJSONBytes caps a decoded response body.
	maxJSONBytes = 16 << 20
	// maxErrorBytes caps how much of an error body is read.
	maxErrorBytes = 64 << 10
	// maxDrainBytes caps how much of an unread body is drained so that the
	// connection can be reused.
	maxDrainBytes = 256 << 10
)

// Options configures a Client. The zero value of every field but Server
// selects a sensible default.
type Options struct {
	// Server is the base URL as returned by NormalizeServer.
	Server string
	// Token is the user access token; "" for unauthenticated calls (app
	// registration, OAuth). It is sent only to Server, never elsewhere.
	Token string
	// HTTPClient sends the requests; nil selects a client with a 30 s
	// timeout per API request and keep-alive connections. Its Transport is
	// wrapped, never modified.
	HTTPClient *http.Client
	// UserAgent is sent with every request; default "fedimarks".
	UserAgent string
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
	// are; the client goes on with safe waits. The line holds no server
	// text but a short excerpt of the header, control characters removed.
	OnNote func(string)
}

// WaitEvent describes a pause of the client before a request.
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

// Client talks to one server. It is safe for concurrent use.
type Client struct {
	server     string
	creds      *credentials // a pointer, so that printing a Client shows no token
	api        *http.Client // adds the token for the server
	anon       *http.Client // never adds the token (OAuth calls)
	download   *http.Client // never adds the token; longer timeout
	userAgent  string
	maxRetries int
	backoff    time.Duration
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	onWait     func(WaitEvent)
	onNote     func(string)

	requests atomic.Int64
	budget   *budget // paces the requests to the server (not downloads)

	mu   sync.Mutex
	rate RateLimit
	// gaveUp is when a request last went unanswered after all its
	// retries (zero: none since the last answer); see retriesLeft.
	gaveUp time.Time
}

// downFor is how long after a request went unanswered through all its
// retries the client's next requests are tried once each instead of
// retried again: the server was just found down, and a second round of
// waits (a dry run asks twice) would only repeat that.
const downFor = 2 * time.Minute

// retriesLeft is how many retries a request may take after a failed
// connection: none while the server was just found down, else the
// client's.
func (c *Client) retriesLeft() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.gaveUp.IsZero() && c.now().Sub(c.gaveUp) < downFor {
		return 0
	}
	return c.maxRetries
}

// answered records whether the server answered (any HTTP answer) or a
// request went unanswered after its retries.
func (c *Client) answered(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.gaveUp = time.Time{}
	} else {
		c.gaveUp = c.now()
	}
}

// credentials holds the token. Printing a Client (or its transport) with
// fmt shows only this struct's address, never the token.
type credentials struct {
	token string
}

// New returns a Client for opts.Server. It does not contact the server.
func New(opts Options) *Client {
	c := &Client{
		server:     strings.TrimRight(opts.Server, "/"),
		creds:      &credentials{token: opts.Token},
		userAgent:  opts.UserAgent,
		maxRetries: opts.MaxRetries,
		backoff:    opts.Backoff,
		now:        opts.Now,
		sleep:      opts.Sleep,
		onWait:     opts.OnWait,
		onNote:     opts.OnNote,
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	if c.maxRetries == 0 {
		c.maxRetries = defaultMaxRetries
	} else if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	if c.backoff <= 0 {
		c.backoff = defaultBackoff
	}
	c.budget = newBudget(c.backoff)
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	base := opts.HTTPClient
	if base == nil {
		tr := defaultTransport()
		c.anon = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		c.download = &http.Client{Transport: tr, Timeout: 10 * time.Minute}
	} else {
		c.anon = base
		c.download = base
	}
	api := *c.anon
	api.Transport = &authTransport{base: transportOf(c.anon), server: c.server, creds: c.creds}
	api.CheckRedirect = c.checkRedirect(c.anon.CheckRedirect)
	c.api = &api
	return c
}

func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func transportOf(hc *http.Client) http.RoundTripper {
	if hc.Transport != nil {
		return hc.Transport
	}
	return http.DefaultTransport
}

// Server returns the server's base URL.
func (c *Client) Server() string { return c.server }

// Requests returns how many HTTP requests the client actually sent,
// counting every attempt, retries included. It is safe for concurrent use.
func (c *Client) Requests() int64 { return c.requests.Load() }

// RateLimit returns the X-RateLimit-* values of the last response that
// carried them.
func (c *Client) RateLimit() RateLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// authTransport adds the bearer token to requests for the server, and only
// to those: a request for any other scheme or host (a redirect, a link
// pointing elsewhere) goes out without it.
type authTransport struct {
	base   http.RoundTripper
	server string
	creds  *credentials
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.creds.token == "" || !sameOrigin(req.URL, t.server) {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.creds.token)
	return t.base.RoundTrip(r)
}

// checkRedirect lets an API call follow a redirect only on the server
// itself (then as next would, the base client's own check): the answer of
// another host is not the account's, even when it looks like one (an empty
// list from a maintenance page reads as "no bookmarks"), so the call fails
// with a *RedirectError instead.
func (c *Client) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, c.server) {
			return &RedirectError{To: originOf(req.URL)}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
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

// backoffFor returns the wait before retry n (1-based): Backoff doubled
// n-1 times plus up to 25% jitter, capped at one minute.
func (c *Client) backoffFor(n int) time.Duration {
	d := c.backoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	if q := int64(d / 4); q > 0 {
		d += time.Duration(rand.Int64N(q))
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	return d
}

// wait tells OnWait and sleeps d (capped), returning a wrapped ctx error if
// ctx ends first.
func (c *Client) wait(ctx context.Context, reason string, d time.Duration, attempt int) error {
	if d > maxWait {
		d = maxWait
	}
	if d < 0 {
		d = 0
	}
	if c.onWait != nil {
		c.onWait(WaitEvent{Reason: reason, Duration: d, Attempt: attempt})
	}
	if err := c.sleep(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}

// pace waits, before a request to the server, until the budget lets it go,
// then counts it as in flight until landed is called.
func (c *Client) pace(ctx context.Context, attempt int) error {
	for {
		d, landed := c.budget.reserve(c.now())
		switch {
		case landed != nil:
			select {
			case <-landed:
			case <-ctx.Done():
				return ctx.Err()
			}
		case d > 0:
			if err := c.wait(ctx, "rate limit", d, attempt); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// landed counts a paced request as answered (or failed).
func (c *Client) landed() { c.budget.land() }

// observe records the X-RateLimit-* headers of an answer from the server
// to a request sent at sent, and tells OnNote the first time they are odd.
func (c *Client) observe(sent time.Time, h http.Header) {
	rl, note := c.budget.observe(sent, c.now(), h)
	if note != "" && c.onNote != nil {
		c.onNote(note)
	}
	if rl.Known {
		c.mu.Lock()
		c.rate = rl
		c.mu.Unlock()
	}
}

// errorf prefixes an error with the method and path of a call.
func errorf(method, path string, err error) error {
	return fmt.Errorf("%s %s: %w", method, path, err)
}

// Format prints the client as mastodon.Client{https://host} for every
// verb, so that no token can leak through fmt.
func (c *Client) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "mastodon.Client{%s}", c.server)
}

// Format prints the options with the token redacted, for every verb.
func (o Options) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "mastodon.Options{Server:%s Token:%s UserAgent:%s MaxRetries:%d Backoff:%v}",
		o.Server, redacted(o.Token), o.UserAgent, o.MaxRetries, o.Backoff)
}
