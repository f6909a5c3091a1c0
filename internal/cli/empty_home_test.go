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
