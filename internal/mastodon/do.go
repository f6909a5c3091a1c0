package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// kind says which HTTP client a call uses and whether the server's rate
// limits apply.
type kind int

const (
	kindAPI      kind = iota // the server, with the token
	kindAnon                 // the server, without the token (OAuth)
	kindDownload             // anywhere, without the token, no pacing
)

// call is one logical request; do may send it several times.
type call struct {
	method string
	url    string // absolute
	body   []byte
	ctype  string // Content-Type of body
	accept string
	kind   kind
	// idempotent calls are retried after any transient failure; the others
	// only when nothing was sent (connection refused) or on 429.
	idempotent bool
}

// path returns the path of the call's URL for messages: no query, no host.
func (r *call) path() string {
	u, err := url.Parse(r.url)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.EscapedPath()
}

func (r *call) newRequest(ctx context.Context, ua string) (*http.Request, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		b := r.body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req.Header.Set("Content-Type", r.ctype)
	}
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	req.Header.Set("User-Agent", ua)
	return req, nil
}

// do sends r under the client's policy and returns a 2xx response whose
// body the caller must close. Any other answer is an *APIError (body read
// and closed); a connection failure after the retries is a *NetError; a
// redirect to another server is a *RedirectError; each of them comes as
// the *fedimarks.RemoteError that Remote makes of it. A cancelled ctx
// gives an error wrapping ctx.Err().
func (c *Client) do(ctx context.Context, r *call) (*http.Response, error) {
	method, path := r.method, r.path()
	hc := c.api
	switch r.kind {
	case kindAnon:
		hc = c.anon
	case kindDownload:
		hc = c.download
	}
	var retries, tooMany int
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, errorf(method, path, err)
		}
		if r.kind != kindDownload {
			if err := c.pace(ctx, attempt); err != nil {
				return nil, errorf(method, path, err)
			}
		}
		req, err := r.newRequest(ctx, c.userAgent)
		if err != nil {
			if r.kind != kindDownload {
				c.landed()
			}
			return nil, errorf(method, path, err)
		}
		c.requests.Add(1)
		sent := c.now()
		resp, err := hc.Do(req)
		if r.kind != kindDownload {
			if err == nil {
				c.observe(sent, resp.Header)
			}
			c.landed()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, errorf(method, path, ctx.Err())
			}
			var redirect *RedirectError
			if errors.As(err, &redirect) {
				return nil, Remote(&RedirectError{Method: method, Path: path, To: redirect.To})
			}
			err = c.scrub(err)
			ok, reason := transient(err)
			if !ok || retries >= c.retriesLeft() || (!r.idempotent && !nothingSent(err)) {
				if ok && retries >= c.maxRetries && r.kind != kindDownload {
					c.answered(false) // no answer through a whole round of retries
				}
				return nil, Remote(&NetError{Method: method, Path: path, Attempts: attempt, Err: err})
			}
			retries++
			tooMany = 0
			if err := c.wait(ctx, reason, c.backoffFor(retries), attempt+1); err != nil {
				return nil, errorf(method, path, err)
			}
			continue
		}
		if r.kind != kindDownload {
			c.answered(true)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		apiErr := c.readAPIError(method, path, resp)
		switch code := resp.StatusCode; {
		case code == http.StatusTooManyRequests:
			if tooMany >= max429Retries {
				return nil, Remote(apiErr)
			}
			tooMany++
			d, asked := apiErr.RetryAfter, apiErr.RetryAfter > 0
			if d == 0 && r.kind != kindDownload {
				d = c.budget.retryWait(c.now()) // until the window the 429 named is over
			}
			if d == 0 {
				d = c.backoffFor(tooMany)
			}
			if err := c.wait(ctx, "429", d, attempt+1); err != nil {
				return nil, errorf(method, path, err)
			}
			if asked {
				// The server's own wait covers the window its headers named.
				c.budget.forget()
			}
		case code == http.StatusServiceUnavailable || code == http.StatusInternalServerError ||
			code == http.StatusBadGateway || code == http.StatusGatewayTimeout:
			if !r.idempotent || retries >= c.maxRetries {
				return nil, Remote(apiErr)
			}
			retries++
			tooMany = 0
			reason, d := strconv.Itoa(code), c.backoffFor(retries)
			if code == http.StatusServiceUnavailable && apiErr.RetryAfter > 0 {
				reason, d = "503 Retry-After", apiErr.RetryAfter
			}
			if err := c.wait(ctx, reason, d, attempt+1); err != nil {
				return nil, errorf(method, path, err)
			}
		default:
			return nil, Remote(apiErr)
		}
	}
}

// scrub replaces a *url.Error (whose text holds the whole URL, query
// included) by its cause, so that messages carry only method and path.
func (c *Client) scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// readBody reads a 2xx response body up to maxJSONBytes and closes it.
func readBody(method, path string, resp *http.Response) ([]byte, error) {
	defer drainClose(resp.Body)
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBytes+1))
	if err != nil {
		return nil, errorf(method, path, fmt.Errorf("read response: %w", err))
	}
	if len(b) > maxJSONBytes {
		return nil, errorf(method, path, fmt.Errorf("response larger than %d MiB", maxJSONBytes>>20))
	}
	return b, nil
}

// getJSON sends r and decodes the JSON answer into v; it returns the
// response (body closed) for its headers.
func (c *Client) getJSON(ctx context.Context, r *call, v any) (*http.Response, error) {
	if r.accept == "" {
		r.accept = "application/json"
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	b, err := readBody(r.method, r.path(), resp)
	if err != nil {
		return nil, err
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return nil, errorf(r.method, r.path(), fmt.Errorf("decode response: %w", err))
		}
	}
	return resp, nil
}

// apiURL joins the server and an API path (with query, if any).
func (c *Client) apiURL(pathAndQuery string) string {
	return c.server + pathAndQuery
}

// formCall builds a form-encoded POST to the server.
func formCall(u string, form url.Values, k kind, idempotent bool) *call {
	return &call{
		method: http.MethodPost, url: u, body: []byte(form.Encode()),
		ctype: "application/x-www-form-urlencoded", kind: k, idempotent: idempotent,
	}
}

// sameOrigin reports whether u has the scheme and host (port included,
// default ports ignored) of the server base URL.
func sameOrigin(u *url.URL, server string) bool {
	s, err := url.Parse(server)
	if err != nil || u == nil {
		return false
	}
	if !strings.EqualFold(u.Scheme, s.Scheme) {
		return false
	}
	return strings.EqualFold(u.Hostname(), s.Hostname()) && portOf(u) == portOf(s)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
