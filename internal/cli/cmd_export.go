package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/atomicfile"
	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

type exportOptions struct {
	account        string
	format         string
	output         string
	offline        bool
	includeRemoved bool
	fullEvery      time.Duration // as backupOptions.fullEvery
	visibility     string        // --visibility, as fedimarks.ParseVisibilities reads it
	json           bool
	withContext    bool // html, markdown: the threads backup --context kept

	archive archiveFunc
	choose  chooseFunc
	// refresh is the backup before the export (unless offline): runBackup
	// with export's options.
	refresh func(context.Context, backupOptions) (backupResult, error)
	paths   pathsFunc
	now     func() time.Time
	dataOut dataOutFunc
	errOut  io.Writer
	// redact blanks the run's secrets out of a message; speak shows what
	// --quiet held back (a refresh that failed).
	redact redactFunc
	speak  func()
}

// exportSummary is export's --json summary.
type exportSummary struct {
	summary
	Account   fedimarks.Handle `json:"account"`
	Format    string           `json:"format"`
	Bookmarks int              `json:"bookmarks"`
	// Backup is the backup before the export; null with --offline.
	Backup *backupResult `json:"backup"`
	// RefreshError says why the backup failed when the archive was
	// exported as it was (the server down); else null.
	RefreshError *string `json:"refresh_error"`
}

// refreshRetries is how many times export's backup retries a request the
// server failed (about 3 s with the client's backoff): a person waits for
// the file, which the archive can give.
const refreshRetries = 2

func exportCommand() command {
	var names []string
	for _, f := range formats.All() {
		names = append(names, fmt.Sprintf("  %-12s %s", f.Name, f.Description))
	}
	return command{
		name:    "export",
		summary: "write the archived bookmarks in a file format",
		usage: `Usage: fedimarks export [ACCOUNT] --format FORMAT [-o FILE|DIR/] [--visibility LIST] [--offline]
                        [--include-removed] [--full-every DURATION] [--with-context] [--json]

Writes the bookmarks of ACCOUNT (default: the default account, see
'fedimarks accounts') to FILE, or to standard output. A backup runs first
unless --offline (incremental, or full when the last full walk is older
than --full-every: see 'fedimarks help backup'). Bookmarks are listed
newest first.

When that backup fails because the server is down or failing (no answer,
a 5xx error, a timeout, after two quick retries), export writes what the
archive holds, says on stderr why it could not refresh and how old the
archive is, and exits 0. A refused token still fails (exit 4), and so does
an account never backed up.

--with-context adds to html and markdown the thread of each bookmark that
'fedimarks backup --context' kept: the posts it replies to and the replies
below it.

--json prints a summary object when done: on standard output with -o FILE,
else as the last line of standard error (standard output carries the
export):
  {"command":"export","account":"alice@example.social","format":"csv",
   "bookmarks":123,"backup":{...as in backup --json...},"refresh_error":null,
   "requests":1,"files":["bookmarks.csv"],"duration_seconds":0.5,
   "exit_code":0,"error":null}
"backup" is null with --offline; "refresh_error" says why the backup failed
when the archive was exported as it was.

` + visibilityHelp + `

` + htmlHelp + `

Formats:
` + strings.Join(names, "\n") + `

  fedimarks export --format mastodon -o bookmarks.csv
  fedimarks export alice@mastodon.social --format json --offline > bookmarks.json
  fedimarks export --format html -o bookmarks/
  fedimarks export --format netscape --visibility public,unlisted -o shared.html

` + serverExitCodes + "\n",
		run: runExportCommand,
	}
}

func runExportCommand(ctx context.Context, a *app, args []string) error {
	o := exportOptionsOf(a)
	fs := newFlags(a.cmd)
	fs.StringVar(&o.format, "format", "", "output format (see help)")
	fs.StringVar(&o.output, "o", "", "write to `FILE` instead of standard output")
	fs.StringVar(&o.output, "output", "", "write to `FILE` instead of standard output")
	fs.BoolVar(&o.offline, "offline", false, "export the archive as it is, without a backup first")
	fs.BoolVar(&o.includeRemoved, "include-removed", false, "also list bookmarks that were removed on the server")
	fs.StringVar(&o.visibility, "visibility", "all", "keep only posts of these visibilities (`LIST` of public, unlisted, private, direct)")
	fullEveryFlag(fs, &o.fullEvery)
	fs.BoolVar(&o.json, "json", false, "print a summary object")
	fs.BoolVar(&o.withContext, "with-context", false, "html, markdown: include the threads kept by backup --context")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError("export takes at most one ACCOUNT")
	}
	if len(pos) == 1 {
		o.account = pos[0]
	}
	o.errOut = a.stderr // --quiet may hold it back now
	sum := &exportSummary{Format: o.format}
	err = runExport(ctx, o, sum)
	if !o.json {
		return err
	}
	// Standard output carries the export unless -o.
	w := a.stdout
	if o.output == "" || o.output == "-" {
		w = a.errOut
	}
	return a.emitSummary(ctx, w, sum, err)
}

// exportOptionsOf are export's options with their dependencies filled
// from a (the page's share button exports too).
func exportOptionsOf(a *app) exportOptions {
	return exportOptions{archive: a.openArchive, choose: a.chooseAccount, paths: a.paths, now: a.now,
		refresh: func(ctx context.Context, bo backupOptions) (backupResult, error) { return a.backup(ctx, bo) },
		dataOut: a.dataOut, errOut: a.stderr, redact: a.redact, speak: a.speak}
}

// runExport writes the bookmarks of the account o names in o's format,
// after a backup unless offline, and sums up in sum.
func runExport(ctx context.Context, o exportOptions, sum *exportSummary) error {
	f, vis, err := o.check()
	if err != nil {
		return err // before any backup: a typo in -o costs nothing
	}
	h, err := o.exportedAccount(ctx, sum)
	if err != nil {
		return err
	}
	sum.Account = h
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	meta := formats.Meta{Account: string(h), Generated: o.now().UTC()}
	output, copies, err := o.htmlTarget(ctx, ar, f, &meta)
	if err != nil {
		return err
	}
	var left leftOut
	err = writeData(o.dataOut, o.errOut, output, func(w io.Writer) error {
		left = leftOut{vis: vis}
		return o.encode(ctx, ar, h, f.New(w, meta), &left, copies, sum)
	})
	if err == nil && copies != nil {
		err = copies.finish(o.errOut)
	}
	if err != nil {
		return err
	}
	left.report(o.errOut)
	if output != "" && output != "-" {
		sum.Files = []string{output}
	}
	return nil
}

// check reads the format and the visibilities, and says why the output
// cannot be written, before any work.
func (o exportOptions) check() (formats.Format, fedimarks.Visibilities, error) {
	if o.format == "" {
		return formats.Format{}, fedimarks.Visibilities{}, usageError("--format is required (one of: %s)", strings.Join(formats.Names(), ", "))
	}
	f, ok := formats.Lookup(o.format)
	if !ok {
		return f, fedimarks.Visibilities{}, usageError("unknown format %q (one of: %s)", o.format, strings.Join(formats.Names(), ", "))
	}
	vis, err := fedimarks.ParseVisibilities(o.visibility)
	if err != nil {
		return f, vis, err
	}
	if f.Name == "html" && htmlFolder(o.output) {
		return f, vis, checkFolder(o.output)
	}
	return f, vis, checkOutput(o.output)
}

// exportedAccount is the account whose bookmarks are exported: chosen
// among the archived ones when offline, else backed up first (the
// backup's result in sum). When the server fails, the archive is
// exported as it is (see staleArchive).
func (o exportOptions) exportedAccount(ctx context.Context, sum *exportSummary) (fedimarks.Handle, error) {
	if o.offline {
		acc, err := o.choose(ctx, accountQuery{name: o.account, need: archived})
		return acc.Handle, err
	}
	res, err := o.refresh(ctx, backupOptions{account: o.account, fullEvery: o.fullEvery, refresh: true})
	if res.Account != "" {
		res.Error, res.ExitCode = errText(ctx, o.redact, err)
		sum.Backup = &res
	}
	if err != nil {
		if err := o.staleArchive(ctx, res.acc, err); err != nil {
			return "", err
		}
		sum.RefreshError = res.Error
	}
	return res.Account, nil
}

// htmlTarget is, for html, the file the page is written to (index.html
// in a folder when the output is one, made here) and the copier of the
// archived media files beside it (meta.LocalCopy); for other formats the
// output as given.
func (o exportOptions) htmlTarget(ctx context.Context, ar *sqlite.Archive, f formats.Format, meta *formats.Meta) (string, *htmlCopies, error) {
	if f.Name != "html" {
		return o.output, nil, nil
	}
	p, err := o.paths()
	if err != nil {
		return "", nil, err
	}
	output, dir := o.output, ""
	if htmlFolder(o.output) {
		dir, output = o.output, filepath.Join(o.output, "index.html")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("make %s: %w", dir, atomicfile.Cause(err))
		}
	}
	copies := newHTMLCopies(ctx, ar, p.Media, dir)
	meta.LocalCopy = copies.copy
	return output, copies, nil
}

// encode writes h's bookmarks that left lets through with enc, each with
// its folder (and thread, withContext), counted in sum.
func (o exportOptions) encode(ctx context.Context, ar *sqlite.Archive, h fedimarks.Handle, enc formats.Encoder,
	left *leftOut, copies *htmlCopies, sum *exportSummary) error {
	folders, err := ar.FoldersByURI(ctx, h)
	if err != nil {
		return err
	}
	err = ar.EachBookmark(ctx, h, sqlite.ListOptions{IncludeRemoved: o.includeRemoved}, left.filter(func(b fedimarks.Bookmark) error {
		sum.Bookmarks++
		withFolder(folders, &b)
		if o.withContext {
			if err := withThread(ctx, ar, &b); err != nil {
				return err
			}
		}
		return enc.Encode(b)
	}))
	if cerr := enc.Close(); err == nil {
		err = cerr
	}
	if err == nil && copies != nil {
		err = copies.err
	}
	return err
}

// staleArchive decides, after the backup before an export failed with err,
// whether the archive may be exported as it is: only when the server
// failed (no answer, a 5xx, a timeout; not a refused token, nor anything
// else) and a backup of acc finished before. It then says on stderr why
// there is no refresh and how old the archive is, and returns nil; else
// it returns err.
func (o exportOptions) staleArchive(ctx context.Context, acc fedimarks.Account, err error) error {
	if acc.Handle == "" || acc.LastBackup.IsZero() || ctx.Err() != nil ||
		!(fedimarks.IsUnreachable(err) || fedimarks.ErrorKind(err) == fedimarks.KindServerError) {
		return err
	}
	why := fedimarks.HostOf(acc.Server) + ": " + err.Error()
	var fe *fedimarks.Error
	if errors.As(err, &fe) && fe.Message != "" {
		why = fe.Message
	}
	fmt.Fprintf(o.errOut, "could not refresh the archive: %s; exporting it as of its last backup, %s (%s)\n",
		o.redact(why), acc.LastBackup.Local().Format(fedimarks.TimeLayout), fedimarks.Ago(o.now().Sub(acc.LastBackup)))
	o.speak() // --quiet: the refresh failed
	return nil
}

// writeOutput is writeData to a's standard output or path.
func writeOutput(a *app, path string, write func(io.Writer) error) error {
	return writeData(a.dataOut, a.stderr, path, write)
}

// writeData runs write against standard output (dataOut), or writes
// path atomically and readable only by its owner (atomicfile, as the
// import's report files), saying so on errOut: a failed export never
// leaves a half-written file under the real name, and an export holds
// private bookmarks.
func writeData(dataOut dataOutFunc, errOut io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		w, flush := dataOut()
		if err := write(w); err != nil {
			return err
		}
		return flush()
	}
	if err := checkOutput(path); err != nil {
		return err
	}
	if err := atomicfile.Write(path, write); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "Wrote %s\n", path)
	return nil
}

// checkOutput says, before any work, why path cannot be written: its
// folder is missing, or it is a folder itself. "" and "-" are stdout.
func checkOutput(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fedimarks.Errorf(fedimarks.EInvalid, "cannot write %s: it is a directory; give a file name", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fedimarks.Errorf(fedimarks.EInvalid, "cannot write %s: directory %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("cannot write %s: %w", path, atomicfile.Cause(err))
	case !fi.IsDir():
		return fedimarks.Errorf(fedimarks.EInvalid, "cannot write %s: %s is not a directory", path, dir)
	}
	return nil
}
