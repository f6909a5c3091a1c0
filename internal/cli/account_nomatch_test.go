package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// An account query that matches no account (a positional ACCOUNT,
// --account, --to) says which accounts there are (a short list, or how
// many and the command that lists them) and the command that adds one;
// the exit code stays 2 (usage), with no usage pointer.
func TestNoMatchingAccountSaysWhatToDo(t *testing.T) {
	empty := newHome(t)
	r := mustRun(t, ExitUsage, empty, "", "search", "--account", "xyzzy", "word")
	oneLine(t, r, `--account "xyzzy" matches no account in the archive: it is empty; log in first with: fedimarks login INSTANCE, then run: fedimarks backup`)

	w := newThreeAccounts(t)
	hs := []string{w.aliceA.Handle(), w.aliceB.Handle(), w.bob.Handle()}
	slices.Sort(hs)
	known := "(" + strings.Join(hs, ", ") + ")"
	r = mustRun(t, ExitUsage, w.home, "", "backup", "xyzzy")
	oneLine(t, r, `"xyzzy" matches no saved account `+known+`: to add one, log in to its server: fedimarks login INSTANCE`)
	r = mustRun(t, ExitUsage, w.home, "", "search", "--account", "xyzzy", "word")
	oneLine(t, r, `--account "xyzzy" matches no account in the archive `+known+`: to add one, log in to its server: fedimarks login INSTANCE, then run: fedimarks backup`)
	r = mustRun(t, ExitUsage, w.home, "", "import", writeFile(t, "x.csv", "https://x.example/1\n"), "--to", "xyzzy")
	oneLine(t, r, `--to "xyzzy" matches no saved account `+known+`: to add one, log in to its server: fedimarks login INSTANCE`)
	// A typo still gets its "did you mean", and the way to add another.
	r = mustRun(t, ExitUsage, w.home, "", "backup", "bobb")
	oneLine(t, r, "did you mean "+w.bob.Handle()+"? To add another, log in to its server: fedimarks login INSTANCE")
	// A full handle neither saved nor archived: log in, then back it up.
	r = mustRun(t, ExitUsage, w.home, "", "search", "--account", "zed@nowhere.example", "word")
	oneLine(t, r, "the archive holds no bookmarks of zed@nowhere.example, which is not a saved account: log in first with: fedimarks login nowhere.example, then run: fedimarks backup zed@nowhere.example")
	r = mustRun(t, ExitUsage, w.home, "", "logout", "xyzzy")
	oneLine(t, r, `"xyzzy" matches no saved account `+known+`: nothing to log out`)

	// Many accounts: how many, and where they are listed.
	for i := 0; i < 4; i++ {
		acc := w.b.AddAccount(fmt.Sprintf("user%d", i))
		acc.Bookmark(w.bob.Post(mastodontest.PostOptions{}))
		mustRun(t, 0, w.home, acc.Token()+"\n", "login", w.b.URL(), "--token-stdin")
	}
	r = mustRun(t, ExitUsage, w.home, "", "backup", "xyzzy")
	oneLine(t, r, `"xyzzy" matches none of the 7 saved accounts ('fedimarks accounts' lists them): to add one, log in to its server: fedimarks login INSTANCE`)
	r = mustRun(t, ExitUsage, w.home, "", "search", "--account", "xyzzy", "word")
	oneLine(t, r, `--account "xyzzy" matches none of the 7 accounts in the archive ('fedimarks accounts' lists them): to add one, log in to its server: fedimarks login INSTANCE, then run: fedimarks backup`)
}
