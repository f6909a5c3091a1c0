package cli

import "testing"

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
