package cli

import (
	"context"
	"io"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// The dependencies of the commands that talk to an account's server
// beyond its backup: import, migrate and sync (the import engine) and
// verify. Each is filled from the app by the command's entry (or by the
// page's jobs), after the flags are parsed, in the manner of factory.go.
type (
	// misskeyClientFunc makes a client of a Misskey-family server (see
	// app.newMisskeyClient), telling its long waits in shown.
	misskeyClientFunc func(server, token string, shown waitShower) *misskey.Client
	// displayFunc starts a progress display on standard error with
	// opts' label, total, unit and ETA; where it draws, whether as a bar,
	// its clock and --quiet are the run's.
	displayFunc func(opts ui.ProgressOptions) *ui.Progress
	// apiErrorFunc words a server's error about account h for a person
	// (see app.apiError); scope is what the request needed.
	apiErrorFunc func(h fedimarks.Handle, server string, err error, scope string) error
	// backupFunc backs up an account (runBackup).
	backupFunc func(context.Context, backupOptions) (backupResult, error)
)

// reach is what talking to an account's server takes: its token, its
// clients, and where they say what they do (see openDestination).
type reach struct {
	token    tokenFunc
	client   clientFunc
	misskey  misskeyClientFunc
	progress progressFunc // reading a listing
	display  displayFunc  // writing or checking rows, with an ETA
	apiError apiErrorFunc
	now      func() time.Time
	errOut   io.Writer
	// bars: standard error shows bars redrawn in place (a terminal, no
	// NO_COLOR or TERM=dumb), not plain lines that stay.
	bars bool
}

// reachOf is a's reach. Call it once the flags are parsed: --quiet holds
// standard error back.
func reachOf(a *app) reach {
	return reach{token: a.token, client: a.newClient, misskey: a.newMisskeyClient, progress: a.progress,
		display: a.display, apiError: a.apiError, now: a.now, errOut: a.stderr, bars: a.stderrTTY() && !a.plain()}
}

// display is a's displayFunc: as app.progress, a bar on a terminal
// unless NO_COLOR or TERM=dumb asks for plain lines, seen by the page's
// jobs.
func (a *app) display(opts ui.ProgressOptions) *ui.Progress {
	opts.TTY, opts.Now, opts.Quiet = a.stderrTTY() && !a.plain(), a.io.Now, a.quiet
	return a.watch(ui.NewProgress(a.stderr, opts))
}

// transferDeps is what a run of the import engine takes (import,
// migrate, sync), beyond reaching the destination.
type transferDeps struct {
	reach
	archive archiveFunc
	cmd     string // the command's name, for hints
	// stdin and stdinTTY answer a big import's question.
	stdin    io.Reader
	stdinTTY bool
	// origin fetches a post from its own server when the destination's
	// search cannot tell why it found nothing (see app.origin).
	origin func() (transfer.Origin, time.Duration)
	// onJob, when set, hears the import job the engine journals in.
	onJob func(id int64)
}

// transferDepsOf is a's transferDeps. Call it once the flags are parsed.
func transferDepsOf(a *app) transferDeps {
	return transferDeps{reach: reachOf(a), archive: a.openArchive, cmd: a.cmd.name,
		stdin: a.stdin, stdinTTY: a.stdinTTY(), origin: a.origin, onJob: a.onJob}
}

// sourceBackup is the backup of a source account before its bookmarks
// are read (migrate and verify --from without --offline).
type sourceBackup struct {
	backup backupFunc
	redact redactFunc // the backup's error, for --json
	// nothingArchived says whether the archive holds nothing of an
	// account (then --offline has nothing to use).
	nothingArchived func(fedimarks.Handle) bool
}

func sourceBackupOf(a *app) sourceBackup {
	return sourceBackup{redact: a.redact,
		backup: a.backup, nothingArchived: a.nothingArchived}
}
