package cli

import (
	"context"
	"fmt"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/ui"
)

type backupOptions struct {
	account string
	full    bool
	quiet   bool // no summary line (export prints its own)
}

func backupCommand() command {
	return command{
		name:    "backup",
		summary: "archive an account's bookmarks locally",
		usage: `Usage: fedimarks backup [ACCOUNT] [--full]

Copies the bookmarks of ACCOUNT (user@host; default: the only saved account)
into the local archive: each post as the server returned it, and when it was
first and last seen bookmarked.

By default only what is new since the last backup is fetched: an unchanged
account costs one request, so it is safe to run from cron. --full walks all
bookmarks and records the ones that disappeared (kept as history).
An interrupted backup leaves the archive consistent; the next run finishes it.

  fedimarks backup alice@mastodon.social
  fedimarks backup --full

` + exitCodesHelp + "\n",
		run: runBackupCommand,
	}
}

func runBackupCommand(ctx context.Context, a *app, args []string) error {
	var o backupOptions
	fs := newFlags(a.cmd)
	fs.BoolVar(&o.full, "full", false, "walk every bookmark and record removals")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError("backup takes at most one ACCOUNT")
	}
	if len(pos) == 1 {
		o.account = pos[0]
	}
	_, err = runBackup(ctx, a, o)
	return err
}

// bookmarkSource adapts the client to the backup engine, and tells the
// user of any bookmark the server sent in a shape that cannot be kept.
type bookmarkSource struct {
	c    *mastodon.Client
	prog *ui.Progress
}

func (s bookmarkSource) Page(ctx context.Context, url string) (backup.Page, error) {
	p, err := s.c.BookmarksPage(ctx, url)
	for _, sk := range p.Skipped {
		s.prog.Note("skipped a bookmark the server sent unreadable (%v): %.200s", sk.Err, sk.Raw)
	}
	return backup.Page{Statuses: p.Statuses, Next: p.Next}, err
}

func runBackup(ctx context.Context, a *app, o backupOptions) (fedimarks.Account, error) {
	acc, err := a.account(ctx, o.account)
	if err != nil {
		return acc, err
	}
	ar, err := a.openArchive(ctx)
	if err != nil {
		return acc, err
	}
	tok, err := a.token(ctx, acc.Handle)
	if err != nil {
		return acc, err
	}
	before, err := ar.Counts(ctx, acc.Handle)
	if err != nil {
		return acc, err
	}
	total := int64(0)
	if o.full {
		total = int64(before.Active)
	}
	prog := a.progress("backup "+string(acc.Handle), total, "bookmarks")
	c := a.newClient(acc.Server, tok, prog)
	res, err := backup.Run(ctx, acc.Handle, bookmarkSource{c, prog}, ar, backup.Options{Full: o.full, Now: a.now, Progress: prog})
	prog.Finish()
	if err != nil {
		return acc, a.apiError(acc.Handle, acc.Server, err, "read:bookmarks")
	}
	after, err := ar.Counts(ctx, acc.Handle)
	if err != nil {
		return acc, err
	}
	unchanged := after.Active - res.New - res.Restored
	resumed := ""
	if res.Resumed {
		resumed = ", finished an interrupted backup"
	}
	fmt.Fprintf(a.stderr, "%s: %s new, %s unchanged, %s removed, %s requests; %s bookmarks archived%s\n",
		acc.Handle, ui.Count(int64(res.New+res.Restored)), ui.Count(int64(unchanged)), ui.Count(int64(res.Removed)),
		ui.Count(c.Requests()), ui.Count(int64(after.Active)), resumed)
	return acc, nil
}
