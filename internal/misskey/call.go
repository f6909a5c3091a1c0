// Package misskey is the adapter for Misskey and its forks (Sharkey,
// Firefish, Iceshrimp, CherryPick): their own API, POST /api/<endpoint>
// with a JSON body, where Mastodon's servers speak the Mastodon API.
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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Limits of the request policy.
const (
	defaultMaxRetries = 5
	defaultBackoff    = time.Second
	maxBackoff        = time.Minute
	// maxWait caps one wait for a rate limit: Misskey's longest window
	// (ap/show's) is an hour.
	maxWait = time.Hour + time.Minute
	// max429Retries is how many 429 answers in a row one call waits out
	// before it returns KindRateLimited.
	max429Retries = 8
	maxJSONBytes  = 16 << 20
	maxErrorBytes = 64 << 10
)

// Options configures a Client; the zero value of every field but Server
// and Token selects a default.
type Options struct {
	// Server is the base URL ("https://host"); Token the access token,
	// sent only to Server, as the body's "i".
	Server, Token string
	// HTTPClient sends the requests (default: one with a 30 s timeout).
	HTTPClient *http.Client
	UserAgent  string
	// MaxRetries is how often a transient failure (no answer, 502, 503,
	// 504) is retried (default 5; negative: never).
	MaxRetries int
	// Backoff is the first wait before such a retry (default 1 s), doubled
	// each time, capped at a minute.
	Backoff time.Duration
	// Now is the clock; Sleep waits d or until ctx ends (defaults: the
	// real ones). Tests pass fakes.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// OnWait, when set, hears of every wait: why ("429 ap/show", "503")
	// and how long.
	OnWait func(reason string, d time.Duration)
}

// Client calls one Misskey-family server's API as one account. Every
// endpoint has its own rate limit there (ap/show: 30 an hour): a 429
// RATE_LIMIT_EXCEEDED holds back every call to that endpoint until the
// time the answer names (Retry-After, X-RateLimit-Reset, or the error's
// info.resetMs), then the call is sent again; no call is lost to it. It is
// safe for concurrent use.
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

	requests atomic.Int64

	mu      sync.Mutex
	blocked map[string]time.Time // endpoint: no call before
}

// credentials holds the token apart, so that printing a Client shows no
// token.
type credentials struct{ token string }

// New returns a Client; it sends nothing yet.
func New(o Options) *Client {
	c := &Client{
		server: strings.TrimRight(o.Server, "/"), creds: &credentials{o.Token}, hc: o.HTTPClient,
		userAgent: o.UserAgent, maxRetries: o.MaxRetries, backoff: o.Backoff,
		now: o.Now, sleep: o.Sleep, onWait: o.OnWait, blocked: map[string]time.Time{},
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if c.userAgent == "" {
		c.userAgent = "fedimarks"
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

// Server returns the server's base URL.
func (c *Client) Server() string { return c.server }

// Requests counts the requests sent (retries included).
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

// APIError is an error answer of the server: its status and Misskey's
// error object ({"error":{"code","message","id","kind","info"}}).
type APIError struct {
	Endpoint   string
	StatusCode int
	Code       string // "NO_SUCH_NOTE", "RATE_LIMIT_EXCEEDED", ...; "" when the body had none
	Message    string // the server's words, control characters removed
	info       json.RawMessage
	header     http.Header
}

// Error is "POST /api/ENDPOINT: 400 NO_SUCH_NOTE: No such note.".
func (e *APIError) Error() string {
	s := fmt.Sprintf("POST /api/%s: %d", e.Endpoint, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// NetError is a request that got no answer.
type NetError struct {
	Endpoint string
	Err      error
}

func (e *NetError) Error() string { return "POST /api/" + e.Endpoint + ": " + e.Err.Error() }
func (e *NetError) Unwrap() error { return e.Err }

// codeOf returns the Misskey error code in err's chain, or "".
func codeOf(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// endpointScopes are the permissions of the endpoints this package calls
// (their meta's kind), for a refusal's message.
var endpointScopes = map[string]string{
	"ap/show": "read:account", "notes/favorites/create": "write:favorites",
	"notes/favorites/delete": "write:favorites", "i/favorites": "read:favorites", "i": "read:account",
}

// remote turns an error answer into the domain's kind, once, for every
// caller: Misskey's codes say more than its statuses (most refusals are a
// 400).
func remote(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		re := &fedimarks.RemoteError{Kind: ae.kind(), Status: ae.status(), Message: ae.Message, Err: err}
		if re.Kind == fedimarks.KindScope {
			re.Scope = endpointScopes[ae.Endpoint]
		}
		return re
	}
	var ne *NetError
	if errors.As(err, &ne) {
		return &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: err}
	}
	return err
}

// status is the answer in a few words: "400 ALREADY_FAVORITED".
func (e *APIError) status() string {
	if e.Code != "" {
		return strconv.Itoa(e.StatusCode) + " " + e.Code
	}
	return strconv.Itoa(e.StatusCode) + " " + http.StatusText(e.StatusCode)
}

// kind is what an error answer means (the codes of misskey-dev/misskey's
// ApiCallService and endpoint metas).
func (e *APIError) kind() fedimarks.Kind {
	switch e.Code {
	case "AUTHENTICATION_FAILED", "CREDENTIAL_REQUIRED":
		return fedimarks.KindAuth
	case "PERMISSION_DENIED":
		return fedimarks.KindScope
	case "YOUR_ACCOUNT_SUSPENDED", "ACCESS_DENIED":
		return fedimarks.KindForbidden
	case "RATE_LIMIT_EXCEEDED", "BRIEF_REQUEST_INTERVAL":
		return fedimarks.KindRateLimited
	case "NO_SUCH_NOTE", "NO_SUCH_OBJECT", "NO_SUCH_USER":
		return fedimarks.KindNotFound
	case "ALREADY_FAVORITED":
		return fedimarks.KindConflict
	case "REQUEST_FAILED":
		// ap/show: the note's own server did not answer the fetch (or
		// answered no note).
		return fedimarks.KindRemoteFetch
	case "INVALID_PARAM", "URI_INVALID":
		return fedimarks.KindInvalid
	case "FEDERATION_NOT_ALLOWED", "RESPONSE_INVALID":
		return "" // fits no kind: the row fails with the server's words
	}
	switch s := e.StatusCode; {
	case s == http.StatusUnauthorized:
		return fedimarks.KindAuth
	case s == http.StatusForbidden:
		return fedimarks.KindForbidden
	case s == http.StatusTooManyRequests:
		return fedimarks.KindRateLimited
	case s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout:
		return fedimarks.KindUnreachable
	case s >= 500:
		return fedimarks.KindServerError
	}
	return ""
}

// call POSTs params (the token added) to /api/endpoint and decodes a 200
// answer into out (nil: discarded; a 204 leaves out alone). Transient
// failures are retried, 429s waited out; the error is a
// *fedimarks.RemoteError for an answer or its absence.
func (c *Client) call(ctx context.Context, endpoint string, params map[string]any, out any) error {
	_, err := c.callRetried(ctx, endpoint, params, out)
	return err
}

// callRetried is call, also saying whether the request was sent more than
// once after a failure that left unknown whether the server did it (no
// answer, a gateway's 5xx): a second favorite refused as
// ALREADY_FAVORITED then most likely is the first one's.
func (c *Client) callRetried(ctx context.Context, endpoint string, params map[string]any, out any) (retried bool, err error) {
	body := map[string]any{}
	for k, v := range params {
		body[k] = v
	}
	if c.creds.token != "" {
		body["i"] = c.creds.token
	}
	b, err := json.Marshal(body)
	if err != nil {
		return false, err
	}
	fails, limited := 0, 0
	for {
		if err := c.waitEndpoint(ctx, endpoint); err != nil {
			return retried, err
		}
		err := c.send(ctx, endpoint, b, out)
		var ae *APIError
		var ne *NetError
		switch {
		case err == nil:
			return retried, nil
		case errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests:
			limited++
			if limited > max429Retries {
				return retried, remote(err)
			}
			c.block(endpoint, c.resetOf(ae, limited))
			continue
		case errors.As(err, &ne) && ctx.Err() == nil,
			errors.As(err, &ae) && (ae.StatusCode == http.StatusBadGateway || ae.StatusCode == http.StatusServiceUnavailable || ae.StatusCode == http.StatusGatewayTimeout):
			fails++
			if fails > c.maxRetries {
				return retried, remote(err)
			}
			retried = true
			reason := "no answer"
			if ae != nil {
				reason = strconv.Itoa(ae.StatusCode)
			}
			if err := c.wait(ctx, reason, c.backoffFor(fails)); err != nil {
				return retried, err
			}
			continue
		}
		if ctx.Err() != nil {
			return retried, ctx.Err()
		}
		return retried, remote(err)
	}
}

// send makes one request.
func (c *Client) send(ctx context.Context, endpoint string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/api/"+endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &NetError{Endpoint: endpoint, Err: scrub(err, c.creds.token)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNoContent:
		return nil
	case resp.StatusCode == http.StatusOK:
		if out == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxJSONBytes))
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBytes+1))
		if err != nil {
			return &NetError{Endpoint: endpoint, Err: err}
		}
		if len(b) > maxJSONBytes {
			return fmt.Errorf("POST /api/%s: the answer is larger than %d MiB", endpoint, maxJSONBytes>>20)
		}
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("POST /api/%s: the answer is not the JSON expected: %w", endpoint, err)
		}
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	ae := &APIError{Endpoint: endpoint, StatusCode: resp.StatusCode, header: resp.Header}
	var w struct {
		Error struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Info    json.RawMessage `json:"info"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &w) == nil {
		ae.Code, ae.Message, ae.info = clean(w.Error.Code, 64), clean(w.Error.Message, 300), w.Error.Info
	}
	return ae
}

// scrub keeps the token out of an error's text (a URL never carries it
// here, but a proxy's message might echo the body).
func scrub(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[token]"))
}

// clean is server text fit for one line of a terminal: control characters
// removed, cut to max runes.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strings.TrimSpace(s)
}

// resetOf is when a 429's endpoint may be called again: Retry-After
// (Sharkey, proxies), X-RateLimit-Reset (Sharkey: seconds from now), or
// the error's info (Misskey's ratelimiter: resetMs, the window's end in
// Unix milliseconds; Sharkey's: resetMs, milliseconds from now), else a
// backoff growing with n, the 429s in a row.
func (c *Client) resetOf(ae *APIError, n int) time.Time {
	now := c.now()
	if s, err := strconv.ParseFloat(strings.TrimSpace(ae.header.Get("Retry-After")), 64); err == nil && s >= 0 {
		return now.Add(capWait(time.Duration(s * float64(time.Second))))
	}
	if s, err := strconv.ParseFloat(strings.TrimSpace(ae.header.Get("X-RateLimit-Reset")), 64); err == nil && s >= 0 && s < 1e9 {
		return now.Add(capWait(time.Duration(s * float64(time.Second))))
	}
	var info struct {
		ResetMs float64 `json:"resetMs"`
		Reset   float64 `json:"reset"`
	}
	if len(ae.info) > 0 && json.Unmarshal(ae.info, &info) == nil {
		switch {
		case info.ResetMs > 1e12: // a time: Unix milliseconds
			return now.Add(capWait(time.UnixMilli(int64(info.ResetMs)).Sub(now)))
		case info.ResetMs > 0:
			return now.Add(capWait(time.Duration(info.ResetMs * float64(time.Millisecond))))
		case info.Reset > 1e9: // Unix seconds
			return now.Add(capWait(time.Unix(int64(info.Reset), 0).Sub(now)))
		}
	}
	return now.Add(c.backoffFor(n))
}

// capWait keeps a wait the server named between a second and maxWait.
func capWait(d time.Duration) time.Duration { return min(max(d, time.Second), maxWait) }

// block holds back the endpoint's calls until t.
func (c *Client) block(endpoint string, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.blocked[endpoint]) {
		c.blocked[endpoint] = t
	}
}

// waitEndpoint waits until the endpoint's rate limit lets a call go.
func (c *Client) waitEndpoint(ctx context.Context, endpoint string) error {
	for {
		c.mu.Lock()
		d := c.blocked[endpoint].Sub(c.now())
		c.mu.Unlock()
		if d <= 0 {
			return ctx.Err()
		}
		if err := c.wait(ctx, "429 "+endpoint, d); err != nil {
			return err
		}
	}
}

// wait tells OnWait and sleeps d.
func (c *Client) wait(ctx context.Context, reason string, d time.Duration) error {
	if c.onWait != nil {
		c.onWait(reason, d)
	}
	if err := c.sleep(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}

// backoffFor is the wait before retry n (1-based): Backoff doubled n-1
// times, up to a quarter more at random, at most a minute.
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
