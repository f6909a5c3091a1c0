package cli

import (
	"context"
	"encoding/json"
	"fmt"
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

Lists the saved accounts: handle, server, the scopes its token was granted,
when it was last backed up, how many bookmarks its archive holds, and where
its token is kept (the system keyring or a file). --json prints one object a
line with the fields account, server, scopes, software, last_backup (null
when never), bookmarks, removed and token_store. Tokens themselves are never
shown.

` + exitCodesHelp + "\n",
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
	if len(pos) > 0 {
		return usageError("accounts takes no arguments")
	}
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	accs, err := ar.Accounts(ctx)
	if err != nil {
		return err
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
				"account": acc.Handle, "server": acc.Server, "scopes": acc.Scopes, "software": acc.Software,
				"last_backup": last, "bookmarks": n.Active, "removed": n.Removed, "token_store": acc.TokenStore,
				"signed_in": true,
			}); err != nil {
				return err
			}
		}
		for _, h := range loggedOut {
			n, err := ar.Counts(ctx, h)
			if err != nil {
				return err
			}
			if err := enc.Encode(map[string]any{"account": h, "bookmarks": n.Active, "removed": n.Removed, "signed_in": false}); err != nil {
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
	fmt.Fprintln(tw, "ACCOUNT\tSERVER\tSCOPES\tLAST BACKUP\tBOOKMARKS\tTOKEN KEPT IN")
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
		// What the archive holds came from servers: one clean field each.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", cleanText(string(acc.Handle)), cleanText(acc.Server), cleanText(scopes), last, n.Active, cleanText(where))
	}
	for _, h := range loggedOut {
		n, err := ar.Counts(ctx, h)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", cleanText(string(h)), "(logged out)", "-", "-", n.Active, "-")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(loggedOut) > 0 {
		fmt.Fprintln(a.stderr, "Logged-out accounts keep their archive: export them with --offline, search and serve them; log in again to back them up.")
	}
	fmt.Fprintf(a.stderr, "Archive: %s\n", ar.Path())
	return nil
}
