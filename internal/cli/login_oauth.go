package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/oauth"
)

// browserWait is how long login waits for the person to approve in the
// browser (or to paste the code).
const browserWait = 5 * time.Minute

// oauthLogin signs in through the browser (the flow is internal/oauth's;
// the options supply the terminal, the browser and the archive that
// keeps the app), then saves the account and revokes the token it
// replaces.
func (o loginOptions) oauthLogin(ctx context.Context) error {
	server, err := mastodon.NormalizeServer(ctx, o.instance)
	if err != nil {
		return err
	}
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	flow := &oauth.Mastodon{
		Server:    server,
		Client:    func(token string) *mastodon.Client { return o.client(server, token) },
		Apps:      ar, // the sign-in keeps each server's app in the archive
		PasteCode: o.noBrowser,
		Wait:      browserWait,
		OnSecret:  o.remember,
		Page:      o.page,
	}
	res, err := flow.SignIn(ctx, o.person())
	if err != nil {
		return o.loginError(server, err)
	}
	acc, old, err := o.saveLogin(ctx, res.Account, res.Token)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.errOut, "Logged in as %s with scopes %s (token kept in %s).\n", acc.Handle, strings.Join(acc.Scopes, " "), acc.TokenStore)
	o.revokeReplaced(ctx, acc, old, res.Forgotten...)
	return nil
}

// person is who approves the sign-in: the local page's prompter
// (fedimarks serve) when it asks, else the person at the terminal.
func (o loginOptions) person() oauth.Prompter {
	if o.prompter != nil {
		return o.prompter
	}
	return o.terminal(o.noBrowser)
}

// loginError words a failed sign-in on server for a person: a refused
// request for the account's name like any refused request, else with the
// next step for what failed.
func (o loginDeps) loginError(server string, err error) error {
	var ie *oauth.IdentifyError
	if errors.As(err, &ie) {
		return o.apiError(fedimarks.Handle("@"+fedimarks.HostOf(server)), server, ie.Err, "")
	}
	var fe *fedimarks.Error
	if errors.As(err, &fe) && fe.Hint == "" {
		fe.Hint = signInHint(err, server)
	}
	return err
}

// signInHint is the next step after a sign-in on server failed as err
// says, "" when there is none to add.
func signInHint(err error, server string) string {
	again := "run fedimarks login " + loginArg(server) + " again"
	for _, h := range []struct {
		kind error
		hint string
	}{
		{oauth.ErrTooManyApps, "wait 10 minutes, then " + again},
		{oauth.ErrCodeRefused, "it may be mistyped, expired or already used: " + again},
		{oauth.ErrWrongState, "run fedimarks login again; if it happens again, something other than your browser is answering"},
		{oauth.ErrDenied, "run fedimarks login again to retry"},
		{oauth.ErrNoCode, "run fedimarks login again"},
		{oauth.ErrTimedOut, "run fedimarks login again, or with --no-browser to paste a code instead"},
	} {
		if errors.Is(err, h.kind) {
			return h.hint
		}
	}
	return ""
}
