// Package misskey is a client for the parts of Misskey's own API that
// fedimarks uses, for Misskey and its forks (Sharkey, Firefish, Iceshrimp,
// CherryPick): who the token belongs to (i), what the server runs (meta),
// the account's favorites page by page (i/favorites), as the backup engine
// reads bookmarks from internal/mastodon. Its notes come out as
// fedimarks.Status values (note.go), so that the archive, search, the web
// page and every export treat them as they treat statuses.
//
// Every call is a POST of a JSON body to /api/<endpoint> through one place
// (Client.call) that adds the token as an Authorization: Bearer header
// (Misskey reads it as it reads "i" in the body) only for the configured
// server, retries 429 after the server's Retry-After (Misskey's limits are
// per endpoint and say when their window ends), 5xx and connection
// failures with a capped exponential backoff, and turns error answers
// ({"error":{"code":...}}) into *APIError inside the *fedimarks.RemoteError
// that says what it means (Remote). It knows nothing of files or databases.
package misskey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Defaults and limits of the request policy.
const (
	defaultUserAgent  = "fedimarks"
	defaultMaxRetries = 5
	defaultBackoff    = time.Second
	maxBackoff        = time.Minute
	// maxWait caps any single wait (a Retry-After).
	maxWait = 15 * time.Minute
	// max429Retries is how many consecutive 429 answers are retried before
	// the error is returned.
	max429Retries = 10
	maxJSONBytes  = 16 << 20
	maxErrorBytes = 64 << 10
	maxDrainBytes = 256 << 10
)

// Options configures a Client. The zero value of every field but Server
// selects a sensible default.
type Options struct {
	// Server is the base URL (https://host, or http://127.0.0.1:PORT for
	// tests).
	Server string
	// Token is the access token; "" for calls without one. It is sent only
	// to Server.
	Token string
	// HTTPClient sends the requests; nil selects one with a 30 s timeout.
	HTTPClient *http.Client
	// UserAgent is sent with every request; default "fedimarks".
	UserAgent string
	// MaxRetries is how many times a transient failure (5xx, connection
	// failure) is retried; default 5; negative disables retries.
	MaxRetries int
	// Backoff is the first backoff step (default 1 s), doubled each retry
	// with up to 25% jitter, capped at a minute.
	Backoff time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done (then returning ctx.Err()).
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait, if set, is told of every wait before it: why ("429", "503",
	// "retry after connection error") and how long.
	OnWait func(reason string, d time.Duration)
}

// Format prints the options with the token redacted, for every verb.
func (o Options) Format(f fmt.State, verb rune) {
	tok := ""
	if o.Token != "" {
		tok = "[redacted]"
	}
	fmt.Fprintf(f, "misskey.Options{Server:%s Token:%s UserAgent:%s MaxRetries:%d Backoff:%v}",
		o.Server, tok, o.UserAgent, o.MaxRetries, o.Backoff)
}

// Client talks to one Misskey-family server. It is safe for concurrent
// use.
type Client struct {
	server     string
	creds      *credentials
	hc         *http.Client
	userAgent  string
	maxRetries int
	backoff    time.Duration
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	onWait     func(string, time.Duration)
	requests   atomic.Int64
}

// credentials holds the token; printing a Client shows only its address.
type credentials struct{ token string }

// New returns a Client for opts.Server. It does not contact the server.
func New(opts Options) *Client {
	c := &Client{
		server: strings.TrimRight(opts.Server, "/"), creds: &credentials{token: opts.Token},
		hc: opts.HTTPClient, userAgent: opts.UserAgent, maxRetries: opts.MaxRetries, backoff: opts.Backoff,
		now: opts.Now, sleep: opts.Sleep, onWait: opts.OnWait,
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	// A redirect is never followed: the answer of another place is not
	// the account's, and the token must not go there.
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.backoff <= 0 {
		c.backoff = defaultBackoff
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	return c
}

// Format prints the client as misskey.Client{https://host}, never the token.
func (c *Client) Format(f fmt.State, verb rune) { fmt.Fprintf(f, "misskey.Client{%s}", c.server) }

// Server returns the server's base URL.
func (c *Client) Server() string { return c.server }

// Requests returns how many HTTP requests the client sent, retries
// included.
func (c *Client) Requests() int64 { return c.requests.Load() }

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

// backoffFor is the wait before retry n (1-based).
func (c *Client) backoffFor(n int) time.Duration {
	d := c.backoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	if q := int64(d / 4); q > 0 {
		d += time.Duration(rand.Int64N(q))
	}
	return min(d, maxBackoff)
}

// wait tells OnWait and sleeps d (capped).
func (c *Client) wait(ctx context.Context, reason string, d time.Duration) error {
	d = min(max(d, 0), maxWait)
	if c.onWait != nil {
		c.onWait(reason, d)
	}
	if err := c.sleep(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}

// call POSTs params (nil: none) to /api/<endpoint> and decodes the JSON
// answer into out (nil: ignored; a 204 decodes nothing). It returns the
// raw answer too. idempotent calls are retried after any transient
// failure; the others only after a 429 or when nothing was sent.
func (c *Client) call(ctx context.Context, endpoint string, params any, out any, idempotent bool) ([]byte, error) {
	body := []byte("{}")
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("POST /api/%s: encode: %w", endpoint, err)
		}
		body = b
	}
	u := c.server + "/api/" + endpoint
	var retries, tooMany int
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("POST /api/%s: %w", endpoint, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("POST /api/%s: %w", endpoint, err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		if c.creds.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.creds.token)
		}
		c.requests.Add(1)
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("POST /api/%s: %w", endpoint, ctx.Err())
			}
			err = scrub(err)
			if retries >= c.maxRetries || !transient(err) || (!idempotent && !nothingSent(err)) {
				return nil, Remote(&NetError{Endpoint: endpoint, Attempts: attempt, Err: err})
			}
			retries++
			tooMany = 0
			if err := c.wait(ctx, "retry after connection error", c.backoffFor(retries)); err != nil {
				return nil, fmt.Errorf("POST /api/%s: %w", endpoint, err)
			}
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return c.decode(endpoint, resp, out)
		}
		apiErr := c.readError(endpoint, resp)
		switch s := resp.StatusCode; {
		case s == http.StatusTooManyRequests:
			if tooMany >= max429Retries {
				return nil, Remote(apiErr)
			}
			tooMany++
			d := apiErr.RetryAfter
			if d <= 0 {
				d = c.backoffFor(tooMany)
			}
			if err := c.wait(ctx, "429", d); err != nil {
				return nil, fmt.Errorf("POST /api/%s: %w", endpoint, err)
			}
		case s == http.StatusInternalServerError && apiErr.Code != "INTERNAL_ERROR" || s == http.StatusBadGateway ||
			s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout:
			if !idempotent || retries >= c.maxRetries {
				return nil, Remote(apiErr)
			}
			retries++
			tooMany = 0
			d := c.backoffFor(retries)
			if s == http.StatusServiceUnavailable && apiErr.RetryAfter > 0 {
				d = apiErr.RetryAfter
			}
			if err := c.wait(ctx, fmt.Sprint(s), d); err != nil {
				return nil, fmt.Errorf("POST /api/%s: %w", endpoint, err)
			}
		default:
			return nil, Remote(apiErr)
		}
	}
}

// decode reads a 2xx answer into out.
func (c *Client) decode(endpoint string, resp *http.Response, out any) ([]byte, error) {
	defer drainClose(resp.Body)
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBytes+1))
	if err != nil {
		return nil, Remote(&NetError{Endpoint: endpoint, Attempts: 1, Err: fmt.Errorf("read answer: %w", err)})
	}
	if len(b) > maxJSONBytes {
		return nil, fmt.Errorf("POST /api/%s: answer larger than %d MiB", endpoint, maxJSONBytes>>20)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("POST /api/%s: decode answer: %w", endpoint, err)
		}
	}
	return b, nil
}

func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	_ = body.Close()
}

// scrub replaces a *url.Error (whose text holds the URL) by its cause.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// redact removes the token from server text, should it ever echo it.
func (c *Client) redact(s string) string {
	if c.creds.token == "" || s == "" {
		return s
	}
	return fedimarks.Redact(s, []string{c.creds.token}, "[redacted]")
}
