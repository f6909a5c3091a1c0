package mastodon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/fedimarks/fedimarks/internal/remote"
)

// Download fetches a media file and streams it to w, never sending the
// token (media lives on CDNs and other servers). Only http and https URLs
// are fetched. Failures before the body starts are retried like API reads
// (same backoff, 429 and Retry-After handling, no rate-limit pacing); a
// failure while streaming ends the download. A body larger than
// maxBytes (when maxBytes > 0) stops with an error wrapping ErrTooLarge,
// after writing at most maxBytes bytes. Error answers (404, 410, ...) are
// *APIError. It returns the response's Content-Type and the bytes written.
func (c *Client) Download(ctx context.Context, rawURL string, w io.Writer, maxBytes int64) (contentType string, n int64, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", 0, fmt.Errorf("download: %q is not an http(s) URL", redactQuery(rawURL))
	}
	r := &call{method: http.MethodGet, url: rawURL, kind: kindDownload, idempotent: true, accept: "*/*"}
	resp, err := c.do(ctx, r)
	if err != nil {
		return "", 0, err
	}
	defer remote.DrainClose(resp.Body)
	where := u.Host + r.path()
	contentType = resp.Header.Get("Content-Type")
	if maxBytes > 0 && resp.ContentLength > maxBytes {
		return contentType, 0, fmt.Errorf("download %s: %d bytes: %w (limit %d)", where, resp.ContentLength, ErrTooLarge, maxBytes)
	}
	src := io.Reader(resp.Body)
	if maxBytes > 0 {
		src = io.LimitReader(resp.Body, maxBytes+1)
	}
	n, err = io.Copy(&capWriter{w: w, max: maxBytes}, src)
	if errors.Is(err, ErrTooLarge) {
		return contentType, n, fmt.Errorf("download %s: %w (limit %d bytes)", where, ErrTooLarge, maxBytes)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return contentType, n, fmt.Errorf("download %s: %w", where, remote.Scrub(err))
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return contentType, n, fmt.Errorf("download %s: got %d of %d bytes", where, n, resp.ContentLength)
	}
	return strings.TrimSpace(contentType), n, nil
}

// capWriter passes at most max bytes to w (max <= 0: no limit) and fails
// with ErrTooLarge on the byte after them.
type capWriter struct {
	w   io.Writer
	max int64
	n   int64
}

func (cw *capWriter) Write(p []byte) (int, error) {
	if cw.max > 0 && cw.n+int64(len(p)) > cw.max {
		keep := cw.max - cw.n
		m, err := cw.w.Write(p[:keep])
		cw.n += int64(m)
		if err != nil {
			return m, err
		}
		return m, ErrTooLarge
	}
	m, err := cw.w.Write(p)
	cw.n += int64(m)
	return m, err
}
