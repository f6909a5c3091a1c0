package cli

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A sign-in from the page to a server that does not answer comes back at
// once to the accounts page, saying so in login's words; nothing is saved.
func TestPageSignInUnreachable(t *testing.T) {
	home := newHome(t)
	srv := startServe(t, home, nil)
	get := func(u string) string {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	m := regexp.MustCompile(`name="token" value="([0-9a-f]{64})"`).FindStringSubmatch(get(srv.url + "accounts"))
	if m == nil {
		t.Fatal("no form token")
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	form := url.Values{"token": {m[1]}, "instance": {dead}}
	req, _ := http.NewRequest(http.MethodPost, srv.url+"accounts/add", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", strings.TrimSuffix(srv.url, "/"))
	resp, err := http.DefaultClient.Do(req) // follows the 303
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.Request.URL.Path != "/accounts" || !strings.Contains(page, "Could not sign in to "+dead) ||
		!strings.Contains(page, "refused the connection") || !strings.Contains(page, "No account yet") {
		t.Errorf("after signing in to a dead server, at %s:\n%s", resp.Request.URL, page)
	}
}
