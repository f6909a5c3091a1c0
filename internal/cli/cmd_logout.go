package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/remote"
	"github.com/fedimarks/fedimarks/internal/secrets"
)

func logoutCommand() command {
	return command{
		name:    "logout",
		summary: "revoke an account's token and forget it",
		usage: `Usage: fedimarks logout ACCOUNT

Revokes the access token of ACCOUNT (user@host) on its server, then forgets
the token and the account here. The account's archived bookmarks stay in the
archive; log in again to back it up once more.

When the server cannot be reached, or refuses to revoke the token (a token
pasted with --token-stdin belongs to another app and cannot be revoked by
fedimarks), the account is still forgotten here, and fedimarks says that the
token may still be live and where to revoke it by hand: on Mastodon,
Preferences > Account > Authorized apps (/oauth/authorized_applications);
on GoToSocial, /settings/user/tokens; elsewhere the server's settings (snac
has no such page: its administrator can remove a token). That case exits
with 1 when a revocation failed; a token fedimarks did not issue exits with
0 after the notice.

` + serverExitCodes + "\n",
		run: runLogoutCommand,
	}
}

// logoutOptions are logout's: the account named, the chooser, the token
// store and the archive (what is forgotten), how a token is revoked
// (app.revoke), and standard error.
type logoutOptions struct {
	account  string
	choose   chooseFunc
	secrets  secretsFunc
	archive  archiveFunc
	remember func(string) // blank this secret out of messages
	revoke   func(ctx context.Context, server, token string, older ...fedimarks.App) error
	errOut   io.Writer
}

// logoutOptionsOf are logout's options with their dependencies from a
// (the page signs out too).
func logoutOptionsOf(a *app, account string) logoutOptions {
	return logoutOptions{account: account, choose: a.chooseAccount, secrets: a.secretStore, archive: a.openArchive,
		remember: a.remember, revoke: a.revoke, errOut: a.stderr}
}

func runLogoutCommand(ctx context.Context, a *app, args []string) error {
	fs := newFlags(a.cmd)
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("logout takes one ACCOUNT, e.g. fedimarks logout alice@mastodon.social")
	}
	return runLogout(ctx, logoutOptionsOf(a, pos[0]))
}

// runLogout revokes the token of the account o names, then forgets the
// token and the account here (its archived bookmarks stay), and says
// which of these happened.
func runLogout(ctx context.Context, o logoutOptions) error {
	acc, err := o.choose(ctx, accountQuery{name: o.account})
	if err != nil {
		return err
	}
	st, err := o.secrets(ctx)
	if err != nil {
		return err
	}
	revokeErr := o.revokeSaved(ctx, st, acc)
	if ctx.Err() != nil {
		return ctx.Err() // interrupted before anything was forgotten: run it again
	}
	// Forget locally whatever the server said: the person asked for it.
	if err := st.Delete(ctx, string(acc.Handle)); err != nil {
		return fmt.Errorf("forget token of %s: %w", acc.Handle, err)
	}
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	if err := ar.DeleteAccount(ctx, acc.Handle); err != nil && fedimarks.ErrorCode(err) != fedimarks.ENotFound {
		return err
	}
	return o.tell(acc, revokeErr)
}

// errNoToken says no token was saved for the account: nothing to revoke.
var errNoToken = errors.New("no token saved")

// revokeSaved revokes acc's saved token on its server: nil when it did.
func (o logoutOptions) revokeSaved(ctx context.Context, st secrets.Store, acc fedimarks.Account) error {
	tok, err := st.Get(ctx, string(acc.Handle))
	if err != nil {
		fmt.Fprintf(o.errOut, "No token was saved for %s: nothing to revoke.\n", acc.Handle)
		return errNoToken
	}
	o.remember(tok)
	if acc.Family() == fedimarks.FamilyMisskey {
		return errAppCannotRevoke
	}
	return o.revoke(ctx, acc.Server, tok)
}

// tell says what logout did once acc is forgotten here: the token
// revoked, or why it may still be live (an error when the server could
// not revoke it).
func (o logoutOptions) tell(acc fedimarks.Account, revokeErr error) error {
	host := fedimarks.HostOf(acc.Server)
	switch {
	case revokeErr == nil:
		fmt.Fprintf(o.errOut, "Revoked the token of %s on %s and forgot the account here; its archived bookmarks stay.\n", acc.Handle, host)
		return nil
	case errors.Is(revokeErr, errNoToken) || errors.Is(revokeErr, errNotOurToken) || errors.Is(revokeErr, errAppCannotRevoke):
		fmt.Fprintf(o.errOut, "Forgot %s here; its archived bookmarks stay.\n", acc.Handle)
		if errors.Is(revokeErr, errAppCannotRevoke) {
			fmt.Fprintf(o.errOut, "Misskey lets only its own web page revoke an app's token: it may still be live; %s.\n", revokeByHand(acc))
		} else if errors.Is(revokeErr, errNotOurToken) {
			fmt.Fprintf(o.errOut, "fedimarks did not issue this token, so it cannot revoke it: it may still be live. If nothing else uses it, %s.\n", revokeByHand(acc))
		}
		return nil
	}
	why := revokeErr.Error()
	if fedimarks.IsUnreachable(revokeErr) {
		why, _ = reachCause(host, revokeErr) // in plain words, as login says it
	}
	return &fedimarks.Error{Code: fedimarks.EUnavailable, Err: revokeErr,
		Message: fmt.Sprintf("forgot %s here (its archived bookmarks stay), but could not revoke its token: %s; the token may still be live", acc.Handle, why),
		Hint:    revokeByHand(acc)}
}

// revokeByHand says where a person revokes a token of acc's server
// themselves: the page of its software (recorded at login) when fedimarks
// knows it, else the server's settings.
func revokeByHand(acc fedimarks.Account) string {
	if acc.Family() == fedimarks.FamilyMisskey {
		return "revoke fedimarks at " + acc.Server + "/settings/apps (Settings > Apps)"
	}
	software, _, _ := strings.Cut(strings.ToLower(acc.Software), " ")
	switch software {
	case "mastodon":
		return "revoke it at " + acc.Server + "/oauth/authorized_applications (Preferences > Account > Authorized apps)"
	case "gotosocial":
		return "revoke it at " + acc.Server + "/settings/user/tokens"
	case "snac":
		return "snac has no page listing tokens: its administrator can remove it"
	}
	return "revoke it in the server's settings, where it lists authorized apps or access tokens"
}

// errAppCannotRevoke says the server lets no app revoke its own token
// (Misskey: only the person's web session can).
var errAppCannotRevoke = errors.New("an app cannot revoke its token on this server")

// errNotOurToken says a token came from elsewhere (--token-stdin), so
// fedimarks cannot revoke it: it has no app on the server, or the server
// says the token belongs to another app (403 unauthorized_client).
var errNotOurToken = errors.New("token not issued to fedimarks")

// revoke ends token on server with the app fedimarks registered there, or
// else with one of older (apps the server forgot): a token keeps belonging
// to the app that issued it, and snac checks that app's secret even once
// the app is gone. It tries for a few seconds only: a person logging out
// waits for it.
func (a *app) revoke(ctx context.Context, server, token string, older ...fedimarks.App) error {
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	stored, err := ar.App(ctx, server)
	if err != nil {
		return err
	}
	var apps []fedimarks.App
	if stored != nil {
		a.remember(stored.ClientSecret)
		apps = append(apps, *stored)
	}
	apps = append(apps, older...)
	if len(apps) == 0 {
		return errNotOurToken
	}
	c := mastodon.New(mastodon.Options{
		Server:     server,
		HTTPClient: a.io.HTTPClient,
		UserAgent:  "fedimarks/" + version,
		Options: remote.Options{
			Now:        a.io.Now,
			MaxRetries: 2,
			Backoff:    250 * time.Millisecond,
		},
	})
	for i, app := range apps {
		err = c.Revoke(ctx, app, token)
		if err == nil {
			return nil
		}
		if k := fedimarks.ErrorKind(err); k != fedimarks.KindForbidden && k != fedimarks.KindScope {
			return fmt.Errorf("revoke token: %w", err)
		}
		if i == len(apps)-1 {
			// unauthorized_client: the token belongs to another app.
			return fmt.Errorf("%w: %w", errNotOurToken, err)
		}
	}
	return nil
}

// revokeReplaced revokes the token a new login replaced, telling the
// person when it cannot; the login itself has succeeded either way.
func (o loginDeps) revokeReplaced(ctx context.Context, acc fedimarks.Account, old string, older ...fedimarks.App) {
	if old == "" {
		return
	}
	err := o.revoke(ctx, acc.Server, old, older...)
	switch {
	case err == nil:
		fmt.Fprintf(o.errOut, "Revoked the previous token of %s.\n", acc.Handle)
	case errors.Is(err, errNotOurToken):
		fmt.Fprintf(o.errOut, "The previous token of %s was replaced, not revoked: fedimarks did not issue it. If nothing else uses it, %s.\n", acc.Handle, revokeByHand(acc))
	default:
		fmt.Fprintf(o.errOut, "Warning: could not revoke the previous token of %s (%s): it may still be live; %s.\n", acc.Handle, o.redact(err.Error()), revokeByHand(acc))
	}
}
