// Package nodeinfo reads what software a fediverse server runs from its
// NodeInfo documents (/.well-known/nodeinfo and the schema 2.x document it
// links), the one place every family (Mastodon, GoToSocial, Pixelfed,
// snac, Akkoma, Misskey and its forks) says it. No token is sent.
package nodeinfo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/fedimarks/fedimarks"
)

// Software is a server's software as its NodeInfo names it.
type Software struct {
	// Name is lower-case ("mastodon", "misskey", "sharkey", ...).
	Name    string
	Version string
}

// String returns "name version", as fedimarks.Account.Software holds it.
func (s Software) String() string { return strings.TrimSpace(s.Name + " " + s.Version) }

// Family is the API the software speaks.
func (s Software) Family() fedimarks.Family { return fedimarks.FamilyOf(s.Name) }

// ErrNone says the server answered but publishes no usable NodeInfo.
var ErrNone = errors.New("no nodeinfo")

const maxBytes = 1 << 20

// Detect asks server (a base URL) for its NodeInfo. It returns ErrNone
// (wrapped) when the server answers without one, and a
// *fedimarks.RemoteError of KindUnreachable when it does not answer.
func Detect(ctx context.Context, hc *http.Client, server, userAgent string) (Software, error) {
	server = strings.TrimRight(server, "/")
	var index struct {
		Links []struct {
			Rel  string `json:"rel"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := get(ctx, hc, server+"/.well-known/nodeinfo", userAgent, &index); err != nil {
		return Software{}, err
	}
	href, best := "", ""
	for _, l := range index.Links {
		schema, ok := strings.CutPrefix(l.Rel, "http://nodeinfo.diaspora.software/ns/schema/")
		u, err := url.Parse(l.Href)
		if !ok || !strings.HasPrefix(schema, "2.") || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		if schema > best {
			href, best = l.Href, schema
		}
	}
	if href == "" {
		return Software{}, fmt.Errorf("%s/.well-known/nodeinfo: %w: it links no schema 2.x document", server, ErrNone)
	}
	var doc struct {
		Software struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"software"`
	}
	if err := get(ctx, hc, href, userAgent, &doc); err != nil {
		return Software{}, err
	}
	s := Software{Name: strings.ToLower(fedimarks.CleanText(doc.Software.Name)), Version: fedimarks.CleanText(doc.Software.Version)}
	if s.Name == "" || strings.ContainsAny(s.Name, " /") {
		return Software{}, fmt.Errorf("%s: %w: it names no software", href, ErrNone)
	}
	return s, nil
}

// get fetches one JSON document; an answer that is not 200 JSON is ErrNone.
func get(ctx context.Context, hc *http.Client, u, userAgent string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("nodeinfo: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			err = ue.Err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("GET %s: %w", pathOf(u), ctx.Err())
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			// Connected, then hung up on this path: the server is there,
			// without NodeInfo to give.
			return fmt.Errorf("GET %s: %w: %v", pathOf(u), ErrNone, err)
		}
		// No connection: the server is down or unreachable, which says
		// more than any guess of its software would.
		return &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: fmt.Errorf("GET %s: %w", pathOf(u), err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxBytes))
		return fmt.Errorf("GET %s: %d: %w", pathOf(u), resp.StatusCode, ErrNone)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBytes)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w: %v", pathOf(u), ErrNone, err)
	}
	return nil
}

func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Host + p.EscapedPath()
}
