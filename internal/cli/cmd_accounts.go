package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedimarks/fedimarks"
)

func accountsCommand() command {
	return command{
		name:    "accounts",
		summary: "list saved accounts",
		usage: `Usage: fedimarks accounts [--json]
       fedimarks accounts use ACCOUNT

Lists the saved accounts: handle, server, the scopes its token was granted,
when it was last backed up, how many bookmarks its archive holds, and where
its token is kept (the system keyring or a file). The default account, the
one commands act for when none is named, is marked with *. --json prints one
object a line with the fields account, server, scopes, software, last_backup
(null when never), bookmarks, removed, token_store, signed_in, default and
context (the thread setting of 'backup --context --remember': "self", "all"
or ""). Tokens themselves are never shown.

'accounts use ACCOUNT' makes ACCOUNT the default (kept in settings.json
beside the tokens). Without one, commands act for the only saved account.

An ACCOUNT is named by its handle (alice@example.social, @alice@example.social,
its profile address https://example.social/@alice) or by any part of it that
names one saved account only: alice, example.social.

` + localExitCodes + "\n",
		run: runAccountsCommand,
	}
}

func runAccountsCommand(ctx context.Context, a *app, args []string) error {
	fs := newFlags(a.cmd)
	asJSON := fs.Bool("json", false, "one JSON object a line")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 && pos[0] == "use" {
		if len(pos) != 2 || *asJSON {
			return usageError("accounts use takes one ACCOUNT, e.g. fedimarks accounts use alice@mastodon.social")
		}
		return runAccountsUse(ctx, a, pos[1])
	}
	if len(pos) > 0 {
		if near := nearest(pos[0], []string{"use"}); near != "" {
			return usageError("accounts: unknown subcommand %q: did you mean %q?", pos[0], near)
		}
		return usageError("accounts takes no arguments but 'use ACCOUNT'")
	}
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	accs, err := ar.Accounts(ctx)
	if err != nil {
		return err
	}
	// The default is the account commands take when none is named.
	def := a.defaultAccount()
	if !slices.ContainsFunc(accs, func(acc fedimarks.Account) bool { return acc.Handle == def }) {
		def = ""
		if len(accs) == 1 {
			def = accs[0].Handle
		}
	}
	// Accounts logged out (or never signed in here) whose bookmarks the
	// archive still holds: listed too, since export --offline, search and
	// serve work on them.
	archived, err := ar.ArchivedAccounts(ctx)
	if err != nil {
		return err
	}
	signedIn := map[fedimarks.Handle]bool{}
	for _, acc := range accs {
		signedIn[acc.Handle] = true
	}
	var loggedOut []fedimarks.Handle
	for _, h := range archived {
		if !signedIn[h] {
			loggedOut = append(loggedOut, h)
		}
	}
	out, flush := a.dataOut()
	defer flush()
	if *asJSON {
		enc := json.NewEncoder(out)
		for _, acc := range accs {
			n, err := ar.Counts(ctx, acc.Handle)
			if err != nil {
				return err
			}
			var last *time.Time
			if !acc.LastBackup.IsZero() {
				last = &acc.LastBackup
			}
			if err := enc.Encode(map[string]any{
				"account": acc.Handle, "server": acc.Server, "scopes": acc.Scopes, "software": acc.Software, "family": acc.Family(),
				"last_backup": last, "bookmarks": n.Active, "removed": n.Removed, "token_store": acc.TokenStore,
				"signed_in": true, "default": acc.Handle == def, "context": a.contextSetting(acc.Handle),
			}); err != nil {
				return err
			}
		}
		for _, h := range loggedOut {
			n, err := ar.Counts(ctx, h)
			if err != nil {
				return err
			}
			if err := enc.Encode(map[string]any{"account": h, "bookmarks": n.Active, "removed": n.Removed, "signed_in": false, "default": false}); err != nil {
				return err
			}
		}
		return nil
	}
	if len(accs) == 0 && len(loggedOut) == 0 {
		fmt.Fprintf(a.stderr, "No saved account. Log in with: fedimarks login INSTANCE\nArchive: %s\n", ar.Path())
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACCOUNT\tSERVER\tSOFTWARE\tSCOPES\tLAST BACKUP\tBOOKMARKS\tTOKEN KEPT IN")
	for _, acc := range accs {
		n, err := ar.Counts(ctx, acc.Handle)
		if err != nil {
			return err
		}
		last := "never"
		if !acc.LastBackup.IsZero() {
			last = acc.LastBackup.Local().Format(fedimarks.TimeLayout)
		}
		scopes := strings.Join(acc.Scopes, " ")
		if scopes == "" {
			scopes = "(unknown)"
		}
		where := acc.TokenStore
		if where == "" {
			where = "(unknown)"
		}
		mark := "  "
		if acc.Handle == def {
			mark = "* "
		}
		// What the archive holds came from servers: one clean field each.
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%d\t%s\n", mark, cleanText(string(acc.Handle)), cleanText(acc.Server), softwareName(acc), cleanText(scopes), last, n.Active, cleanText(where))
	}
	for _, h := range loggedOut {
		n, err := ar.Counts(ctx, h)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\n", cleanText(string(h)), "(logged out)", "-", "-", "-", n.Active, "-")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var hs []fedimarks.Handle
	for _, acc := range accs {
		hs = append(hs, acc.Handle)
	}
	if note := a.contextNote(hs); note != "" {
		fmt.Fprintln(a.stderr, note)
	}
	if len(loggedOut) > 0 {
		fmt.Fprintln(a.stderr, "Logged-out accounts keep their archive: export them with --offline, search and serve them; log in again to back them up.")
	}
	if def != "" {
		fmt.Fprintf(a.stderr, "* the default account, used when a command names none (change it with: fedimarks accounts use ACCOUNT)\n")
	} else if len(accs) > 1 {
		fmt.Fprintf(a.stderr, "No default account: commands need one named, or set one with: fedimarks accounts use ACCOUNT\n")
	}
	fmt.Fprintf(a.stderr, "Archive: %s\n", ar.Path())
	return nil
}

// runAccountsUse makes the saved account name names the default.
func runAccountsUse(ctx context.Context, a *app, name string) error {
	acc, err := a.chooseAccount(ctx, accountQuery{name: name})
	if err != nil {
		return err
	}
	s := a.loadSettings()
	s.DefaultAccount = acc.Handle
	if err := a.saveSettings(s); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "Default account: %s (commands act for it when none is named).\n", acc.Handle)
	return nil
}
