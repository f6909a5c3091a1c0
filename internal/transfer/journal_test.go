package transfer_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/transfer/journaltest"
)

// The archive is the engine's Journal as it is, with no adapter.
var _ transfer.Journal = (*sqlite.Archive)(nil)

// TestJournalContract runs the Journal contract against the archive the
// imports use and against the in-memory fake the engine's tests use.
func TestJournalContract(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		journaltest.Run(t, func(t *testing.T) transfer.Journal {
			ar, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "archive.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ar.Close() })
			return ar
		})
	})
	t.Run("memory", func(t *testing.T) {
		journaltest.Run(t, func(*testing.T) transfer.Journal { return transfer.NewMemJournal() })
	})
}
