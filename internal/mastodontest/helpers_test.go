package mastodontest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r result) errorMessage(t *testing.T) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	r.json(t, &e)
	return e.Error
}

// call makes one request; form (if not nil) is sent as a form body.
func call(t *testing.T, method, u, tok string, form url.Values) result {
	t.Helper()
	r, err := try(method, u, tok, form)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return r
}

func try(method, u, tok string, form url.Values) (result, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return result{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{resp.StatusCode, resp.Header, b}, nil
}

var nextRE = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)
var prevRE = regexp.MustCompile(`<([^>]+)>;\s*rel="prev"`)

func nextLink(h http.Header) string {
	m := nextRE.FindStringSubmatch(h.Get("Link"))
	if m == nil {
		return ""
	}
	return m[1]
}

func prevLink(h http.Header) string {
	m := prevRE.FindStringSubmatch(h.Get("Link"))
	if m == nil {
		return ""
	}
	return m[1]
}

// wireStatus is the part of a Status the tests look at.
type wireStatus struct {
	ID         string `json:"id"`
	URI        string `json:"uri"`
	URL        string `json:"url"`
	Bookmarked *bool  `json:"bookmarked"`
	Visibility string `json:"visibility"`
	Account    struct {
		ID   string `json:"id"`
		Acct string `json:"acct"`
	} `json:"account"`
}

type wireSearch struct {
	Accounts []any        `json:"accounts"`
	Statuses []wireStatus `json:"statuses"`
	Hashtags []any        `json:"hashtags"`
}

func search(t *testing.T, i *Instance, q, tok string) (result, wireSearch) {
	t.Helper()
	r := call(t, "GET", i.URL()+"/api/v2/search?type=statuses&resolve=true&limit=1&q="+url.QueryEscape(q), tok, nil)
	var s wireSearch
	if r.status == http.StatusOK {
		r.json(t, &s)
		if s.Accounts == nil || s.Hashtags == nil || s.Statuses == nil {
			t.Fatalf("search body lacks a list: %s", r.body)
		}
	}
	return r, s
}
