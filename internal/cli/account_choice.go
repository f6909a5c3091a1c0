package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/atomicfile"
)

// accountNeed says which accounts a command may act for.
type accountNeed int

const (
	// signedIn: a saved account with a token (backup, import --to, logout).
	signedIn accountNeed = iota
	// archived: any account whose bookmarks the archive holds, signed in
	// or not (export --offline, search, --from with --offline).
	archived
)

// accountQuery is what a command knows of the account it acts for.
type accountQuery struct {
	// name is what the person typed ("" when nothing): a handle, or any
	// part of one that names a single account.
	name string
	// flag is how the command takes it ("--to", "--from", "--account"),
	// "" for a positional ACCOUNT; messages name it.
	flag string
	need accountNeed
}

// role is what the account is to the command, for messages.
func (q accountQuery) role() string {
	switch q.flag {
	case "--to":
		return "the destination"
	case "--from":
		return "the source"
	}
	return "one"
}

// chooseAccount is the one place that decides which account a command acts
// for: the account named (by any unique part of its handle: alice,
// @alice@host, alice@host, https://host/@alice), else the default set by
// 'fedimarks accounts use', else the only one. Everything is local: no
// request is made. A name that matches nothing (with the nearest handles
// as "did you mean"), or several accounts, is a usage error (exit 2).
// For an archived account that is not signed in, only Handle is set.
func (a *app) chooseAccount(ctx context.Context, q accountQuery) (fedimarks.Account, error) {
	ar, err := a.openArchive(ctx)
	if err != nil {
		return fedimarks.Account{}, err
	}
	accs, err := ar.Accounts(ctx)
	if err != nil {
		return fedimarks.Account{}, err
	}
	held, err := ar.ArchivedAccounts(ctx)
	if err != nil {
		return fedimarks.Account{}, err
	}
	byHandle := map[fedimarks.Handle]fedimarks.Account{}
	var cands []fedimarks.Handle
	for _, acc := range accs {
		byHandle[acc.Handle] = acc
		cands = append(cands, acc.Handle)
	}
	if q.need == archived {
		for _, h := range held {
			if _, ok := byHandle[h]; !ok {
				cands = append(cands, h)
			}
		}
		slices.Sort(cands)
	}
	h, err := a.pickHandle(q, cands, held)
	if err != nil {
		return fedimarks.Account{}, err
	}
	if q.need == archived && !slices.Contains(held, h) {
		return fedimarks.Account{}, factError("the archive holds no bookmarks of %s (run: fedimarks backup %s)", h, h)
	}
	if acc, ok := byHandle[h]; ok {
		return acc, nil
	}
	return fedimarks.Account{Handle: h}, nil
}

// pickHandle picks among cands (sorted) as chooseAccount says; held are
// the accounts the archive holds bookmarks of, for hints.
func (a *app) pickHandle(q accountQuery, cands, held []fedimarks.Handle) (fedimarks.Handle, error) {
	if q.name != "" {
		return matchAccount(a.cmd.name, q, cands, held)
	}
	if def := a.defaultAccount(); def != "" && slices.Contains(cands, def) {
		return def, nil
	}
	switch len(cands) {
	case 0:
		if q.need == archived {
			// No account is saved either (cands holds the saved ones):
			// the first step is a login, which backup would only repeat.
			return "", factError("the archive is empty: log in first with: fedimarks login INSTANCE, then run: fedimarks backup")
		}
		return "", factError("no saved account: log in first with: fedimarks login INSTANCE")
	case 1:
		return cands[0], nil
	}
	how := "name " + q.role()
	if q.flag != "" {
		how += " with " + q.flag + " user@host"
	}
	what := "several accounts are saved"
	if def := a.defaultAccount(); def != "" {
		what = fmt.Sprintf("the default account %s is no longer saved, and several are", def)
	}
	return "", factError("%s (%s): %s, or set a default with: fedimarks accounts use ACCOUNT", what, joinHandles(cands), how)
}

// matchAccount finds the one account of cands that q.name names: the
// handle itself, else the accounts whose user name or host is the name,
// else those whose handle contains it. The first of these steps that
// finds anything decides; more than one account there is ambiguous.
// cmd is the command's name, for hints.
func matchAccount(cmd string, q accountQuery, cands, held []fedimarks.Handle) (fedimarks.Handle, error) {
	label := strings.TrimSpace(q.name)
	if q.flag != "" {
		label = q.flag + " " + fmt.Sprintf("%q", label)
	} else {
		label = fmt.Sprintf("%q", label)
	}
	name, ok := accountName(q.name)
	if !ok {
		return "", usageError("%s is not an account: expected user@host, or a part of it such as the user name", label)
	}
	switch found := closestMatches(name, cands); len(found) {
	case 0:
		return "", noAccount(cmd, q, label, name, cands, held)
	case 1:
		return found[0], nil
	default:
		return "", factError("%s matches several accounts (%s): name %s in full, as user@host", label, joinHandles(found), q.role())
	}
}

// closestMatches lists the candidates that name matches most closely: as
// the whole handle, else as its user or host, else as a part of it.
func closestMatches(name string, cands []fedimarks.Handle) []fedimarks.Handle {
	steps := []func(h fedimarks.Handle) bool{
		func(h fedimarks.Handle) bool { return strings.EqualFold(string(h), name) },
		func(h fedimarks.Handle) bool {
			return strings.EqualFold(h.User(), name) || strings.EqualFold(h.Host(), name)
		},
		func(h fedimarks.Handle) bool { return strings.Contains(strings.ToLower(string(h)), name) },
	}
	for _, step := range steps {
		var found []fedimarks.Handle
		for _, h := range cands {
			if step(h) {
				found = append(found, h)
			}
		}
		if len(found) > 0 {
			return found
		}
	}
	return nil
}

// noAccount is the error for a name no candidate matches: what to run
// for a handle the archive or the saved accounts lack, else the accounts
// there are and the nearest names.
func noAccount(cmd string, q accountQuery, label, name string, cands, held []fedimarks.Handle) error {
	near := nearHandles(name, cands)
	if h, err := fedimarks.ParseHandle(name); err == nil && len(near) == 0 {
		if q.need == archived { // not archived, and not saved either (else it would match)
			return factError("the archive holds no bookmarks of %s, which is not a saved account: log in first with: fedimarks login %s, then run: fedimarks backup %s", h, h.Host(), h)
		}
		hint := "log in first with: fedimarks login " + h.Host()
		if slices.Contains(held, h) {
			hint += "; its archived bookmarks need no login: fedimarks export " + string(h) + " --offline --format FORMAT"
		}
		if cmd == "logout" {
			hint = "nothing to log out; 'fedimarks accounts' lists the saved accounts"
		}
		return factError("%s is not a saved account: %s", h, hint)
	}
	return factError("%s", noMatch(cmd, label, q.need, cands, near))
}

// listedAtMost is how many accounts an error lists by handle; beyond,
// it says how many and where they are listed.
const listedAtMost = 5

// noMatch words an account query of cmd, label, that matches none of
// cands (the accounts need allows): which accounts there are, near (the
// handles closest to a typo) as "did you mean", and how to add the one
// meant (logout has nothing to add).
func noMatch(cmd, label string, need accountNeed, cands []fedimarks.Handle, near []string) string {
	one, many := "saved account", "saved accounts"
	if need == archived {
		one, many = "account in the archive", "accounts in the archive"
	}
	add := addAccountStep(need == archived, false)
	switch {
	case len(cands) == 0 && need == archived:
		return fmt.Sprintf("%s matches no %s: it is empty; %s", label, one, addAccountStep(true, true))
	case len(cands) == 0:
		return fmt.Sprintf("%s matches no %s: %s", label, one, addAccountStep(false, true))
	case len(near) > 0 && cmd == "logout":
		add = "did you mean " + strings.Join(near, " or ") + "?"
	case len(near) > 0:
		add = "did you mean " + strings.Join(near, " or ") + "? " + addAnotherStep(need == archived)
	case cmd == "logout":
		add = "nothing to log out"
	}
	if len(cands) > listedAtMost {
		return fmt.Sprintf("%s matches none of the %d %s ('fedimarks accounts' lists them): %s", label, len(cands), many, add)
	}
	return fmt.Sprintf("%s matches no %s (%s): %s", label, one, joinHandles(cands), add)
}

// accountName reads what a person typed for an account into the form
// matchAccount compares, lower-cased: "@alice@host" and "alice@host" are
// "alice@host", a profile address (https://host/@alice,
// https://host/users/alice) too; "alice" stays a part. It is false for
// text that cannot name an account (blank, or with spaces).
func accountName(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", false
		}
		p := strings.Trim(u.Path, "/")
		user, ok := strings.CutPrefix(p, "@")
		if !ok {
			user, ok = strings.CutPrefix(p, "users/")
		}
		if !ok || user == "" || strings.Contains(user, "/") {
			return "", false
		}
		if u2, host, ok := strings.Cut(user, "@"); ok { // https://host/@bob@other: a remote profile
			return strings.ToLower(u2 + "@" + host), u2 != "" && host != ""
		}
		return strings.ToLower(user + "@" + u.Host), true
	}
	s = strings.TrimPrefix(s, "@")
	if s == "" || strings.ContainsAny(s, " \t\r\n/\\") {
		return "", false
	}
	return strings.ToLower(s), true
}

// nearHandles are the handles of cands closest to name (a typo of the
// handle, or of its user name), nearest first.
func nearHandles(name string, cands []fedimarks.Handle) []string {
	best, out := 3, []string(nil)
	for _, h := range cands {
		d := editDistance(name, strings.ToLower(string(h)))
		if !strings.Contains(name, "@") {
			d = min(d, editDistance(name, strings.ToLower(h.User())))
		}
		switch {
		case d < best:
			best, out = d, []string{string(h)}
		case d == best:
			out = append(out, string(h))
		}
	}
	return out
}

func joinHandles(hs []fedimarks.Handle) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = string(h)
	}
	return strings.Join(s, ", ")
}

// settings are the choices a person makes that fedimarks keeps between
// runs, in settings.json beside the tokens (0600).
type settings struct {
	// DefaultAccount is the account commands act for when none is named.
	DefaultAccount fedimarks.Handle `json:"default_account,omitempty"`
	// Context is, per account, what every backup of it does with threads
	// when neither --context nor --no-context is given: "self" or "all"
	// (see backupContext).
	Context map[fedimarks.Handle]string `json:"context,omitempty"`
}

func (a *app) settingsPath() (string, error) {
	p, err := a.paths()
	if err != nil {
		return "", err
	}
	return filepath.Join(p.Config, "settings.json"), nil
}

// loadSettings reads the settings; a missing file is the zero value. A
// file that cannot be read is reported once on stderr and ignored: it
// must not stop a backup from cron.
func (a *app) loadSettings() settings {
	if a.settings != nil {
		return *a.settings
	}
	a.settings = &settings{}
	path, err := a.settingsPath()
	if err != nil {
		return *a.settings
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return *a.settings
	}
	if err == nil {
		err = json.Unmarshal(b, a.settings)
	}
	if err != nil {
		*a.settings = settings{}
		fmt.Fprintf(a.stderr, "ignoring %s: %v\n", path, err)
	}
	return *a.settings
}

// saveSettings writes s atomically, readable only by its owner.
func (a *app) saveSettings(s settings) error {
	path, err := a.settingsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return err
	}
	a.settings = &s
	return nil
}

// defaultAccount is the account set by 'fedimarks accounts use', or "".
func (a *app) defaultAccount() fedimarks.Handle { return a.loadSettings().DefaultAccount }
