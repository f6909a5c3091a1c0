package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/oauth"
)

type loginOptions struct {
	instance   string
	tokenStdin bool
	noBrowser  bool
	// user is the account's name when the argument was a handle.
	user string
	// page and prompter, when set, are the local page's (fedimarks
	// serve): the answer comes to its receiver, the person is asked there.
	page     *oauth.PageReceiver
	prompter oauth.Prompter

	loginDeps
}

// loginDeps are what a sign-in uses besides its options: the archive
// (the account, each server's app) and the token store; standard input
// (--token-stdin); the clients of the server, which give up at the first
// failure (a person waits, and nothing is lost); the person at the
// terminal; and how refusals are worded and replaced tokens revoked.
type loginDeps struct {
	archive  archiveFunc
	secrets  secretsFunc
	stdin    io.Reader
	remember func(string) // blank this secret out of messages
	redact   redactFunc
	// detect says which family a server belongs to and what it runs
	// (app.detectServer).
	detect        func(ctx context.Context, server string) (fedimarks.Family, string, error)
	client        func(server, token string) *mastodon.Client
	misskeyClient func(server, token string) *misskey.Client
	// terminal is the person at the terminal, with a browser unless
	// noBrowser.
	terminal func(noBrowser bool) oauth.Prompter
	apiError func(h fedimarks.Handle, server string, err error, scope string) error
	revoke   func(ctx context.Context, server, token string, older ...fedimarks.App) error
	errOut   io.Writer
}

// loginDeps are login's dependencies from a, whose clients from now on
// give up at the first failure.
func (a *app) loginDeps() loginDeps {
	a.noRetries = true
	return loginDeps{archive: a.openArchive, secrets: a.secretStore, stdin: a.stdin, remember: a.remember, redact: a.redact,
		detect: a.detectServer,
		client: func(server, token string) *mastodon.Client { return a.newClient(server, token, nil) },
		misskeyClient: func(server, token string) *misskey.Client {
			return a.newMisskeyClient(server, token, nil)
		},
		terminal: func(noBrowser bool) oauth.Prompter { return a.terminal(noBrowser) },
		apiError: a.apiError, revoke: a.revoke, errOut: a.stderr}
}

func loginCommand() command {
	return command{
		name:    "login",
		summary: "sign in to an account on an instance",
		usage: `Usage: fedimarks login INSTANCE [--no-browser | --token-stdin]

Signs in to an account on INSTANCE and saves it as user@host. INSTANCE may
be your handle (alice@mastodon.social): its server is taken.

By default fedimarks registers itself on the instance (once; the app is kept
and reused, after checking that the server still knows it: snac forgets it
when one of its tokens is revoked), opens your browser at the instance's
authorization page and receives the answer on
http://127.0.0.1:PORT/callback, a port open only on this machine. The
address is printed too, in case the browser does not open.
It asks only for the scopes it uses: read:bookmarks write:bookmarks
read:search, plus profile (or read:accounts) to learn the account's name;
servers without fine-grained scopes get "read write", and it says so.

  --no-browser   print the address instead of opening a browser, and read
                 the code the page shows from standard input (for SSH
                 sessions and machines without a browser; also used when no
                 browser can be opened)
  --token-stdin  read an access token you created yourself from standard
                 input (for scripts; never pass a token as an argument):
                   fedimarks login mastodon.social --token-stdin < token.txt

Logging in again to the same account replaces its token and revokes the old
one. The token is checked with the server and kept in the system keyring, or
in a file readable only by you; fedimarks says which. INSTANCE is a host name
(https is used) or, for local testing only, an http:// URL of a loopback
address. Waiting for the browser gives up after 5 minutes; Ctrl-C cancels.

` + serverExitCodes + "\n",
		run: runLoginCommand,
	}
}

func runLoginCommand(ctx context.Context, a *app, args []string) error {
	var o loginOptions
	fs := newFlags(a.cmd)
	fs.BoolVar(&o.tokenStdin, "token-stdin", false, "read the access token from standard input")
	fs.BoolVar(&o.noBrowser, "no-browser", false, "print the address and read the code from standard input")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("login takes one INSTANCE, e.g. fedimarks login mastodon.social")
	}
	o.instance, o.user = loginTarget(pos[0])
	if o.tokenStdin && o.noBrowser {
		return usageError("--token-stdin and --no-browser do not go together")
	}
	o.loginDeps = a.loginDeps()
	return runLogin(ctx, o)
}

// runLogin signs in as o says (the login command's run, and the
// page's): with the token on standard input, else through the browser
// (OAuth, or MiAuth on a Misskey-family server).
func runLogin(ctx context.Context, o loginOptions) error {
	run := loginOptions.tokenLogin
	if !o.tokenStdin {
		run = loginOptions.oauthLogin
	}
	if server, err := mastodon.NormalizeServer(ctx, o.instance); err == nil {
		switch family, software, err := o.detect(ctx, server); {
		case err != nil:
			run = func(loginOptions, context.Context) error { return err }
		case family == fedimarks.FamilyMisskey:
			run = func(o loginOptions, ctx context.Context) error { return o.misskeyLogin(ctx, server, software) }
		}
	}
	err := run(o, ctx)
	server, serr := mastodon.NormalizeServer(ctx, o.instance)
	switch {
	case serr != nil:
	case err != nil && fedimarks.IsUnreachable(err) && ctx.Err() == nil:
		return loginReachError(server, err)
	case err == nil && o.user != "":
		o.noteOtherAccount(ctx, server, o.user)
	}
	return err
}

// tokenLogin signs in with the token read from standard input, once the
// server says whose it is.
func (o loginOptions) tokenLogin(ctx context.Context) error {
	server, err := mastodon.NormalizeServer(ctx, o.instance)
	if err != nil {
		return err
	}
	token, err := readSecretLine(o.stdin)
	if err != nil {
		return err
	}
	o.remember(token)
	acc, err := oauth.Identify(ctx, o.client(server, token), server, nil)
	if err != nil {
		return o.apiError(fedimarks.Handle("@"+fedimarks.HostOf(server)), server, err, "")
	}
	acc, old, err := o.saveLogin(ctx, acc, token)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.errOut, "Logged in as %s (token kept in %s).\n", acc.Handle, acc.TokenStore)
	o.revokeReplaced(ctx, acc, old)
	return nil
}

// readSecretLine reads one token from r.
func readSecretLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return "", usageError("no token on standard input")
	}
	tok := strings.TrimSpace(line)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", usageError("standard input does not hold an access token")
	}
	return tok, nil
}

// saveLogin saves acc and its token, which the server said is acc's. It
// also returns the token the account had before, when it differs from
// token (it is replaced: revoke it).
func (o loginDeps) saveLogin(ctx context.Context, acc fedimarks.Account, token string) (fedimarks.Account, string, error) {
	st, err := o.secrets(ctx)
	if err != nil {
		return acc, "", err
	}
	var old string
	if prev, err := st.Get(ctx, string(acc.Handle)); err == nil && prev != token {
		o.remember(prev)
		old = prev
	}
	if err := st.Set(ctx, string(acc.Handle), token); err != nil {
		return acc, "", fmt.Errorf("save token: %w", err)
	}
	acc.TokenStore = st.Where(string(acc.Handle))
	ar, err := o.archive(ctx)
	if err != nil {
		return acc, "", err
	}
	if prev, err := ar.Account(ctx, acc.Handle); err == nil {
		acc.LastBackup = prev.LastBackup
	}
	if err := ar.SaveAccount(ctx, acc); err != nil {
		return acc, "", fmt.Errorf("save account: %w", err)
	}
	return acc, old, nil
}

// lacksScope says which scope (or scopes, space-separated) a refused
// request needed.
func lacksScope(scope string) string {
	if strings.Contains(scope, "(or ") {
		return fmt.Sprintf("the access token lacks the %s scope", scope)
	}
	scopes := strings.Fields(scope)
	switch len(scopes) {
	case 0:
		return "the access token lacks a scope this needs"
	case 1:
		return fmt.Sprintf("the access token lacks the %q scope", scopes[0])
	}
	return "the access token lacks a scope this needs (it needs " + strings.Join(scopes, ", ") + ")"
}

// apiError turns a server's refusal into a message for a person: a bad
// token says to log in again (exit 4), a missing scope names the scope (or
// scopes, space-separated) the call needed and says to log in again, which
// grants every scope fedimarks uses; the hint table writes the hints.
func (a *app) apiError(h fedimarks.Handle, server string, err error, scope string) error {
	host := fedimarks.HostOf(server)
	who := string(h)
	if strings.HasPrefix(who, "@") || who == "" {
		who = host
	}
	s := situation{cmd: a.cmd.name, login: loginArg(server)}
	if fedimarks.IsUnreachable(err) {
		// In plain words (refused, timed out, no such name), not the
		// client's request and retry count.
		msg, hint := reachCause(host, err)
		s.nothingArchived = a.nothingArchived(h)
		fe := &fedimarks.Error{Code: fedimarks.EUnavailable, Err: err, Message: msg}
		if fe.Hint = nextStep(fe, s); fe.Hint == "" {
			fe.Hint = hint
		}
		return fe
	}
	var re *fedimarks.RemoteError
	if !errors.As(err, &re) {
		return err
	}
	switch re.Kind {
	case fedimarks.KindAuth:
		return withHint(&fedimarks.Error{Code: fedimarks.EAuth, Err: err,
			Message: fmt.Sprintf("%s: the server refused the access token (%s): it is invalid or was revoked", who, re.Message)}, s)
	case fedimarks.KindScope, fedimarks.KindForbidden:
		// On a request about the whole account, a refusal is a missing
		// scope, whatever the server's words.
		return withHint(&fedimarks.Error{Code: fedimarks.EScope, Err: err,
			Message: fmt.Sprintf("%s: %s (%s)", who, lacksScope(refusedScope(err, nil, scope)), re.Message)}, s)
	case fedimarks.KindNotUser:
		return withHint(&fedimarks.Error{Code: fedimarks.EAuth, Err: err,
			Message: fmt.Sprintf("%s: this is an app token, not a user's token (%s)", who, re.Message)}, s)
	}
	return err
}

// nothingArchived reports whether the archive, when this command opened
// it, holds nothing of h (an account never backed up).
func (a *app) nothingArchived(h fedimarks.Handle) bool {
	if a.factory == nil || a.archive == nil || h == "" {
		return false
	}
	c, err := a.archive.Counts(context.Background(), h)
	return err == nil && c.Active == 0 && c.Removed == 0
}

// refusedScope names the scope a refusal (err) refused: the one the
// adapter found (named by the server, or needed by the request), else
// those of needs (space-separated) that the token's scopes (has, when
// known) do not cover.
func refusedScope(err error, has []string, needs string) string {
	var re *fedimarks.RemoteError
	if errors.As(err, &re) && re.Scope != "" {
		return re.Scope
	}
	if len(has) == 0 {
		return needs
	}
	var missing []string
	for _, need := range strings.Fields(needs) {
		general, _, _ := strings.Cut(need, ":")
		if !slices.Contains(has, need) && !slices.Contains(has, general) {
			missing = append(missing, need)
		}
	}
	if len(missing) == 0 {
		return needs
	}
	return strings.Join(missing, " ")
}

// loginArg is what to pass to `fedimarks login` to reach server again: its
// host name, or the whole address for a plain-http (loopback) server, which
// a bare host would send to https.
func loginArg(server string) string {
	if strings.HasPrefix(server, "http://") {
		return server
	}
	return fedimarks.HostOf(server)
}
