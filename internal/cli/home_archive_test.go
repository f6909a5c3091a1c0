package cli

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// openHomeArchive opens the archive of home (FEDIMARKS_HOME) as the tool
// does, for a test to read or seed it; the test closes it.
func openHomeArchive(t testing.TB, home string) *sqlite.Archive {
	t.Helper()
	ar, err := sqlite.Open(context.Background(), filepath.Join(home, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	return ar
}
