package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/nodeinfo"
	"github.com/fedimarks/fedimarks/internal/oauth"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// Servers of the Misskey family (Misskey, Sharkey, Firefish, ...) speak
// Misskey's own API: login detects the family and signs in with MiAuth
// (or a pasted token), and backup reads the account's favorites, through
// internal/misskey instead of internal/mastodon, into the same archive.

// detectServer says which family server belongs to and what it runs
// ("misskey 2024.11.0"; "" unknown): its NodeInfo, else the answer of
// Mastodon's /api/v1/instance, else Misskey's /api/meta. A server that
// answers none of them is taken for Mastodon's family, whose sign-in then
// says what is wrong.
//
// A server that cannot be connected to is an error (unreachable), said
// at once: a person waits.
func (a *app) detectServer(ctx context.Context, server string) (fedimarks.Family, string, error) {
	hc := a.io.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	sw, err := nodeinfo.Detect(ctx, hc, server, "fedimarks/"+version)
	switch {
	case err == nil:
		return sw.Family(), sw.String(), nil
	case fedimarks.IsUnreachable(err) || ctx.Err() != nil:
		return "", "", err
	}
	// The server answered, without NodeInfo: its API says which it is.
	if inst, err := a.newClient(server, "", nil).Instance(ctx); err == nil {
		return fedimarks.FamilyOf(inst.Software), strings.TrimSpace(inst.Software + " " + inst.Version), nil
	}
	if meta, err := a.newMisskeyClient(server, "", nil).Meta(ctx); err == nil && meta.Version != "" {
		return fedimarks.FamilyMisskey, fedimarks.CleanText("misskey " + meta.Version), nil
	}
	return fedimarks.FamilyMastodon, "", nil
}

// newMisskeyClient is newClient for a Misskey-family server: the same
// retries, clock, sleeps and waits shown.
func (a *app) newMisskeyClient(server, token string, shown waitShower) *misskey.Client {
	mo := a.clientOptions(server, token, shown)
	c := misskey.New(misskey.Options{Server: server, Token: token, HTTPClient: mo.HTTPClient, UserAgent: mo.UserAgent,
		Options: mo.Options})
	a.trackRequests(c)
	return c
}

// misskeyLogin signs in to a Misskey-family server: MiAuth through the
// browser (or the person confirming in the terminal), or a token read
// from standard input; then saves the account.
func (o loginOptions) misskeyLogin(ctx context.Context, server, software string) error {
	var res oauth.Result
	if o.tokenStdin {
		token, err := readSecretLine(o.stdin)
		if err != nil {
			return err
		}
		o.remember(token)
		acc, err := oauth.IdentifyMisskey(ctx, o.misskeyClient(server, token), server, nil, software)
		if err != nil {
			return o.apiError(fedimarks.Handle("@"+fedimarks.HostOf(server)), server, err, "read:account")
		}
		res = oauth.Result{Token: token, Account: acc}
	} else {
		flow := &oauth.MiAuth{
			Server:    server,
			Client:    func(token string) *misskey.Client { return o.misskeyClient(server, token) },
			Software:  software,
			PasteCode: o.noBrowser,
			Wait:      browserWait,
			OnSecret:  o.remember,
		}
		// The local page's prompter (fedimarks serve) when it asks; the
		// answer then comes to MiAuth's own loopback receiver.
		var err error
		if res, err = flow.SignIn(ctx, o.person()); err != nil {
			return o.loginError(server, err)
		}
	}
	acc, old, err := o.saveLogin(ctx, res.Account, res.Token)
	if err != nil {
		return err
	}
	with := ""
	if len(acc.Scopes) > 0 {
		with = " with permissions " + strings.Join(acc.Scopes, " ")
	}
	fmt.Fprintf(o.errOut, "Logged in as %s on %s%s (token kept in %s).\n", acc.Handle, softwareName(acc), with, acc.TokenStore)
	if old != "" {
		// An app cannot revoke its own token on Misskey: only the
		// person's web session can.
		fmt.Fprintf(o.errOut, "The previous token of %s was replaced; Misskey lets only its web page revoke it: %s.\n", acc.Handle, revokeByHand(acc))
	}
	return nil
}

// softwareName words what an account's server runs: "misskey 2024.11.0
// (Misskey API)"; "an unknown server" when not known.
func softwareName(acc fedimarks.Account) string {
	sw := cleanText(acc.Software)
	if sw == "" {
		sw = "an unknown server"
	}
	return sw + " (" + familyName(acc.Family()) + ")"
}

// familyName names the API of a family for people.
func familyName(f fedimarks.Family) string {
	if f == fedimarks.FamilyMisskey {
		return "Misskey API"
	}
	return "Mastodon API"
}

// favoriteSource adapts a Misskey client to the backup engine: favorites
// are the account's bookmarks.
type favoriteSource struct {
	c     *misskey.Client
	prog  *ui.Progress
	speak func()
}

func (s favoriteSource) Page(ctx context.Context, url string) (backup.Page, error) {
	p, err := s.c.FavoritesPage(ctx, url)
	noteSkipped(s.prog, s.speak, "favorite", p.Skipped)
	return backup.Page{Statuses: p.Statuses, Next: p.Next, URL: p.URL, Skipped: len(p.Skipped)}, err
}

// trackRequests counts c's requests in the run's (see track).
func (a *app) trackRequests(c interface{ Requests() int64 }) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clients = append(a.clients, c)
}

// Confirm shows prompt and waits for the person to press Enter (MiAuth
// has no code to paste), giving up after browserWait.
func (t terminal) Confirm(ctx context.Context, prompt string) error {
	fmt.Fprint(t.a.stderr, prompt)
	_, ended, err := readLine(ctx, t.a.stdin, browserWait)
	if !t.a.stdinTTY() {
		fmt.Fprintln(t.a.stderr)
	}
	if err == nil && ended {
		return usageError("standard input ended before Enter was pressed")
	}
	return err
}
