package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/oauth"
)

// cli words the next step of every way a sign-in fails; the flow only
// says what failed.
func TestLoginErrorHints(t *testing.T) {
	a := newApp(IO{})
	a.cmd = command{name: "login"}
	const server = "https://example.social"
	for _, tc := range []struct {
		kind error
		want string
	}{
		{oauth.ErrTooManyApps, "wait 10 minutes, then run fedimarks login example.social again"},
		{oauth.ErrCodeRefused, "it may be mistyped, expired or already used: run fedimarks login example.social again"},
		{oauth.ErrWrongState, "run fedimarks login again; if it happens again, something other than your browser is answering"},
		{oauth.ErrDenied, "run fedimarks login again to retry"},
		{oauth.ErrNoCode, "run fedimarks login again"},
		{oauth.ErrTimedOut, "run fedimarks login again, or with --no-browser to paste a code instead"},
	} {
		err := a.loginDeps().loginError(server, &fedimarks.Error{Code: fedimarks.EAuth, Message: "it failed", Err: tc.kind})
		if got := err.Error(); got != "it failed ("+tc.want+")" {
			t.Errorf("%v: %q, want the hint %q", tc.kind, got, tc.want)
		}
	}
	// A hint already written stays; other errors pass as they are.
	kept := &fedimarks.Error{Code: fedimarks.EAuth, Message: "no code was pasted", Hint: "run fedimarks login again", Err: oauth.ErrTimedOut}
	if got := a.loginDeps().loginError(server, kept).Error(); got != "no code was pasted (run fedimarks login again)" {
		t.Errorf("a written hint changed: %q", got)
	}
	plain := errors.New("register app on example.social: boom")
	if got := a.loginDeps().loginError(server, plain); got != plain {
		t.Errorf("a plain error changed: %v", got)
	}
	// A refused request for the account's name reads like any refused
	// request.
	refused := &oauth.IdentifyError{Err: mastodon.Remote(&mastodon.APIError{Method: "GET", Path: "/api/v1/accounts/verify_credentials", StatusCode: 401, Message: "The access token is invalid"})}
	err := a.loginDeps().loginError(server, refused)
	if fedimarks.ErrorCode(err) != fedimarks.EAuth || !strings.Contains(err.Error(), "example.social: the server refused the access token") {
		t.Errorf("identify refusal = %v", err)
	}
}

// The terminal says the flow's lines with no secret of the run and no
// control character: they may hold a server's text.
func TestTerminalSay(t *testing.T) {
	var stderr bytes.Buffer
	a := newApp(IO{Stderr: &stderr})
	a.remember("s3cr3t-client-secret")
	a.terminal(true).Say("server said \x1b[31mred\x1b[0m about s3cr3t-client-secret")
	got := stderr.String()
	if strings.Contains(got, "\x1b") || strings.Contains(got, "s3cr3t-client-secret") || !strings.HasSuffix(got, "\n") {
		t.Errorf("said %q", got)
	}
	if a.terminal(true).CanOpenBrowser() {
		t.Error("--no-browser can open a browser")
	}
}
