// Package backup pulls an account's bookmarks from its server into the
// archive, incrementally by default, resumably always.
//
// The server lists bookmarks newest first and pages with cursors it alone
// understands, so the archive keeps the order of the listing: each run
// positions what it saves above everything saved by earlier runs. An
// incremental run walks from the newest bookmark and stops where the
// archived ones begin (a post bookmarked again is listed on top: it is moved
// up, and the walk goes on); a full run walks everything and, when it completes,
// records the bookmarks it did not see as removed. An incremental walk
// cannot see bookmarks that appear below the top later (shown once their
// author is followed, back-filled by the server), so a backup walks
// everything once the last full walk is older than Options.FullEvery.
//
// A run that is interrupted keeps its cursor, never one that was refused;
// the next run first catches up on bookmarks made since, then finishes the
// interrupted walk from its cursor, or walks everything when the cursor
// fails. A full walk that met anything odd (a page it could not read, a
// guard that stopped it) records no removals.
package backup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fedimarks/fedimarks"
)

// ErrLinkRefused is wrapped by the error of a walk that stopped at a
// page's BadNext: the bookmarks read so far are archived, and the next
// backup goes on from there.
var ErrLinkRefused = errors.New("the walk stopped at a link to the next page it does not follow")

// Page is one page of an account's bookmark listing, newest first.
type Page struct {
	Statuses []fedimarks.Status
	// Next is the address of the following page, "" at the end.
	Next string
	// URL is the address fetched ("" when unknown): where a walk stopped
	// by BadNext goes on from.
	URL string
	// Skipped counts the page's elements that could not be read: a full
	// walk that meets one records no removals.
	Skipped int
	// BadNext, when not nil, says why the link to the next page cannot be
	// followed (it points to another server): there is more, and the walk
	// stops there with an error, saving this page's address, not the link.
	BadNext error
}

// Source lists an account's bookmarks page by page. Page("") is the first.
type Source interface {
	Page(ctx context.Context, url string) (Page, error)
}

// Store is the part of the archive a backup writes to.
type Store interface {
	StartRun(ctx context.Context, h fedimarks.Handle, full bool, now time.Time) (*fedimarks.BackupRun, error)
	UnfinishedRun(ctx context.Context, h fedimarks.Handle) (*fedimarks.BackupRun, error)
	// KnownBefore says which of uris are bookmarked in the archive for
	// run's account by runs other than run.
	KnownBefore(ctx context.Context, run *fedimarks.BackupRun, uris []string) (map[string]bool, error)
	SavePage(ctx context.Context, run *fedimarks.BackupRun, statuses []fedimarks.Status, next string, now time.Time) error
	FinishRun(ctx context.Context, run *fedimarks.BackupRun, now time.Time) (removed int, err error)
	AbandonRun(ctx context.Context, run *fedimarks.BackupRun) error
	// LastFullWalk says when the last full run of h that finished began
	// (zero: never), and whether the archive holds any bookmark of h.
	LastFullWalk(ctx context.Context, h fedimarks.Handle) (last time.Time, archived bool, err error)
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
	// FullEvery, when positive, makes the backup full when the last full
	// walk began longer ago than this, or never happened (the Progress is
	// told why); 0 leaves it to Full.
	FullEvery time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Progress, when set, is told of each bookmark saved.
	Progress Progress
	// API is the API the server is spoken to with, for messages: Misskey's
	// lists favorites.
	API fedimarks.Family
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
	// Full is set when the backup walked everything (asked, or due).
	Full bool
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
	full, err := b.fullDue(ctx)
	if err != nil {
		return b.res, err
	}
	b.res.Full = full
	walkedAll := false // a resumed walk covered the whole listing
	for {
		u, err := b.store.UnfinishedRun(ctx, b.h)
		if err != nil {
			return b.res, err
		}
		if u == nil {
			break
		}
		if u.NextURL == "" {
			// Stopped before it saved a page, or after its last one: there
			// is nothing of its walk to finish.
			if err := b.store.AbandonRun(ctx, u); err != nil {
				return b.res, err
			}
			continue
		}
		// A backup stopped while it resumed an older run leaves both
		// unfinished: each is finished in turn, the newest first.
		all, err := b.resume(ctx, u)
		if err != nil {
			return b.res, err
		}
		walkedAll = walkedAll || all
	}
	if b.res.Resumed && (!full || walkedAll) {
		return b.res, nil
	}
	return b.res, b.walkAll(ctx, full)
}

// walkAll walks the listing from the top in a new run.
func (b *backup) walkAll(ctx context.Context, full bool) error {
	r, err := b.store.StartRun(ctx, b.h, full, b.opts.Now())
	if err != nil {
		return err
	}
	odd, err := b.walk(ctx, r, "")
	if err != nil {
		return err
	}
	return b.finish(ctx, r, odd)
}

// fullWalkWhy is why a backup walks everything unasked.
const fullWalkWhy = "walking everything to catch bookmarks that appeared below the top"

// fullDue says whether this backup walks everything: asked, or the last
// full walk is older than FullEvery. An account with nothing archived
// gets a full walk without a word: a first walk reads everything anyway.
func (b *backup) fullDue(ctx context.Context) (bool, error) {
	if b.opts.Full {
		return true, nil
	}
	if b.opts.FullEvery <= 0 {
		return false, nil
	}
	last, archived, err := b.store.LastFullWalk(ctx, b.h)
	switch {
	case err != nil:
		return false, err
	case !archived:
		return true, nil
	case last.IsZero():
		b.note("no full walk on record: %s", fullWalkWhy)
		return true, nil
	}
	if age := b.opts.Now().Sub(last); age >= b.opts.FullEvery {
		b.note("last full walk %s: %s", fedimarks.Ago(age), fullWalkWhy)
		return true, nil
	}
	return false, nil
}

// note tells the Progress, if any.
func (b *backup) note(format string, args ...any) {
	if b.opts.Progress != nil {
		b.opts.Progress.Note(format, args...)
	}
}

// listing names what the walk reads: "read the bookmarks of
// alice@example.social" (the favorites, on Misskey's API).
func (b *backup) listing() string {
	return "read the " + b.opts.API.Marks() + " of " + string(b.h)
}

// fetchError is a page of the listing that could not be fetched; what
// names the listing (see listing).
type fetchError struct {
	url  string
	what string
	err  error
}

func (e *fetchError) Error() string { return e.what + ": " + e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// cursorFailed reports whether err, met fetching a saved position, says
// the position itself is no good (refused here, or by the server, as
// Pixelfed does once its cursors expire) rather than that the server is
// down, busy or refusing the token.
func cursorFailed(err error) bool {
	if unreachable(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch fedimarks.ErrorKind(err) {
	case fedimarks.KindAuth, fedimarks.KindAppUnknown, fedimarks.KindScope, fedimarks.KindForbidden,
		fedimarks.KindServerError, fedimarks.KindUnreachable, fedimarks.KindRemoteFetch:
		return false
	}
	return true
}

// resume finishes interrupted run u: first the bookmarks made since (an
// incremental walk from the top that stops at what is archived, u's
// bookmarks included), then u's own walk from its cursor. all says the
// whole listing was walked (u was full, or its cursor failed).
func (b *backup) resume(ctx context.Context, u *fedimarks.BackupRun) (all bool, err error) {
	b.res.Resumed = true
	top, err := b.store.StartRun(ctx, b.h, false, b.opts.Now())
	if err != nil {
		return false, err
	}
	odd, err := b.walk(ctx, top, "")
	if err != nil {
		return false, err
	}
	if err := b.finish(ctx, top, odd); err != nil {
		return false, err
	}
	odd, err = b.walk(ctx, u, u.NextURL)
	var fe *fetchError
	if errors.As(err, &fe) && fe.url == u.NextURL && cursorFailed(fe.err) {
		// The saved position fails (Pixelfed's cursors expire; an older
		// fedimarks saved a link to another host): drop it, walk everything.
		b.note("the interrupted backup's saved position failed (%v): dropped it; walking all bookmarks", fe.err)
		if err := b.store.AbandonRun(ctx, u); err != nil {
			return false, err
		}
		b.res.Full = true
		return true, b.walkAll(ctx, true)
	}
	if err != nil {
		return false, err
	}
	return u.Full, b.finish(ctx, u, odd)
}

// walk fetches pages from url ("" = the first) and saves them into run.
// It returns "" when it reached the end of the listing (or, incremental,
// the archived part of it) and met nothing odd, else what was odd: a guard
// stopped it, or a page held bookmarks it could not read.
//
// A full run saves every bookmark of every page. An incremental run saves
// bookmarks until the archived ones begin, which is where two archived
// posts follow each other: one archived post alone above new ones is a post
// bookmarked again (servers list it on top), which is saved, moving it up,
// and the walk goes on.
//
// A next link that cannot be followed (Page.BadNext) ends the walk with an
// error after its page is saved; the run's cursor is then that page's own
// address, never the link: the next run reads the page again.
func (b *backup) walk(ctx context.Context, run *fedimarks.BackupRun, url string) (odd string, err error) {
	w := &walkState{fetched: map[string]bool{}}
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		page, err := b.src.Page(ctx, url)
		if err != nil {
			return "", &fetchError{url: url, what: b.listing(), err: err}
		}
		b.res.Pages++
		w.fetched[url] = true
		w.unread += page.Skipped
		save, next, badNext := page.Statuses, page.Next, page.BadNext
		if !run.Full && len(save) > 0 {
			var stop bool
			if save, stop, w.lastKnown, err = b.cutAtArchived(ctx, run, save, w.lastKnown); err != nil {
				return "", err
			}
			if stop {
				next, badNext = "", nil
			}
		}
		next = b.guard(w, len(page.Statuses), next)
		if badNext != nil {
			next = cmp.Or(page.URL, url) // read this page again next time
		}
		if err := b.savePage(ctx, run, save, next); err != nil {
			return "", err
		}
		if badNext != nil {
			return "", &fedimarks.Error{Message: b.listing() + ": " + badNext.Error(), Err: fmt.Errorf("%w: %w", ErrLinkRefused, badNext)}
		}
		if next == "" {
			return w.odd(), nil
		}
		url = next
	}
}

// walkState is what a walk keeps from page to page.
type walkState struct {
	fetched   map[string]bool // the pages read
	empty     int             // empty pages in a row
	unread    int             // bookmarks the server sent that could not be read
	stopped   bool            // a guard ended the walk
	lastKnown bool            // the previous page ended with an archived post
}

// odd says what keeps the walk from being taken as complete, or "".
func (w *walkState) odd() string {
	switch {
	case w.stopped:
		return "the walk did not reach the end"
	case w.unread == 1:
		return "a bookmark the server sent could not be read"
	case w.unread > 1:
		return fmt.Sprintf("%d bookmarks the server sent could not be read", w.unread)
	}
	return ""
}

// guard returns next, or "" when following it would go round in circles
// (a page read already, too many empty pages in a row), saying so. n is
// how many bookmarks the page held.
func (b *backup) guard(w *walkState, n int, next string) string {
	if n == 0 {
		w.empty++
	} else {
		w.empty = 0
	}
	why := ""
	switch {
	case next != "" && w.fetched[next]:
		why = "the server sent the same next page twice"
	case next != "" && w.empty >= maxEmptyPages:
		why = fmt.Sprintf("the server sent %d empty pages in a row", w.empty)
	default:
		return next
	}
	b.note("stopped walking the bookmarks: %s", why)
	w.stopped = true
	return ""
}

// savePage stores a page's bookmarks to save and the cursor next, and
// counts them in the result and the progress.
func (b *backup) savePage(ctx context.Context, run *fedimarks.BackupRun, save []fedimarks.Status, next string) error {
	before := *run
	if err := b.store.SavePage(ctx, run, save, next, b.opts.Now()); err != nil {
		return err
	}
	b.res.New += run.New - before.New
	b.res.Seen += run.Seen - before.Seen
	b.res.Restored += run.Restored - before.Restored
	if b.opts.Progress != nil && len(save) > 0 {
		b.opts.Progress.Add(int64(len(save)))
	}
	return nil
}

// cutAtArchived keeps the part of an incremental page above the archived
// bookmarks; stop says the walk ends with this page. lastKnown says the
// previous page ended with an archived post; the returned one says whether
// this page does.
func (b *backup) cutAtArchived(ctx context.Context, run *fedimarks.BackupRun, sts []fedimarks.Status, lastKnown bool) (keep []fedimarks.Status, stop, endsKnown bool, err error) {
	uris := make([]string, len(sts))
	for i, s := range sts {
		uris[i] = s.URI
	}
	known, err := b.store.KnownBefore(ctx, run, uris)
	if err != nil {
		return nil, false, false, err
	}
	if lastKnown && known[sts[0].URI] {
		return nil, true, true, nil
	}
	for i := range sts {
		if known[sts[i].URI] && i+1 < len(sts) && known[sts[i+1].URI] {
			return sts[:i], true, true, nil
		}
	}
	return sts, false, known[sts[len(sts)-1].URI], nil
}

// finish ends run; a full run that met something odd is not finished but
// abandoned, so that bookmarks it did not reach or could not read are not
// taken as removed, and it does not count as a full walk.
func (b *backup) finish(ctx context.Context, run *fedimarks.BackupRun, odd string) error {
	if run.Full && odd != "" {
		b.note("%s: no bookmark is recorded as removed this time", odd)
		return b.store.AbandonRun(ctx, run)
	}
	removed, err := b.store.FinishRun(ctx, run, b.opts.Now())
	b.res.Removed += removed
	return err
}
