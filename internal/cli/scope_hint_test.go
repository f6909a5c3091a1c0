package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

var loginHint = regexp.MustCompile(`fedimarks login (\S+?)(?:;|,|\)|\s|$)`)

// A token without write:bookmarks stops an import at the first bookmark:
// the message names that one scope (not the three the import needs), and
// the login command it gives works as typed: for a plain-http loopback
// server it keeps http://, which a bare host would turn into https.
func TestImportMissingScopeNamesItAndALoginThatWorks(t *testing.T) {
	inst := mastodontest.NewNetwork(t).NewInstance(mastodontest.InstanceOptions{})
	alice := inst.AddAccount("alice")
	inst.SetAuthorizingUser(alice)
	post := inst.AddAccount("bob").Post(mastodontest.PostOptions{})
	home := newHome(t)
	tok := alice.Token("read:bookmarks", "read:search", "profile")
	mustRun(t, 0, home, tok+"\n", "login", inst.URL(), "--token-stdin")
	file := filepath.Join(t.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(file, []byte(post.URI()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	r := mustRun(t, ExitAuth, home, "", "import", file, "--to", alice.Handle(), "--report-dir", t.TempDir())
	if !strings.Contains(r.stderr, `"write:bookmarks"`) {
		t.Errorf("the message does not name the refused scope write:bookmarks:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "read:search") {
		t.Errorf("the message names scopes the token has:\n%s", r.stderr)
	}
	m := loginHint.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no login command in:\n%s", r.stderr)
	}
	if m[1] != inst.URL() {
		t.Fatalf("the hint says fedimarks login %s, want %s (a bare host means https)", m[1], inst.URL())
	}
	// Run it as typed.
	full := alice.Token("read:bookmarks", "write:bookmarks", "read:search", "profile")
	mustRun(t, 0, home, full+"\n", "login", m[1], "--token-stdin")
	mustRun(t, 0, home, "", "import", file, "--to", alice.Handle(), "--report-dir", t.TempDir())
}

func TestRefusedScope(t *testing.T) {
	const needs = "read:bookmarks write:bookmarks read:search"
	for _, tc := range []struct {
		name string
		api  mastodon.APIError
		has  []string
		want string
	}{
		{"named by the server", mastodon.APIError{StatusCode: 403, Method: "GET", Path: "/api/v9/other", Message: "Insufficient permissions: write:bookmarks."}, nil, "write:bookmarks"},
		{"doorkeeper's wording", mastodon.APIError{StatusCode: 403, Method: "GET", Path: "/x", Message: "invalid_scope", Description: `Access to this resource requires scope "write write:bookmarks".`}, nil, "write:bookmarks"},
		{"the request's scope", mastodon.APIError{StatusCode: 403, Method: "GET", Path: "/api/v2/search", Message: "This action is outside the authorized scopes"}, nil, "read:search"},
		{"has vs needs", mastodon.APIError{StatusCode: 403, Method: "GET", Path: "/api/v9/other"}, []string{"read:bookmarks", "profile", "write"}, "read:search"},
		{"read covers read:*", mastodon.APIError{StatusCode: 403, Method: "GET", Path: "/api/v9/other"}, []string{"read", "profile"}, "write:bookmarks"},
		{"nothing known", mastodon.APIError{StatusCode: 403, Method: "GET", Path: "/api/v9/other"}, nil, needs},
	} {
		if got := refusedScope(mastodon.Remote(&tc.api), tc.has, needs); got != tc.want {
			t.Errorf("%s: refusedScope = %q, want %q", tc.name, got, tc.want)
		}
	}
}
