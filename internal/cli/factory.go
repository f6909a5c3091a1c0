package cli

import (
	"context"
	"io"
	"sync"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/secrets"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
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

// A command is its options struct, a thin entry and its runner:
//
//	type xOptions struct {
//		// its flags' values, then only the dependencies it uses:
//		archive archiveFunc // a.openArchive
//		account chooseFunc  // a.chooseAccount
//		errOut  io.Writer   // a.stderr
//	}
//	func runXCommand(ctx context.Context, a *app, args []string) error // parse, fill, runX
//	func runX(ctx context.Context, o xOptions) error                   // the work
//
// The entry (runXCommand) is the only part that sees *app: it parses the
// flags, which may make the run quiet (so it fills the writers after
// parsing), and fills each dependency from the app with one of the
// function types below. runX and everything below it take the options
// only, so a test runs them with fakes: a chooser that returns an
// account, an archive in a temp file, a buffer for standard error.
//
// The dependencies, each lazy (nothing is opened or read until called),
// and where the entry takes them from:
//
//	archiveFunc   a.openArchive     the archive, opened once a run
//	chooseFunc    a.chooseAccount   THE place that decides which account a command acts for
//	tokenFunc     a.token           an account's saved token (remembered for redaction)
//	secretsFunc   a.secretStore     the token store itself (login, logout)
//	pathsFunc     a.paths           where state lives
//	settingsFunc  a.loadSettings    the person's choices kept between runs
//	clientFunc    a.newClient       an HTTP client of a server, counted for --json
//	progressFunc  a.progress        a progress display on standard error
//	func() time.Time a.now          the run's one clock
//	out, errOut   a.stdout, a.stderr  data; messages (held back under --quiet)
//	dataOutFunc   a.dataOut         standard output for data, made safe for a terminal
type (
	// archiveFunc returns the run's archive, opening it on the first call.
	archiveFunc func(context.Context) (*sqlite.Archive, error)
	// chooseFunc picks the account a command acts for from what the
	// person typed (see app.chooseAccount): a usage error (exit 2) when
	// that names none, or several.
	chooseFunc func(context.Context, accountQuery) (fedimarks.Account, error)
	// tokenFunc reads the saved token of an account: an EAuth error
	// with the login hint when there is none.
	tokenFunc func(context.Context, fedimarks.Handle) (string, error)
	// secretsFunc returns the run's token store, opening it on the
	// first call.
	secretsFunc func(context.Context) (secrets.Store, error)
	// pathsFunc says where state lives.
	pathsFunc func() (paths, error)
	// clientFunc makes a client for server with token ("" for
	// unauthenticated calls), telling its long waits in shown (nil: a
	// line on standard error).
	clientFunc func(server, token string, shown waitShower) *mastodon.Client
	// settingsFunc reads the settings (the zero value when none).
	settingsFunc func() settings
	// dataOutFunc returns standard output for data and the function to
	// call once all is written (see app.dataOut).
	dataOutFunc func() (io.Writer, func() error)
	// progressFunc starts a progress display on standard error (a bar on
	// a terminal, plain lines otherwise).
	progressFunc func(label string, total int64, unit string) *ui.Progress
)
