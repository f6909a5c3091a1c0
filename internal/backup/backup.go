// Package backup pulls an account's bookmarks from its server into the
// archive, incrementally by default, resumably always.
//
// The server lists bookmarks newest first and pages with cursors it alone
// understands, so the archive keeps the order of the listing: each run
// positions what it saves above everything saved by earlier runs. An
// incremental run walks from the newest bookmark and stops where the
// archived ones begin (a post bookmarked again is listed on top: it is moved
// up, and the walk goes on); a full run walks everything and, when it completes,
// records the bookmarks it did not see as removed. A run that is
// interrupted keeps its cursor; the next run first catches up on bookmarks
// made since, then finishes the interrupted walk from its cursor.
package backup

import (
	"context"
	"fmt"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Page is one page of an account's bookmark listing, newest first.
type Page struct {
	Statuses []fedimarks.Status
	// Next is the address of the following page, "" at the end.
	Next string
}

// Source lists an account's bookmarks page by page. Page("") is the first.
type Source interface {
	Page(ctx context.Context, url string) (Page, error)
}

// Store is the part of the archive a backup writes to.
type Store interface {
	StartRun(ctx context.Context, h fedimarks.Handle, full bool, now time.Time) (*fedimarks.BackupRun, error)
	UnfinishedRun(ctx context.Context, h fedimarks.Handle) (*fedimarks.BackupRun, error)
	Known(ctx context.Context, h fedimarks.Handle, uris []string) (map[string]bool, error)
	SavePage(ctx context.Context, run *fedimarks.BackupRun, statuses []fedimarks.Status, next string, now time.Time) error
	FinishRun(ctx context.Context, run *fedimarks.BackupRun, now time.Time) (removed int, err error)
	AbandonRun(ctx context.Context, run *fedimarks.BackupRun) error
}

// Progress hears of bookmarks saved and of anything the user should know.
type Progress interface {
	Add(n int64)
	Note(format string, args ...any)
}

// Options tune a backup. The zero value is an incremental backup.
type Options struct {
	// Full walks every page and records removals.
	Full bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Progress, when set, is told of each bookmark saved.
	Progress Progress
}

// Result sums up a backup.
type Result struct {
	// New bookmarks archived for the first time, Restored ones that had
	// been recorded as removed and are back, Seen ones already archived
	// that the walk passed (a full walk sees them all), Removed ones a full
	// walk did not find.
	New, Restored, Seen, Removed int
	Pages                        int
	// Resumed is set when an interrupted earlier run was finished.
	Resumed bool
}

// maxEmptyPages bounds a walk through empty pages that still carry a new
// next link. GoToSocial filters after paging, so a page may be empty and
// not the end (hundreds of bookmarks of a blocked author make a long run of
// them); only an endless chain is a broken server.
const maxEmptyPages = 1000

// Run backs up account h from src into store.
func Run(ctx context.Context, h fedimarks.Handle, src Source, store Store, opts Options) (Result, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &backup{h: h, src: src, store: store, opts: opts}
	return b.run(ctx)
}

type backup struct {
	h     fedimarks.Handle
	src   Source
	store Store
	opts  Options
	res   Result
}

func (b *backup) run(ctx context.Context) (Result, error) {
	u, err := b.store.UnfinishedRun(ctx, b.h)
	if err != nil {
		return b.res, err
	}
	switch {
	case u != nil && u.NextURL == "":
		// Stopped before it saved a page, or after its last one: there is
		// nothing of its walk to finish; this run does the work.
		if err := b.store.AbandonRun(ctx, u); err != nil {
			return b.res, err
		}
	case u != nil:
		if err := b.resume(ctx, u); err != nil {
			return b.res, err
		}
		if !b.opts.Full || u.Full {
			return b.res, nil
		}
	}
	r, err := b.store.StartRun(ctx, b.h, b.opts.Full, b.opts.Now())
	if err != nil {
		return b.res, err
	}
	complete, err := b.walk(ctx, r, "")
	if err != nil {
		return b.res, err
	}
	return b.res, b.finish(ctx, r, complete)
}

// resume finishes interrupted run u: first the bookmarks made since (an
// incremental walk from the top that stops at what is archived, u's
// bookmarks included), then u's own walk from its cursor.
func (b *backup) resume(ctx context.Context, u *fedimarks.BackupRun) error {
	b.res.Resumed = true
	top, err := b.store.StartRun(ctx, b.h, false, b.opts.Now())
	if err != nil {
		return err
	}
	complete, err := b.walk(ctx, top, "")
	if err != nil {
		return err
	}
	if err := b.finish(ctx, top, complete); err != nil {
		return err
	}
	complete, err = b.walk(ctx, u, u.NextURL)
	if st := fedimarks.HTTPStatus(err); st >= 400 && st < 500 && st != 401 && st != 403 && st != 429 {
		// The saved cursor is no longer accepted (Pixelfed's cursors
		// expire): walk everything instead.
		if b.opts.Progress != nil {
			b.opts.Progress.Note("the server no longer accepts the saved position (%v); walking all bookmarks", err)
		}
		if err := b.store.AbandonRun(ctx, u); err != nil {
			return err
		}
		full, err := b.store.StartRun(ctx, b.h, true, b.opts.Now())
		if err != nil {
			return err
		}
		complete, err := b.walk(ctx, full, "")
		if err != nil {
			return err
		}
		return b.finish(ctx, full, complete)
	}
	if err != nil {
		return err
	}
	return b.finish(ctx, u, complete)
}

// walk fetches pages from url ("" = the first) and saves them into run,
// and reports whether it reached the end of the listing (or, incremental,
// the archived part of it) rather than stopping on a guard.
//
// A full run saves every bookmark of every page. An incremental run saves
// bookmarks until the archived ones begin, which is where two archived
// posts follow each other: one archived post alone above new ones is a post
// bookmarked again (servers list it on top), which is saved, moving it up,
// and the walk goes on.
func (b *backup) walk(ctx context.Context, run *fedimarks.BackupRun, url string) (complete bool, err error) {
	fetched := map[string]bool{}
	empty := 0
	lastKnown := false // the previous page ended with an archived post
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		page, err := b.src.Page(ctx, url)
		if err != nil {
			return false, fmt.Errorf("fetch bookmarks: %w", err)
		}
		b.res.Pages++
		fetched[url] = true
		save := page.Statuses
		next := page.Next
		if !run.Full && len(save) > 0 {
			if save, next, lastKnown, err = b.cutAtArchived(ctx, save, next, lastKnown); err != nil {
				return false, err
			}
		}
		if len(page.Statuses) == 0 {
			empty++
		} else {
			empty = 0
		}
		guarded := ""
		switch {
		case next != "" && fetched[next]:
			guarded = "the server sent the same next page twice"
		case next != "" && empty >= maxEmptyPages:
			guarded = fmt.Sprintf("the server sent %d empty pages in a row", empty)
		}
		if guarded != "" {
			next = ""
			if b.opts.Progress != nil {
				b.opts.Progress.Note("stopped walking the bookmarks: %s", guarded)
			}
		}
		before := *run
		if err := b.store.SavePage(ctx, run, save, next, b.opts.Now()); err != nil {
			return false, err
		}
		b.res.New += run.New - before.New
		b.res.Seen += run.Seen - before.Seen
		b.res.Restored += run.Restored - before.Restored
		if b.opts.Progress != nil && len(save) > 0 {
			b.opts.Progress.Add(int64(len(save)))
		}
		if next == "" {
			return guarded == "", nil
		}
		url = next
	}
}

// cutAtArchived keeps the part of an incremental page above the archived
// bookmarks. lastKnown says the previous page ended with an archived post;
// the returned one says whether this page does.
func (b *backup) cutAtArchived(ctx context.Context, sts []fedimarks.Status, next string, lastKnown bool) ([]fedimarks.Status, string, bool, error) {
	uris := make([]string, len(sts))
	for i, s := range sts {
		uris[i] = s.URI
	}
	known, err := b.store.Known(ctx, b.h, uris)
	if err != nil {
		return nil, "", false, err
	}
	if lastKnown && known[sts[0].URI] {
		return nil, "", true, nil
	}
	for i := range sts {
		if known[sts[i].URI] && i+1 < len(sts) && known[sts[i+1].URI] {
			return sts[:i], "", true, nil
		}
	}
	return sts, next, known[sts[len(sts)-1].URI], nil
}

// finish ends run; a full run that stopped on a guard is not finished but
// abandoned, so that bookmarks it did not reach are not taken as removed.
func (b *backup) finish(ctx context.Context, run *fedimarks.BackupRun, complete bool) error {
	if run.Full && !complete {
		if b.opts.Progress != nil {
			b.opts.Progress.Note("the walk did not reach the end: no bookmark is recorded as removed this time")
		}
		return b.store.AbandonRun(ctx, run)
	}
	removed, err := b.store.FinishRun(ctx, run, b.opts.Now())
	b.res.Removed += removed
	return err
}
