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
		usage: `Usage: fedimarks export [ACCOUNT] --format FORMAT [-o FILE] [--offline] [--include-removed] [--full-every DURATION]

Writes the bookmarks of ACCOUNT (default: the only saved account) to FILE,
or to standard output. A backup runs first unless --offline (incremental,
or full when the last full walk is older than --full-every: see 'fedimarks
help backup'). Bookmarks are listed newest first.

When that backup fails because the server is down or failing (no answer,
a 5xx error, a timeout, after two quick retries), export writes what the
archive holds, says on stderr why it could not refresh and how old the
archive is, and exits 0. A refused token still fails (exit 4), and so does
an account never backed up.

Formats:
` + strings.Join(names, "\n") + `

  fedimarks export --format mastodon -o bookmarks.csv
  fedimarks export alice@mastodon.social --format json --offline > bookmarks.json

` + exitCodesHelp + "\n",
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
	fullEveryFlag(fs, &o.fullEvery)
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
	return runExport(ctx, a, o)
}

func runExport(ctx context.Context, a *app, o exportOptions) error {
	if o.format == "" {
		return usageError("--format is required (one of: %s)", strings.Join(formats.Names(), ", "))
	}
	f, ok := formats.Lookup(o.format)
	if !ok {
		return usageError("unknown format %q (one of: %s)", o.format, strings.Join(formats.Names(), ", "))
	}
	if err := checkOutput(o.output); err != nil {
		return err // before any backup: a typo in -o costs nothing
	}
	var h fedimarks.Handle
	if o.offline {
		var err error
		if h, err = a.archivedAccount(ctx, o.account); err != nil {
			return err
		}
	} else {
		acc, err := runBackup(ctx, a, backupOptions{account: o.account, fullEvery: o.fullEvery, refresh: true})
		if err != nil {
			if err := a.staleArchive(ctx, acc, err); err != nil {
				return err
			}
		}
		h = acc.Handle
	}
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	return writeOutput(a, o.output, func(w io.Writer) error {
		enc := f.New(w, formats.Meta{Account: string(h), Generated: a.now().UTC()})
		err := ar.EachBookmark(ctx, h, sqlite.ListOptions{IncludeRemoved: o.includeRemoved}, enc.Encode)
		if cerr := enc.Close(); err == nil {
			err = cerr
		}
		return err
	})
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
	return nil
}

// archivedAccount picks an account from the archive, signed in or not.
func (a *app) archivedAccount(ctx context.Context, name string) (fedimarks.Handle, error) {
	ar, err := a.openArchive(ctx)
	if err != nil {
		return "", err
	}
	hs, err := ar.ArchivedAccounts(ctx)
	if err != nil {
		return "", err
	}
	if name != "" {
		h, err := fedimarks.ParseHandle(name)
		if err != nil {
			return "", err
		}
		for _, x := range hs {
			if x == h {
				return h, nil
			}
		}
		return "", usageError("the archive holds no bookmarks of %s (run: fedimarks backup %s)", h, h)
	}
	switch len(hs) {
	case 0:
		return "", usageError("the archive is empty (run: fedimarks backup)")
	case 1:
		return hs[0], nil
	}
	names := make([]string, len(hs))
	for i, x := range hs {
		names[i] = string(x)
	}
	return "", usageError("the archive holds several accounts (%s): name one", strings.Join(names, ", "))
}

// writeOutput runs write against standard output, or against a temporary
// file renamed to path once complete, so a failed export never leaves a
// half-written file behind under the real name. The file is readable only
// by its owner (0600), like the import's reports (internal/transfer): an
// export holds private bookmarks.
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
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, pathCause(err))
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, pathCause(err))
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, pathCause(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, pathCause(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, pathCause(err))
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
		return fmt.Errorf("cannot write %s: %w", path, pathCause(err))
	case !fi.IsDir():
		return fedimarks.Errorf(fedimarks.EInvalid, "cannot write %s: %s is not a directory", path, dir)
	}
	return nil
}

// pathCause drops the file name a *fs.PathError carries (our temporary
// file's, meaningless to a person) and keeps its cause.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
