package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
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

// accountsOptions are accounts': --json, the archive, the settings (the
// default account, each account's thread setting) and the terminal side.
type accountsOptions struct {
	json     bool
	archive  archiveFunc
	settings settingsFunc
	dataOut  dataOutFunc
	errOut   io.Writer
}

// accountsUseOptions are 'accounts use ACCOUNT”s.
type accountsUseOptions struct {
	name         string
	choose       chooseFunc
	settings     settingsFunc
	saveSettings func(settings) error
	errOut       io.Writer
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
		return runAccountsUse(ctx, accountsUseOptions{name: pos[1], choose: a.chooseAccount,
			settings: a.loadSettings, saveSettings: a.saveSettings, errOut: a.stderr})
	}
	if len(pos) > 0 {
		if near := nearest(pos[0], []string{"use"}); near != "" {
			return usageError("accounts: unknown subcommand %q: did you mean %q?", pos[0], near)
		}
		return usageError("accounts takes no arguments but 'use ACCOUNT'")
	}
	return runAccounts(ctx, accountsOptions{json: *asJSON, archive: a.openArchive, settings: a.loadSettings, dataOut: a.dataOut, errOut: a.stderr})
}

// runAccounts lists the saved accounts, then those only archived: a
// table on standard output with notes on stderr, or JSON lines.
func runAccounts(ctx context.Context, o accountsOptions) error {
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	l, err := listAccounts(ctx, ar, o.settings())
	if err != nil {
		return err
	}
	out, flush := o.dataOut()
	defer flush()
	if o.json {
		return l.writeJSON(ctx, out, ar)
	}
	if len(l.saved) == 0 && len(l.loggedOut) == 0 {
		fmt.Fprintf(o.errOut, "No saved account. Log in with: fedimarks login INSTANCE\nArchive: %s\n", ar.Path())
		return nil
	}
	if err := l.writeTable(ctx, out, ar); err != nil {
		return err
	}
	l.writeNotes(o.errOut)
	fmt.Fprintf(o.errOut, "Archive: %s\n", ar.Path())
	return nil
}

// accountList is what accounts lists.
type accountList struct {
	saved []fedimarks.Account
	// loggedOut are the accounts logged out (or never signed in here)
	// whose bookmarks the archive still holds: listed too, since export
	// --offline, search and serve work on them.
	loggedOut []fedimarks.Handle
	// def is the account commands take when none is named ("": none).
	def fedimarks.Handle
	s   settings
}

func listAccounts(ctx context.Context, ar *sqlite.Archive, s settings) (accountList, error) {
	l := accountList{s: s}
	var err error
	if l.saved, err = ar.Accounts(ctx); err != nil {
		return l, err
	}
	l.def = s.DefaultAccount
	if !slices.ContainsFunc(l.saved, func(acc fedimarks.Account) bool { return acc.Handle == l.def }) {
		l.def = ""
		if len(l.saved) == 1 {
			l.def = l.saved[0].Handle
		}
	}
	archived, err := ar.ArchivedAccounts(ctx)
	if err != nil {
		return l, err
	}
	for _, h := range archived {
		if !slices.ContainsFunc(l.saved, func(acc fedimarks.Account) bool { return acc.Handle == h }) {
			l.loggedOut = append(l.loggedOut, h)
		}
	}
	return l, nil
}

// writeJSON writes one object a line: the saved accounts, then the
// logged-out ones.
func (l accountList) writeJSON(ctx context.Context, out io.Writer, ar *sqlite.Archive) error {
	enc := json.NewEncoder(out)
	for _, acc := range l.saved {
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
			"signed_in": true, "default": acc.Handle == l.def, "context": l.s.context(acc.Handle),
		}); err != nil {
			return err
		}
	}
	for _, h := range l.loggedOut {
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

// writeTable writes the table, the default account marked with *.
func (l accountList) writeTable(ctx context.Context, out io.Writer, ar *sqlite.Archive) error {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACCOUNT\tSERVER\tSOFTWARE\tSCOPES\tLAST BACKUP\tBOOKMARKS\tTOKEN KEPT IN")
	for _, acc := range l.saved {
		n, err := ar.Counts(ctx, acc.Handle)
		if err != nil {
			return err
		}
		last := "never"
		if !acc.LastBackup.IsZero() {
			last = acc.LastBackup.Local().Format(fedimarks.TimeLayout)
		}
		mark := "  "
		if acc.Handle == l.def {
			mark = "* "
		}
		// What the archive holds came from servers: one clean field each.
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%d\t%s\n", mark, cleanText(string(acc.Handle)), cleanText(acc.Server), softwareName(acc),
			cleanText(orUnknown(strings.Join(acc.Scopes, " "))), last, n.Active, cleanText(orUnknown(acc.TokenStore)))
	}
	for _, h := range l.loggedOut {
		n, err := ar.Counts(ctx, h)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\n", cleanText(string(h)), "(logged out)", "-", "-", "-", n.Active, "-")
	}
	return tw.Flush()
}

// orUnknown is s, or "(unknown)" when empty.
func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// writeNotes explains the table: threads kept, logged-out accounts, the
// default account.
func (l accountList) writeNotes(w io.Writer) {
	var hs []fedimarks.Handle
	for _, acc := range l.saved {
		hs = append(hs, acc.Handle)
	}
	if note := l.s.contextNote(hs); note != "" {
		fmt.Fprintln(w, note)
	}
	if len(l.loggedOut) > 0 {
		fmt.Fprintln(w, "Logged-out accounts keep their archive: export them with --offline, search and serve them; log in again to back them up.")
	}
	if l.def != "" {
		fmt.Fprintf(w, "* the default account, used when a command names none (change it with: fedimarks accounts use ACCOUNT)\n")
	} else if len(l.saved) > 1 {
		fmt.Fprintf(w, "No default account: commands need one named, or set one with: fedimarks accounts use ACCOUNT\n")
	}
}

// runAccountsUse makes the saved account o names the default.
func runAccountsUse(ctx context.Context, o accountsUseOptions) error {
	acc, err := o.choose(ctx, accountQuery{name: o.name})
	if err != nil {
		return err
	}
	s := o.settings()
	s.DefaultAccount = acc.Handle
	if err := o.saveSettings(s); err != nil {
		return err
	}
	fmt.Fprintf(o.errOut, "Default account: %s (commands act for it when none is named).\n", acc.Handle)
	return nil
}
