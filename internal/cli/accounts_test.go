package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// threeAccounts is a network where alice has an account on two servers
// and bob on the second; each has bookmarked a few posts. All three are
// signed in.
type threeAccounts struct {
	net                 *mastodontest.Network
	a, b                *mastodontest.Instance
	aliceA, aliceB, bob *mastodontest.Account
	tokens              map[*mastodontest.Account]string
	home                string
}

func newThreeAccounts(t *testing.T) *threeAccounts {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	w := &threeAccounts{net: net, home: newHome(t), tokens: map[*mastodontest.Account]string{}}
	w.a = net.NewInstance(mastodontest.InstanceOptions{})
	w.b = net.NewInstance(mastodontest.InstanceOptions{})
	w.aliceA, w.aliceB, w.bob = w.a.AddAccount("alice"), w.b.AddAccount("alice"), w.b.AddAccount("bob")
	author := w.a.AddAccount("carol")
	for i, acc := range []*mastodontest.Account{w.aliceA, w.aliceB, w.bob} {
		for k := 0; k <= i; k++ {
			acc.Bookmark(author.Post(mastodontest.PostOptions{}))
		}
		w.tokens[acc] = acc.Token()
		mustRun(t, 0, w.home, w.tokens[acc]+"\n", "login", acc.Instance().URL(), "--token-stdin")
	}
	return w
}

// accountsJSON reads `accounts --json` as handle -> fields.
func accountsJSON(t *testing.T, home string) map[string]map[string]any {
	t.Helper()
	out := mustRun(t, 0, home, "", "accounts", "--json").stdout
	m := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("accounts --json line %q: %v", line, err)
		}
		m[v["account"].(string)] = v
	}
	return m
}

// Issue 12, several accounts: `accounts use` sets the account commands
// take when none is named, and `accounts` marks it.
func TestAccountsUseSetsTheDefault(t *testing.T) {
	w := newThreeAccounts(t)
	r := mustRun(t, ExitUsage, w.home, "", "backup")
	if !strings.Contains(r.stderr, "several accounts are saved") || !strings.Contains(r.stderr, "fedimarks accounts use ACCOUNT") {
		t.Errorf("backup with several accounts and no default:\n%s", r.stderr)
	}

	r = mustRun(t, 0, w.home, "", "accounts", "use", "bob")
	if want := "Default account: " + w.bob.Handle(); !strings.Contains(r.stderr, want) {
		t.Errorf("accounts use said %q, want %q", r.stderr, want)
	}
	r = mustRun(t, 0, w.home, "", "backup")
	if !strings.Contains(r.stderr, w.bob.Handle()+": 3 new") {
		t.Errorf("backup with bob the default:\n%s", r.stderr)
	}
	if out := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "mastodon").stdout; out != expectedMastodonCSV(w.bob.BookmarkURIs()) {
		t.Errorf("export --offline of the default account:\n%s", out)
	}
	// An import without --to goes to the default too.
	file := writeFile(t, "one.csv", w.aliceA.BookmarkURIs()[0]+"\n")
	mustRun(t, 0, w.home, "", "import", file, "--report-dir", t.TempDir())
	if got := len(w.bob.BookmarkURIs()); got != 4 {
		t.Errorf("bob has %d bookmarks after an import without --to, want 4", got)
	}

	// `accounts` marks it, in text and JSON.
	r = mustRun(t, 0, w.home, "", "accounts")
	for _, line := range strings.Split(r.stdout, "\n")[1:] {
		isBob := strings.Contains(line, w.bob.Handle())
		if line != "" && strings.HasPrefix(line, "* ") != isBob {
			t.Errorf("accounts line %q: the default (and only it) starts with *", line)
		}
	}
	if !strings.Contains(r.stderr, "* the default account") {
		t.Errorf("accounts does not explain the mark:\n%s", r.stderr)
	}
	js := accountsJSON(t, w.home)
	for h, v := range js {
		if v["default"] != (h == w.bob.Handle()) {
			t.Errorf("accounts --json: %s has default=%v", h, v["default"])
		}
	}

	// Kept beside the tokens, private.
	st, err := os.Stat(filepath.Join(w.home, "settings.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("settings.json: %v, mode %v; want 0600", err, st)
	}

	// A typo is not taken: nothing changes.
	r = mustRun(t, ExitUsage, w.home, "", "accounts", "use", "bbo")
	oneLine(t, r, `"bbo" matches no saved account`)
	if !strings.Contains(r.stderr, "did you mean "+w.bob.Handle()+"?") {
		t.Errorf("no did-you-mean for a typo:\n%s", r.stderr)
	}
	if js := accountsJSON(t, w.home); js[w.bob.Handle()]["default"] != true {
		t.Error("a refused `accounts use` changed the default")
	}
}

// Issue 12: an account may be named by any unique part of its handle,
// its profile address, with or without the leading @; an ambiguous name
// lists the matches (exit 2), a typo gets "did you mean".
func TestAccountNamedByAnyUniquePart(t *testing.T) {
	w := newThreeAccounts(t)
	hostB := w.b.Host()
	for _, name := range []string{"bob", "BOB", "@" + w.bob.Handle(), w.bob.Handle(), w.b.URL() + "/@bob", w.b.URL() + "/users/bob", "bob@" + strings.Split(hostB, ":")[0]} {
		r := mustRun(t, 0, w.home, "", "backup", name)
		if !strings.Contains(r.stderr, w.bob.Handle()+": ") {
			t.Errorf("backup %s did not back up bob:\n%s", name, r.stderr)
		}
	}
	r := mustRun(t, 0, w.home, "", "backup", "alice@"+w.a.Host())
	if !strings.Contains(r.stderr, w.aliceA.Handle()+": 1 new") {
		t.Errorf("backup alice@host A:\n%s", r.stderr)
	}
	// A host names the only account there.
	r = mustRun(t, 0, w.home, "", "search", "--account", w.a.Host(), "post")
	if r.code != 0 {
		t.Errorf("search --account HOST: %s", r.stderr)
	}

	alices := []string{w.aliceA.Handle(), w.aliceB.Handle()}
	slices.Sort(alices)
	r = mustRun(t, ExitUsage, w.home, "", "backup", "alice")
	oneLine(t, r, `"alice" matches several accounts (`+strings.Join(alices, ", ")+"): name one in full, as user@host")
	r = mustRun(t, ExitUsage, w.home, "", "import", writeFile(t, "x.csv", "https://x.example/1\n"), "--to", "alice")
	oneLine(t, r, `--to "alice" matches several accounts`)
	r = mustRun(t, ExitUsage, w.home, "", "backup", "bobb")
	oneLine(t, r, `"bobb" matches no saved account (`+strings.Join(alices, ", ")+", "+w.bob.Handle()+")")
	if !strings.Contains(r.stderr, "did you mean "+w.bob.Handle()+"?") {
		t.Errorf("typo:\n%s", r.stderr)
	}
	r = mustRun(t, ExitUsage, w.home, "", "backup", "zed@nowhere.example")
	oneLine(t, r, "zed@nowhere.example is not a saved account: log in first with: fedimarks login nowhere.example")
}

// Issue 12: `backup --all` backs up every signed-in account, one after
// another; one failing does not stop the others, one summary ends it and
// the exit code is the worst of them.
func TestBackupAllAccounts(t *testing.T) {
	w := newThreeAccounts(t)
	r := mustRun(t, 0, w.home, "", "backup", "--all")
	for _, acc := range []*mastodontest.Account{w.aliceA, w.aliceB, w.bob} {
		if !strings.Contains(r.stderr, acc.Handle()+": ") {
			t.Errorf("backup --all skipped %s:\n%s", acc.Handle(), r.stderr)
		}
		if out := mustRun(t, 0, w.home, "", "export", acc.Handle(), "--offline", "--format", "mastodon").stdout; out != expectedMastodonCSV(acc.BookmarkURIs()) {
			t.Errorf("archive of %s after backup --all:\n%s", acc.Handle(), out)
		}
	}
	if !strings.Contains(r.stderr, "backed up 3 accounts: 6 new bookmarks") {
		t.Errorf("no summary of backup --all:\n%s", r.stderr)
	}

	// A fourth account's server goes down and the first account's token
	// is revoked: the others are still backed up; the worst code (auth)
	// is the exit.
	c := w.net.NewInstance(mastodontest.InstanceOptions{})
	dave := c.AddAccount("dave")
	mustRun(t, 0, w.home, dave.Token()+"\n", "login", c.URL(), "--token-stdin")
	c.SetDown(true)
	w.a.RevokeToken(w.tokens[w.aliceA])
	w.bob.Bookmark(w.a.AddAccount("erin").Post(mastodontest.PostOptions{}))
	r = mustRun(t, ExitAuth, w.home, "", "backup", "--all")
	if !strings.Contains(r.stderr, w.bob.Handle()+": 1 new") {
		t.Errorf("bob not backed up after alice's failure:\n%s", r.stderr)
	}
	for _, h := range []string{w.aliceA.Handle(), dave.Handle()} {
		if !strings.Contains(r.stderr, "fedimarks: "+h) && !strings.Contains(r.stderr, "fedimarks: "+c.Host()) {
			t.Errorf("the failure of %s is not told:\n%s", h, r.stderr)
		}
	}
	want := fmt.Sprintf("backed up 2 of 4 accounts: 1 new bookmark; failed: %s, %s", w.aliceA.Handle(), dave.Handle())
	if !strings.Contains(r.stderr, want) {
		t.Errorf("summary lacks %q:\n%s", want, r.stderr)
	}
	if strings.Index(r.stderr, want) < strings.Index(r.stderr, w.bob.Handle()+": 1 new") {
		t.Errorf("the summary comes before the last account:\n%s", r.stderr)
	}

	mustRun(t, ExitUsage, w.home, "", "backup", "--all", "bob")
}

// TestAccountFactsGetNoUsagePointer: an account that is not there is a
// fact with its own next command, not a mistake in the command line: no
// "Run 'fedimarks help X' for usage." after it (exit 2 stays: invalid
// input); a wrong flag still gets the pointer.
func TestAccountFactsGetNoUsagePointer(t *testing.T) {
	home := newHome(t)
	for _, args := range [][]string{
		{"backup"},
		{"export", "--offline", "--format", "csv"},
		{"logout", "alice@nowhere.example"},
		{"search", "x", "--account", "bob"},
		{"accounts", "use", "bob"},
	} {
		r := mustRun(t, ExitUsage, home, "", args...)
		if strings.Contains(r.stderr, "for usage") || !strings.Contains(r.stderr, "fedimarks: ") {
			t.Errorf("fedimarks %s:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
	r := mustRun(t, ExitUsage, home, "", "backup", "--no-such-flag")
	if !strings.Contains(r.stderr, "Run 'fedimarks help backup' for usage.") {
		t.Errorf("a wrong flag lacks the usage pointer:\n%s", r.stderr)
	}
}
