package cli

import (
	"context"
	"errors"
	"flag"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/transfer"
)

type migrateOptions struct {
	pairOptions
	dryRun  bool
	offline bool
	json    bool
	folder  string

	choose   chooseFunc
	source   sourceBackup // --from's, unless offline
	paths    pathsFunc    // the reports directory
	holdRows func() (release func())
	transferDeps
}

// migrateOptionsOf fills o's dependencies from a, once the flags are
// parsed (the page's jobs migrate too).
func migrateOptionsOf(a *app, o migrateOptions) migrateOptions {
	o.choose, o.source, o.paths, o.holdRows, o.transferDeps = a.chooseAccount, sourceBackupOf(a), a.paths, a.holdRows, transferDepsOf(a)
	return o
}

// pairOptions are the options of a move from one account to another that
// migrate and sync share, registered once (pairFlags).
type pairOptions struct {
	from, to    string
	retryFailed bool
	yes         bool
	reportDir   string
}

// pairFlags registers o's flags on fs; reportUsage says what --report-dir
// holds for the command.
func (o *pairOptions) pairFlags(fs *flag.FlagSet, reportUsage string) {
	fs.StringVar(&o.from, "from", "", "source `ACCOUNT`")
	fs.StringVar(&o.to, "to", "", "destination `ACCOUNT`")
	fs.BoolVar(&o.retryFailed, "retry-failed", false, "retry not_found, not_visible and failed rows")
	fs.BoolVar(&o.yes, "yes", false, "do not ask before a big import")
	fs.StringVar(&o.reportDir, "report-dir", "", reportUsage)
}

// migrateSummary is migrate's --json summary: import's, with the source
// and its backup (null with --offline).
type migrateSummary struct {
	importSummary
	Source fedimarks.Handle `json:"source"`
	Backup *backupResult    `json:"backup"`
}

func migrateCommand() command {
	return command{
		name:    "migrate",
		summary: "copy one account's bookmarks to another account",
		usage: `Usage: fedimarks migrate --from ACCOUNT --to ACCOUNT [--dry-run] [--retry-failed]
                         [--yes] [--offline] [--report-dir DIR] [--folder NAME]

Backs up the bookmarks of --from (incrementally; --offline skips this and
uses the archive as it is), then bookmarks them on --to, oldest first, so
that --to lists them in the same order. Both are saved accounts (user@host,
or any part of it that names one); --from needs only to be in the archive
when --offline is given.

The outcomes, the report and the resume behave as in 'fedimarks import'. The
migration of one pair of accounts is one job: run the same command again
later and only what was bookmarked on --from since (and rows that were
unreachable) is written.

` + followersOnlyHelp + `

` + foldersHelp + ` --folder NAME files every row in the destination's
folder NAME instead (refused, before anything is written, when the
destination has no folders).

--json prints one object on standard output as import's (see 'fedimarks help
import'), with "command":"migrate", "source" (the --from account) and
"backup" (its backup, as in backup --json; null with --offline).

  fedimarks migrate --from alice@old.example --to alice@new.example
  fedimarks migrate --from alice@old.example --to alice@new.example --dry-run

` + importExitCodes + "\n",
		run: runMigrateCommand,
	}
}

func runMigrateCommand(ctx context.Context, a *app, args []string) error {
	var o migrateOptions
	fs := newFlags(a.cmd)
	o.pairFlags(fs, "`DIR` for the report files")
	fs.BoolVar(&o.dryRun, "dry-run", false, "resolve and write nothing")
	fs.BoolVar(&o.offline, "offline", false, "use the archive as it is, without a backup of --from first")
	fs.BoolVar(&o.json, "json", false, "print a summary object")
	fs.StringVar(&o.folder, "folder", "", "file every row in the destination's bookmark folder `NAME` (Pleroma)")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if o.folder, err = folderFlag(o.folder); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("migrate takes no arguments besides its flags (got %q)", pos[0])
	}
	if o.from == "" || o.to == "" {
		return usageError("migrate needs --from ACCOUNT and --to ACCOUNT")
	}
	sum := &migrateSummary{}
	err = runMigrate(ctx, migrateOptionsOf(a, o), sum)
	if !o.json {
		return err
	}
	return a.emitSummary(ctx, a.stdout, sum, err)
}

func runMigrate(ctx context.Context, o migrateOptions, sum *migrateSummary) error {
	defer o.holdRows()()
	// Checked before the backup of --from, which may take a while.
	acc, err := o.choose(ctx, accountQuery{name: o.to, flag: "--to"})
	if err != nil {
		return err
	}
	src, err := chooseSource(ctx, o.choose, o.from, o.offline)
	if err != nil {
		return err
	}
	to := acc.Handle
	if src.Handle == to {
		return usageError("--from and --to are the same account (%s)", to)
	}
	sum.Account, sum.Source = to, src.Handle
	if o.reportDir, err = prepareReportDir(o.paths, o.reportDir, o.dryRun); err != nil {
		return err
	}
	from, bk, err := o.source.sourceAccount(ctx, src.Handle, o.offline)
	sum.Backup = bk
	if err != nil {
		return err
	}
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	items, err := archivedItems(ctx, ar, from)
	if err != nil {
		return err
	}
	resume := "fedimarks migrate --from " + string(from) + folderArg(o.folder)
	if o.offline { // its source may be down: the plain command would back it up first
		resume += " --offline"
	}
	return runTransfer(ctx, o.transferDeps, transferOptions{
		acc: acc, items: items, inputs: []string{"archive of " + string(from)},
		key:    "migrate " + string(from) + " " + string(to),
		dryRun: o.dryRun, retryFailed: o.retryFailed, yes: o.yes, reportDir: o.reportDir, resume: resume, folder: o.folder,
		next: archiveNextSteps(from, to),
	}, &sum.importSummary)
}

// archiveNextSteps are the commands a big import's advice gives for a
// move of from's archived bookmarks to to (migrate, sync).
func archiveNextSteps(from, to fedimarks.Handle) transfer.NextSteps {
	f, t := shellWord(string(from)), shellWord(string(to))
	return transfer.NextSteps{
		MakeFile:      "fedimarks export " + f + " --format mastodon -o bookmarks.csv",
		Verify:        "fedimarks verify --from " + f + " --offline --to " + t + " -o missing.csv",
		ImportMissing: "fedimarks import missing.csv --to " + t,
	}
}

// chooseSource is the account --from names: one in the archive when
// offline, else a saved one (it is backed up first).
func chooseSource(ctx context.Context, choose chooseFunc, name string, offline bool) (fedimarks.Account, error) {
	need := signedIn
	if offline {
		need = archived
	}
	return choose(ctx, accountQuery{name: name, flag: "--from", need: need})
}

// sourceAccount backs up the account h chosen by chooseSource (unless
// offline) and returns it, with what the backup did (nil offline).
func (s sourceBackup) sourceAccount(ctx context.Context, h fedimarks.Handle, offline bool) (fedimarks.Handle, *backupResult, error) {
	if offline {
		return h, nil, nil
	}
	res, err := s.backup(ctx, backupOptions{account: string(h)})
	res.Error, res.ExitCode = errText(ctx, s.redact, err)
	if err != nil {
		var fe *fedimarks.Error
		if fedimarks.IsUnreachable(err) && errors.As(err, &fe) && s.nothingArchived != nil && !s.nothingArchived(h) {
			// The archive can answer without the server.
			fe.Hint = nextStep(err, situation{source: h})
			res.Error, res.ExitCode = errText(ctx, s.redact, err)
		}
		return "", &res, err
	}
	return res.Account, &res, nil
}

// archivedItems lists an account's archived bookmarks as import rows,
// oldest bookmark first, with what the archive knows of each post (its
// visibility tells a followers-only post from a deleted one). A boost's
// row is the boosted post, which is what bookmarking it bookmarks.
func archivedItems(ctx context.Context, ar *sqlite.Archive, h fedimarks.Handle) ([]fedimarks.ImportItem, error) {
	bms, err := ar.Bookmarks(ctx, h, sqlite.ListOptions{})
	if err != nil {
		return nil, err
	}
	folders, err := ar.FoldersByURI(ctx, h)
	if err != nil {
		return nil, err
	}
	items := make([]fedimarks.ImportItem, 0, len(bms))
	source := "archive of " + string(h)
	for i := len(bms) - 1; i >= 0; i-- {
		s := bms[i].Status.Original()
		items = append(items, fedimarks.ImportItem{
			URI: s.URI, URL: s.URL, AuthorURL: s.Account.URL, CreatedAt: s.CreatedAt,
			Visibility: s.Visibility, Source: source, Order: len(items),
			Tags: bms[i].Tags, Note: bms[i].Note,
		})
		if f, ok := folders[bms[i].Status.URI]; ok {
			items[len(items)-1].Folder = &fedimarks.Folder{Name: f.Name, Emoji: f.Emoji}
		}
	}
	return items, nil
}
