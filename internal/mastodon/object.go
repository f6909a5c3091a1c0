package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks/internal/remote"
)

// defaultObjectTimeout bounds one fetch of an ActivityPub object.
const defaultObjectTimeout = 10 * time.Second

// maxObjectBytes caps the body of an ActivityPub object read.
const maxObjectBytes = 1 << 20

// ObjectFetcher asks a post's own server about the post: an unauthenticated
// ActivityPub GET of its URI (Accept: application/activity+json), as any
// server fetching the post would send, but unsigned. It never sends a
// token or a cookie, is tried once (no retries: the caller decides what a
// failure means), and is not paced by any account's rate limit: it goes to
// the post's server, not to the account's. An ObjectFetcher is safe for
// concurrent use; the zero value works.
type ObjectFetcher struct {
	// HTTPClient sends the request; nil selects a client of its own. Its
	// redirects are followed (at most 3), never with a token: none is sent.
	HTTPClient *http.Client
	// UserAgent is sent with the request; default "fedimarks".
	UserAgent string
	// Timeout bounds the whole fetch; default 10 s.
	Timeout time.Duration
}

// Object is what a server answered 200 for an ActivityPub id: the
// object's id and type ("Note", "Question", "Tombstone", ...).
type Object struct {
	ID, Type string
}

// FetchObject GETs the object at uri (http or https). A 2xx answer with an
// ActivityPub object returns it. Any other HTTP answer is an *APIError
// (410 Gone with a Tombstone too); no answer within the timeout, or a
// failed connection, is a *NetError (Unreachable); both come as the
// *fedimarks.RemoteError that Remote makes of them. A 2xx answer that is
// no ActivityPub object (a web page, say) is a plain error. When ctx ends
// first, the error wraps ctx.Err().
func (f *ObjectFetcher) FetchObject(ctx context.Context, uri string) (Object, error) {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Object{}, fmt.Errorf("fetch object: %q is not an http(s) URL", redactQuery(uri))
	}
	path := (&call{url: uri}).path()
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = defaultObjectTimeout
	}
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := f.request(fctx, uri)
	if err != nil {
		return Object{}, errorf(http.MethodGet, path, err)
	}
	resp, err := f.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Object{}, errorf(http.MethodGet, path, ctx.Err())
		}
		return Object{}, Remote(&NetError{Method: http.MethodGet, Path: path, Attempts: 1, Err: noAnswer(fctx, timeout, err)})
	}
	defer remote.DrainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Object{}, Remote(objectError(path, resp))
	}
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ctype != "application/activity+json" && ctype != "application/ld+json" && ctype != "application/json" {
		return Object{}, errorf(http.MethodGet, path, fmt.Errorf("answered %d with %s, not an ActivityPub object", resp.StatusCode, remote.Excerpt(orNone(ctype))))
	}
	obj, err := decodeObject(resp.Body)
	switch {
	case err == nil:
		return obj, nil
	case errors.Is(err, errNoType):
		return Object{}, errorf(http.MethodGet, path, fmt.Errorf("answered %d with no ActivityPub object (no type)", resp.StatusCode))
	case fctx.Err() != nil && ctx.Err() == nil:
		return Object{}, Remote(&NetError{Method: http.MethodGet, Path: path, Attempts: 1, Err: fmt.Errorf("no answer within %s", timeout)})
	default:
		return Object{}, errorf(http.MethodGet, path, fmt.Errorf("answered %d with no ActivityPub object: %v", resp.StatusCode, err))
	}
}

// request is the GET of uri asking for its ActivityPub object.
func (f *ObjectFetcher) request(ctx context.Context, uri string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	ua := f.UserAgent
	if ua == "" {
		ua = defaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	return req, nil
}

// noAnswer is why a request got no answer: the timeout when fctx's ran
// out, else the connection's error.
func noAnswer(fctx context.Context, timeout time.Duration, err error) error {
	if fctx.Err() != nil {
		return fmt.Errorf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// errNoType is decodeObject's error for a JSON object with no type.
var errNoType = errors.New("no type")

// decodeObject reads an ActivityPub object's id and type from body: the
// first type when JSON-LD gives several.
func decodeObject(body io.Reader) (Object, error) {
	var wire struct {
		ID   string `json:"id"`
		Type any    `json:"type"`
	}
	if err := json.NewDecoder(io.LimitReader(body, maxObjectBytes)).Decode(&wire); err != nil {
		return Object{}, err
	}
	obj := Object{ID: remote.Excerpt(wire.ID)}
	switch t := wire.Type.(type) {
	case string:
		obj.Type = remote.Excerpt(t)
	case []any: // JSON-LD allows several types
		if len(t) > 0 {
			s, _ := t[0].(string)
			obj.Type = remote.Excerpt(s)
		}
	}
	if obj.Type == "" {
		return Object{}, errNoType
	}
	return obj, nil
}

func (f *ObjectFetcher) client() *http.Client {
	var c http.Client
	if f.HTTPClient != nil {
		c = *f.HTTPClient
	} else {
		c.Transport = defaultTransport()
	}
	c.Jar = nil // no cookies to anyone's server
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("more than 3 redirects")
		}
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
		return nil
	}
	return &c
}

// objectError is the *APIError of an error answer to an object fetch: the
// status, and the server's message only when it sends one in JSON ("error")
// (a Tombstone or a web page says nothing more than the status).
func objectError(path string, resp *http.Response) *APIError {
	e := &APIError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	var wire struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &wire) == nil && strings.TrimSpace(wire.Error) != "" {
		e.Message = remote.Excerpt(wire.Error)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return e
}

func orNone(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}
