package cli

import (
	"sync"

	"github.com/fedimarks/fedimarks/internal/secrets"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// factory builds a run's shared dependencies on first use, once each
// (in the manner of cli/cli's cmdutil.Factory): where state lives
// (paths), the archive (app.openArchive) and the secret store
// (secretStore). `--help` builds none of them. Every app of a run holds
// the same factory: the serve run's is shared by the jobs the page starts
// (jobService.newJobApp), which each have their own terminal side (their
// log) but one archive and one secret store. It is safe for concurrent
// use.
type factory struct {
	getenv func(string) string
	home   string // --home: state lives there, as with $FEDIMARKS_HOME

	mu      sync.Mutex // guards archive and secrets while they are built
	archive *sqlite.Archive
	secrets secrets.Store
}
