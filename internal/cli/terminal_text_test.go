package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// hostile is what a hostile server puts in its text to take over a
// terminal: clear the screen, set the window title, ring the bell, move
// the cursor back, a C1 CSI, and a right-to-left override.
const hostile = "\x1b[2J\x1b]0;owned\x07\r\u009b31m\u202e"

// terminalControls lists the control characters found in s, other than
// newline and tab.
func terminalControls(s string) []string {
	var found []string
	for _, r := range s {
		if r != '\n' && r != '\t' && fedimarks.TerminalRune(r) != r {
			found = append(found, fmt.Sprintf("%U", r))
		}
	}
	return found
}

// runTTY runs the tool with stdout and stderr taken for terminals.
func runTTY(t *testing.T, home, stdin string, args ...string) run {
	t.Helper()
	yes := true
	return runToolWith(t, nil, home, stdin, func(o *IO) { o.StdoutIsTerminal = &yes }, args...)
}

// A server's account name with escape sequences never reaches the
// terminal: login refuses it, with the name shown escaped.
func TestLoginRefusesAnAccountNameWithControlCharacters(t *testing.T) {
	inst := mastodontest.NewNetwork(t).NewInstance(mastodontest.InstanceOptions{})
	eve := inst.AddAccount("eve" + hostile)
	home := newHome(t)
	r := runTool(t, nil, home, eve.Token()+"\n", "login", inst.URL(), "--token-stdin")
	if r.code != ExitError {
		t.Errorf("exit %d, want %d", r.code, ExitError)
	}
	if c := terminalControls(r.stdout + r.stderr); len(c) > 0 {
		t.Errorf("the output holds %v:\n%q", c, r.stderr)
	}
	if !strings.Contains(r.stderr, `unusable account name "eve\x1b[2J`) {
		t.Errorf("the message does not show the name escaped:\n%s", r.stderr)
	}
	if out := mustRun(t, 0, home, "", "accounts", "--json").stdout; strings.Contains(out, "eve") {
		t.Errorf("the account was saved: %s", out)
	}
}

// What a server says of itself (its software's version) and what an
// older fedimarks may have saved in the archive show clean in accounts
// and login.
func TestAccountsShowsServerTextClean(t *testing.T) {
	inst := mastodontest.NewNetwork(t).NewInstance(mastodontest.InstanceOptions{Version: "4.3.0" + hostile})
	alice := inst.AddAccount("alice")
	home := newHome(t)
	r := runTTY(t, home, alice.Token()+"\n", "login", inst.URL(), "--token-stdin")
	if r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	var acc struct{ Software string }
	if err := json.Unmarshal([]byte(mustRun(t, 0, home, "", "accounts", "--json").stdout), &acc); err != nil {
		t.Fatal(err)
	}
	if c := terminalControls(acc.Software); len(c) > 0 || !strings.HasPrefix(acc.Software, "mastodon 4.3.0") {
		t.Errorf("saved software %q holds %v", acc.Software, c)
	}

	// An account saved before handles were checked.
	ar := openHomeArchive(t, home)
	err := ar.SaveAccount(context.Background(), fedimarks.Account{Handle: fedimarks.Handle("eve" + hostile + "@example.org"),
		Server: "https://example.org", Scopes: []string{"read" + hostile}, TokenStore: "keyring"})
	ar.Close()
	if err != nil {
		t.Fatal(err)
	}
	r = runTTY(t, home, "", "accounts")
	if r.code != 0 {
		t.Fatalf("accounts: %d %s", r.code, r.stderr)
	}
	if c := terminalControls(r.stdout + r.stderr); len(c) > 0 {
		t.Errorf("accounts shows %v:\n%q", c, r.stdout)
	}
	if !strings.Contains(r.stdout, "eve [2J ]0;owned") {
		t.Errorf("accounts does not list the account, cleaned:\n%s", r.stdout)
	}
}

// Exports to a terminal carry no control characters whatever the format;
// HTML files (html, netscape) carry none either, since HTML has no use for
// them; the other files keep the data as the server sent it.
func TestExportShowsNoControlCharacters(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	inst := net.NewInstance(mastodontest.InstanceOptions{})
	alice := inst.AddAccount("alice")
	mallory := inst.AddAccount("mallory")
	mallory.SetDisplayName("Mal" + hostile + "lory")
	st := mallory.Post(mastodontest.PostOptions{Text: "<p>hello" + hostile + " there</p>", SpoilerText: "cw" + hostile,
		Tags: []string{"tag" + hostile}, Media: []mastodontest.MediaOptions{{Description: "alt" + hostile}}})
	alice.Bookmark(st)
	home := newHome(t)
	mustRun(t, 0, home, alice.Token()+"\n", "login", inst.URL(), "--token-stdin")
	mustRun(t, 0, home, "", "backup")

	for _, f := range []string{"netscape", "html", "csv", "json", "markdown", "mastodon"} {
		r := runTTY(t, home, "", "export", "--offline", "--format", f)
		if r.code != 0 {
			t.Fatalf("export %s: %d %s", f, r.code, r.stderr)
		}
		if c := terminalControls(r.stdout); len(c) > 0 {
			t.Errorf("export --format %s to a terminal shows %v", f, c)
		}
	}
	dir := t.TempDir()
	for _, f := range []string{"netscape", "html"} {
		path := filepath.Join(dir, f+".html")
		mustRun(t, 0, home, "", "export", "--offline", "--format", f, "-o", path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if c := terminalControls(string(b)); len(c) > 0 {
			t.Errorf("export --format %s to a file holds %v", f, c)
		}
		if !strings.Contains(string(b), "hello") || !strings.Contains(string(b), "owned") {
			t.Errorf("export --format %s lost the text around the controls", f)
		}
	}
	// Piped stdout (not a terminal) and other files keep the data exactly.
	r := mustRun(t, 0, home, "", "export", "--offline", "--format", "json")
	if !strings.Contains(r.stdout, `hello\u001b[2J\u001b]0;owned\u0007\r`) {
		t.Errorf("export --format json to a pipe changed the server's data:\n%s", r.stdout)
	}
}

// A server that echoes the token back in an error, with a zero-width
// character inside so that a plain search misses it, shows no token.
func TestTokenEchoedWithInvisibleCharactersIsRedacted(t *testing.T) {
	const tok = "EchoedT0ken-0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if len(sent) < 9 { // a request without the token (the server's software, its nodeinfo): nothing here
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		mid := len(sent) / 2
		json.NewEncoder(w).Encode(map[string]string{
			"error":             "The access token " + sent[:mid] + "\u200b" + sent[mid:] + " is invalid",
			"error_description": "token: " + sent[:3] + "\u00ad" + sent[3:9] + "\x1b[0m" + sent[9:],
		})
	}))
	defer srv.Close()
	home := newHome(t)
	r := runTool(t, nil, home, tok+"\n", "login", srv.URL, "--token-stdin")
	if r.code != ExitAuth {
		t.Errorf("exit %d, want %d:\n%s", r.code, ExitAuth, r.stderr)
	}
	visible := strings.Map(func(r rune) rune {
		if r == '\u200b' || r == '\u00ad' || fedimarks.TerminalRune(r) != r {
			return -1
		}
		return r
	}, r.stdout+r.stderr)
	if strings.Contains(visible, tok) || strings.Contains(visible, tok[:9]) {
		t.Errorf("the token shows:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "The access token [redacted] is invalid") {
		t.Errorf("the message lost its sense:\n%s", r.stderr)
	}
}
