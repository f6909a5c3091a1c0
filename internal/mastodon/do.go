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
	"strings"

	"github.com/fedimarks/fedimarks/internal/remote"
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
	resp, err := c.policy.Do(ctx, remote.Call{
		Client:     c.httpClient(r.kind),
		NewRequest: func(ctx context.Context) (*http.Request, error) { return r.newRequest(ctx, c.userAgent) },
		Refused: func(resp *http.Response) remote.Refusal {
			e := c.readAPIError(method, path, resp)
			return remote.Refusal{Err: e, RetryAfter: e.RetryAfter}
		},
		Idempotent: r.idempotent,
		Paced:      r.kind != kindDownload, // the server's budget; media is elsewhere
		Elsewhere:  r.kind == kindDownload,
	})
	if err != nil {
		return nil, callError(method, path, err)
	}
	return resp, nil
}

// httpClient is the HTTP client for calls of kind k.
func (c *Client) httpClient(k kind) *http.Client {
	switch k {
	case kindAnon:
		return c.anon
	case kindDownload:
		return c.download
	}
	return c.api
}

// callError turns what the policy returned for a call into the client's
// error: an answer is an *APIError, a redirect elsewhere a
// *RedirectError, no answer a *NetError, each as Remote makes it; any
// other (a cancelled ctx, a request that could not be built) is prefixed
// with the method and path.
func callError(method, path string, err error) error {
	var (
		api      *APIError
		redirect *RedirectError
		none     *remote.NoAnswer
	)
	switch {
	case errors.As(err, &api):
		return Remote(api)
	case errors.As(err, &redirect):
		return Remote(&RedirectError{Method: method, Path: path, To: redirect.To})
	case errors.As(err, &none):
		return Remote(&NetError{Method: method, Path: path, Attempts: none.Attempts, Err: none.Err})
	}
	return errorf(method, path, err)
}

// readBody reads a 2xx response body up to maxJSONBytes and closes it.
func readBody(method, path string, resp *http.Response) ([]byte, error) {
	defer remote.DrainClose(resp.Body)
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
