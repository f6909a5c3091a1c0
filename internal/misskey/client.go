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
// server, sends it under the request policy shared with internal/mastodon
// (internal/remote: each endpoint paced on its own, as the servers limit
// them, by Sharkey's X-RateLimit-Remaining and -Clear; a 429 waited out
// until the window ends, as Misskey's info.resetMs or Sharkey's
// Retry-After says, holding back the other calls of its endpoint only;
// 5xx and connection failures retried with a capped exponential backoff;
// the "server found down" fail-fast), and turns error answers
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
	"net/http"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// Defaults and limits of the client; the request policy's are
// internal/remote's.
const (
	defaultUserAgent = "fedimarks"
	maxJSONBytes     = 16 << 20
	maxErrorBytes    = 64 << 10
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
	// Options configure the request policy (retries, backoff, clock,
	// sleep, the waits told) as internal/remote says; its zero value
	// selects the defaults.
	remote.Options
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
	server    string
	creds     *credentials
	hc        *http.Client
	userAgent string
	now       func() time.Time
	// policy retries and waits; it counts the requests and knows whether
	// the server was just found down.
	policy *remote.Policy
}

// credentials holds the token; printing a Client shows only its address.
type credentials struct{ token string }

// New returns a Client for opts.Server. It does not contact the server.
func New(opts Options) *Client {
	c := &Client{
		server: strings.TrimRight(opts.Server, "/"), creds: &credentials{token: opts.Token},
		hc: opts.HTTPClient, userAgent: opts.UserAgent, now: opts.Now,
		policy: remote.New(opts.Options),
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
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Format prints the client as misskey.Client{https://host}, never the token.
func (c *Client) Format(f fmt.State, verb rune) { fmt.Fprintf(f, "misskey.Client{%s}", c.server) }

// Server returns the server's base URL.
func (c *Client) Server() string { return c.server }

// Requests returns how many HTTP requests the client sent, retries
// included.
func (c *Client) Requests() int64 { return c.policy.Requests() }

// call POSTs params (nil: none) to /api/<endpoint> and decodes the JSON
// answer into out (nil: ignored; a 204 decodes nothing). It returns the
// raw answer too. idempotent calls are retried after any transient
// failure; the others only after a 429 or when nothing was sent.
func (c *Client) call(ctx context.Context, endpoint string, params any, out any, idempotent bool) ([]byte, error) {
	body, err := encodeParams(params)
	if err != nil {
		return nil, fmt.Errorf("POST /api/%s: encode: %w", endpoint, err)
	}
	resp, err := c.policy.Do(ctx, remote.Call{
		Client:     c.hc,
		NewRequest: func(ctx context.Context) (*http.Request, error) { return c.newRequest(ctx, endpoint, body) },
		Refused:    func(resp *http.Response) remote.Refusal { return c.refusal(endpoint, resp) },
		Idempotent: idempotent,
		Paced:      true,
		Endpoint:   paceKey(endpoint),
	})
	if err != nil {
		return nil, callError(endpoint, err)
	}
	return c.decode(endpoint, resp, out)
}

// paceKey is the budget a call of endpoint spends: the endpoint's own
// (Misskey and Sharkey limit each endpoint on its own); MiAuth's check,
// whose path holds the session, is one endpoint.
func paceKey(endpoint string) string {
	if strings.HasPrefix(endpoint, "miauth/") {
		return "miauth/check"
	}
	return endpoint
}

// encodeParams is the JSON body of a call's params ({} for nil).
func encodeParams(params any) ([]byte, error) {
	if params == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(params)
}

// newRequest builds one attempt of a call: the POST of body to
// /api/<endpoint>, with the token.
func (c *Client) newRequest(ctx context.Context, endpoint string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/api/"+endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.creds.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.creds.token)
	}
	return req, nil
}

// refusal reads an error answer for the policy: Misskey's INTERNAL_ERROR
// is a 500 that a retry will not change.
func (c *Client) refusal(endpoint string, resp *http.Response) remote.Refusal {
	e := c.readError(endpoint, resp)
	return remote.Refusal{Err: e, RetryAfter: e.RetryAfter, Final: e.Code == "INTERNAL_ERROR"}
}

// callError turns what the policy returned for a call into the client's
// error: an answer is an *APIError, no answer a *NetError, each as Remote
// makes it; any other (a cancelled ctx) is prefixed with the call.
func callError(endpoint string, err error) error {
	var (
		api  *APIError
		none *remote.NoAnswer
	)
	switch {
	case errors.As(err, &api):
		return Remote(api)
	case errors.As(err, &none):
		return Remote(&NetError{Endpoint: endpoint, Attempts: none.Attempts, Err: none.Err})
	}
	return fmt.Errorf("POST /api/%s: %w", endpoint, err)
}

// decode reads a 2xx answer into out.
func (c *Client) decode(endpoint string, resp *http.Response, out any) ([]byte, error) {
	defer remote.DrainClose(resp.Body)
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

// redact removes the token from server text, should it ever echo it.
func (c *Client) redact(s string) string {
	if c.creds.token == "" || s == "" {
		return s
	}
	return fedimarks.Redact(s, []string{c.creds.token}, "[redacted]")
}
