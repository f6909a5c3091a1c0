package cli

import (
	"strings"
	"testing"
)

// A new home with no account at all: search and tags point at the first
// step, login, not at a backup that would only say to log in first.
func TestEmptyHomeHintsLogin(t *testing.T) {
	home := newHome(t)
	for _, args := range [][]string{{"search", "quokka"}, {"tags"}} {
		r := mustRun(t, ExitUsage, home, "", args...)
		oneLine(t, r, "the archive is empty: log in first with: fedimarks login INSTANCE, then run: fedimarks backup")
	}
}

// `fedimarks help bakup` gets the same did-you-mean as `fedimarks bakup`.
func TestHelpUnknownCommandSuggests(t *testing.T) {
	home := newHome(t)
	r := mustRun(t, ExitUsage, home, "", "help", "bakup")
	oneLine(t, r, `unknown command "bakup": did you mean "backup"? (run: fedimarks help)`)
	r = mustRun(t, ExitUsage, home, "", "help", "zzzzzz")
	oneLine(t, r, `unknown command "zzzzzz" (run: fedimarks help)`)
}

// A dry run that stops on the way is run again as a dry run: its hint
// never drops --dry-run and so never suggests the real import.
func TestImportDryRunHintKeepsDryRun(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	file := writeFile(t, "bookmarks.csv", "https://far.example/users/x/statuses/1\n")
	f.b.FailNext(5, 401, 0)
	r := mustRun(t, ExitAuth, f.home, "", "import", file, "--to", f.bob.Handle(), "--dry-run")
	want := "fedimarks import " + file + " --to " + f.bob.Handle() + " --dry-run)"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}
