// Package mastodon is a client for the parts of the Mastodon client API that
// fedimarks uses: signing in (OAuth 2), reading bookmarks page by page,
// resolving posts, bookmarking them, and downloading media.
//
// Every request goes through one place (Client.do) that adds the token only
// for the configured server, sends it under the request policy shared with
// internal/misskey (internal/remote: pacing by the X-RateLimit-* headers,
// retries of 429, 503 honouring Retry-After, other 5xx and connection
// failures with a capped exponential backoff, the "server found down"
// fail-fast), and turns error responses into *APIError, each inside the
// *fedimarks.RemoteError that says what it means (Remote). It knows
// nothing of files or databases.
package mastodon

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks/internal/remote"
)

// Defaults and limits of the client; the request policy's are
// internal/remote's.
const (
	defaultUserAgent = "fedimarks"
	// maxJSONBytes caps a decoded response body.
	maxJSONBytes = 16 << 20
	// maxErrorBytes caps how much of an error body is read.
	maxErrorBytes = 64 << 10
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
	// Options configure the request policy (retries, backoff, clock,
	// sleep, the waits and header notes told) as internal/remote says;
	// its zero value selects the defaults.
	remote.Options
}

// WaitEvent describes a pause of the client before a request: why, how
// long, before which attempt.
type WaitEvent = remote.WaitEvent

// RateLimit is what the server last said about the request budget in its
// X-RateLimit-* headers. Known is false until a response carried them.
type RateLimit = remote.RateLimit

// Client talks to one server. It is safe for concurrent use.
type Client struct {
	server    string
	creds     *credentials // a pointer, so that printing a Client shows no token
	api       *http.Client // adds the token for the server
	anon      *http.Client // never adds the token (OAuth calls)
	download  *http.Client // never adds the token; longer timeout
	userAgent string
	now       func() time.Time
	// policy retries, paces and waits; it counts the requests and knows
	// whether the server was just found down.
	policy *remote.Policy
}

// credentials holds the token. Printing a Client (or its transport) with
// fmt shows only this struct's address, never the token.
type credentials struct {
	token string
}

// New returns a Client for opts.Server. It does not contact the server.
func New(opts Options) *Client {
	c := &Client{
		server:    strings.TrimRight(opts.Server, "/"),
		creds:     &credentials{token: opts.Token},
		userAgent: opts.UserAgent,
		now:       opts.Now,
		policy:    remote.New(opts.Options),
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	if c.now == nil {
		c.now = time.Now
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
func (c *Client) Requests() int64 { return c.policy.Requests() }

// RateLimit returns the X-RateLimit-* values of the last response that
// carried them.
func (c *Client) RateLimit() RateLimit { return c.policy.RateLimit() }

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
