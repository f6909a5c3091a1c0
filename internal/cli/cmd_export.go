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
	var o exportOptions
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
	sum := &exportSummary{Format: o.format}
	err = runExport(ctx, a, o, sum)
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

func runExport(ctx context.Context, a *app, o exportOptions, sum *exportSummary) error {
	if o.format == "" {
		return usageError("--format is required (one of: %s)", strings.Join(formats.Names(), ", "))
	}
	f, ok := formats.Lookup(o.format)
	if !ok {
		return usageError("unknown format %q (one of: %s)", o.format, strings.Join(formats.Names(), ", "))
	}
	vis, err := fedimarks.ParseVisibilities(o.visibility)
	if err != nil {
		return err
	}
	folder := f.Name == "html" && htmlFolder(o.output)
	if folder {
		err = checkFolder(o.output)
	} else {
		err = checkOutput(o.output)
	}
	if err != nil {
		return err // before any backup: a typo in -o costs nothing
	}
	var h fedimarks.Handle
	if o.offline {
		acc, err := a.chooseAccount(ctx, accountQuery{name: o.account, need: archived})
		if err != nil {
			return err
		}
		h = acc.Handle
	} else {
		res, err := runBackup(ctx, a, backupOptions{account: o.account, fullEvery: o.fullEvery, refresh: true})
		if res.Account != "" {
			res.Error, res.ExitCode = errText(ctx, a, err)
			sum.Backup = &res
		}
		if err != nil {
			if err := a.staleArchive(ctx, res.acc, err); err != nil {
				return err
			}
			sum.RefreshError = res.Error
		}
		h = res.Account
	}
	sum.Account = h
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	meta := formats.Meta{Account: string(h), Generated: a.now().UTC()}
	output := o.output
	var copies *htmlCopies
	if f.Name == "html" {
		p, err := a.paths()
		if err != nil {
			return err
		}
		dir := ""
		if folder {
			dir, output = o.output, filepath.Join(o.output, "index.html")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("make %s: %w", dir, atomicfile.Cause(err))
			}
		}
		copies = newHTMLCopies(ctx, ar, p.Media, dir)
		meta.LocalCopy = copies.copy
	}
	folders, err := ar.FoldersByURI(ctx, h)
	if err != nil {
		return err
	}
	var left leftOut
	err = writeOutput(a, output, func(w io.Writer) error {
		enc := f.New(w, meta)
		left = leftOut{vis: vis}
		err := ar.EachBookmark(ctx, h, sqlite.ListOptions{IncludeRemoved: o.includeRemoved}, left.filter(func(b fedimarks.Bookmark) error {
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
	})
	if err == nil && copies != nil {
		err = copies.finish(a.stderr)
	}
	if err == nil {
		left.report(a.stderr)
	}
	if err == nil && output != "" && output != "-" {
		sum.Files = []string{output}
	}
	return err
}

// staleArchive decides, after the backup before an export failed with err,
// whether the archive may be exported as it is: only when the server
// failed (no answer, a 5xx, a timeout; not a refused token, nor anything
// else) and a backup of acc finished before. It then says on stderr why
// there is no refresh and how old the archive is, and returns nil; else
// it returns err.
func (a *app) staleArchive(ctx context.Context, acc fedimarks.Account, err error) error {
	if acc.Handle == "" || acc.LastBackup.IsZero() || ctx.Err() != nil ||
		!(fedimarks.IsUnreachable(err) || fedimarks.ErrorKind(err) == fedimarks.KindServerError) {
		return err
	}
	why := fedimarks.HostOf(acc.Server) + ": " + err.Error()
	var fe *fedimarks.Error
	if errors.As(err, &fe) && fe.Message != "" {
		why = fe.Message
	}
	fmt.Fprintf(a.stderr, "could not refresh the archive: %s; exporting it as of its last backup, %s (%s)\n",
		a.redact(why), acc.LastBackup.Local().Format(fedimarks.TimeLayout), fedimarks.Ago(a.now().Sub(acc.LastBackup)))
	a.speak() // --quiet: the refresh failed
	return nil
}

// writeOutput runs write against standard output, or writes path
// atomically and readable only by its owner (atomicfile, as the import's
// report files): a failed export never leaves a half-written file under
// the real name, and an export holds private bookmarks.
func writeOutput(a *app, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		w, flush := a.dataOut()
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
	fmt.Fprintf(a.stderr, "Wrote %s\n", path)
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
