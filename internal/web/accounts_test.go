package web_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/fedimarks/fedimarks/internal/oauth"
	"github.com/fedimarks/fedimarks/internal/web"
)

// fakeAccounts is an AccountService that records what the page asked.
type fakeAccounts struct {
	mu        sync.Mutex
	calls     []string
	authorize string // the address SignIn sends the page to
}

func (f *fakeAccounts) called(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeAccounts) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeAccounts) Accounts(context.Context) ([]web.AccountInfo, error) {
	return []web.AccountInfo{{Handle: "alice@example.social", Server: "https://example.social", Software: "mastodon 4.3.0", Bookmarks: 3, SignedIn: true}}, nil
}

func (f *fakeAccounts) SignIn(ctx context.Context, instance string, rcv *oauth.PageReceiver, p *oauth.PageRedirect) (web.Said, error) {
	f.called("signin " + instance)
	if err := p.OpenBrowser(f.authorize); err != nil {
		return nil, err
	}
	return nil, errors.New("no approval came from the browser")
}

func (f *fakeAccounts) SignOut(_ context.Context, account string) (web.Said, error) {
	f.called("signout " + account)
	return web.Said{"Revoked the token of " + account}, nil
}

func (f *fakeAccounts) ExportFormats() []web.ExportFormat {
	return []web.ExportFormat{{Name: "csv", Description: "CSV"}}
}

func (f *fakeAccounts) Export(_ context.Context, account, format, dir string) (string, string, string, error) {
	f.called("export " + account + " " + format)
	if format != "csv" {
		return "", "", "", errors.New(`unknown format "` + format + `"`)
	}
	path := filepath.Join(dir, "bookmarks.csv")
	return path, "bookmarks.csv", "text/csv; charset=utf-8", os.WriteFile(path, []byte("a,b\n"), 0o600)
}

func (f *fakeAccounts) Schedule(context.Context) (web.ScheduleInfo, error) {
	return web.ScheduleInfo{Schedule: []string{"No schedule is installed"}, Periods: []string{"6h", "1d"}}, nil
}

func (f *fakeAccounts) InstallSchedule(_ context.Context, r web.ScheduleRequest) (web.Said, error) {
	f.called("install " + r.Every + " " + r.At + " " + r.From + " " + r.To)
	return nil, nil
}

func (f *fakeAccounts) RemoveSchedule(context.Context) (web.Said, error) {
	f.called("remove")
	return nil, nil
}

// TestAccountsPagePosts: each form of the accounts page is taken only as
// a POST from the page itself (its Origin, or Origin: null with
// Sec-Fetch-Site same-origin, as browsers send under the page's
// no-referrer policy) with the session's token; anything else is refused
// before the service hears of it. An export comes as an attachment.
func TestAccountsPagePosts(t *testing.T) {
	fa := &fakeAccounts{authorize: `https://example.social/oauth/authorize?client_id=x&state=s"<t>&scope=read+write`}
	s, err := web.New(web.Options{Archive: newFixture(t).archive, Accounts: fa})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	page := get(t, srv.URL, "/accounts", "")
	if page.code != 200 || !strings.Contains(page.body, "alice@example.social") || !strings.Contains(page.body, "mastodon 4.3.0") {
		t.Fatalf("accounts page: %d\n%s", page.code, page.body)
	}
	m := regexp.MustCompile(`name="token" value="([0-9a-f]{64})"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no form token on the accounts page")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, headers ...string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	forms := map[string]url.Values{
		"/accounts/signout":  {"account": {"alice@example.social"}},
		"/accounts/export":   {"account": {"alice@example.social"}, "format": {"csv"}},
		"/accounts/schedule": {"every": {"1d"}},
		"/accounts/add":      {"instance": {"example.social"}},
	}
	for path, form := range forms {
		with := func(token string) url.Values {
			v := url.Values{"token": {token}}
			for k, vs := range form {
				v[k] = vs
			}
			return v
		}
		for _, c := range []struct {
			why     string
			token   string
			headers []string
		}{
			{"another site with the token", m[1], []string{"Origin", "https://evil.example"}},
			{"another port of loopback (same site)", m[1], []string{"Origin", "null", "Sec-Fetch-Site", "same-site"}},
			{"no Origin, no Referer", m[1], nil},
			{"the page without the token", "", []string{"Origin", srv.URL}},
			{"the page with a wrong token", strings.Repeat("0", 64), []string{"Origin", srv.URL}},
		} {
			if code, _, _ := post(path, with(c.token), c.headers...); code != http.StatusForbidden {
				t.Errorf("POST %s from %s: %d, want 403", path, c.why, code)
			}
		}
		if r := get(t, srv.URL, path, ""); r.code != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d, want 405", path, r.code)
		}
	}
	if calls := fa.Calls(); len(calls) != 0 {
		t.Fatalf("refused requests reached the service: %q", calls)
	}

	// The page's own forms, as a browser sends them.
	own := []string{"Origin", "null", "Sec-Fetch-Site", "same-origin"}
	withToken := func(v url.Values) url.Values { v.Set("token", m[1]); return v }
	code, h, _ := post("/accounts/signout", withToken(forms["/accounts/signout"]), own...)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/accounts?notice=") {
		t.Fatalf("sign out: %d to %q", code, h.Get("Location"))
	}
	if shown := get(t, srv.URL, h.Get("Location"), ""); !strings.Contains(shown.body, "Revoked the token of alice@example.social") {
		t.Errorf("the notice after signing out:\n%s", shown.body)
	}
	code, h, body := post("/accounts/export", withToken(forms["/accounts/export"]), "Origin", srv.URL)
	if code != 200 || h.Get("Content-Disposition") != `attachment; filename="bookmarks.csv"` || body != "a,b\n" || h.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("export: %d %v %q", code, h, body)
	}
	bad := withToken(url.Values{"account": {"alice@example.social"}, "format": {"nope"}})
	if code, h, _ := post("/accounts/export", bad, own...); code != http.StatusSeeOther ||
		!strings.Contains(get(t, srv.URL, h.Get("Location"), "").body, `unknown format &#34;nope&#34;`) {
		t.Errorf("a failed export: %d, notice at %q", code, h.Get("Location"))
	}
	sched := withToken(url.Values{"every": {"1d"}, "at": {"03:30"}, "from": {"a@x.example"}, "to": {"b@y.example"}})
	if code, _, _ := post("/accounts/schedule", sched, own...); code != http.StatusSeeOther {
		t.Errorf("schedule: %d", code)
	}

	// Adding an account sends the tab to the server by a refresh (a
	// redirect answering the form would be held to form-action 'self'),
	// the address escaped, with a link to it too.
	code, _, body = post("/accounts/add", withToken(forms["/accounts/add"]), own...)
	want := `content="0; url=https://example.social/oauth/authorize?client_id=x&amp;state=s&#34;&lt;t&gt;&amp;scope=read&#43;write"`
	if code != 200 || !strings.Contains(body, want) || !strings.Contains(body, `id="continue" href="https://example.social/oauth/authorize?`) {
		t.Errorf("add: %d, want the refresh %s in\n%s", code, want, body)
	}
	if got, want := fa.Calls(), []string{"signout alice@example.social", "export alice@example.social csv", "export alice@example.social nope",
		"install 1d 03:30 a@x.example b@y.example", "signin example.social"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the service was asked %q, want %q", got, want)
	}

	// An answer that belongs to no sign-in started here changes nothing.
	if r := get(t, srv.URL, "/callback?code=abc&state=forged", ""); r.code != http.StatusBadRequest || !strings.Contains(r.body, "does not belong to a sign-in started on this page") {
		t.Errorf("a forged answer: %d\n%s", r.code, r.body)
	}
}
