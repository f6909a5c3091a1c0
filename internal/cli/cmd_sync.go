package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
)

type syncOptions struct {
	pairOptions
	both, mirror  bool
	watch, status bool
	json          bool
	every         time.Duration
	fullEvery     time.Duration // 0: see syncCommand's help

	choose chooseFunc
	paths  pathsFunc  // --report-dir
	backup backupFunc // each check backs up both accounts
	// events says --json's events on standard output (nil without).
	events *syncEventLog
	redact redactFunc
	// sleep waits between two checks of --watch, which are said on
	// alert, the real standard error, under --quiet too (speak first
	// shows what --quiet held back).
	sleep func(context.Context, time.Duration) error
	alert io.Writer
	speak func()
	transferDeps
}

// syncOptionsOf fills o's dependencies from a, once the flags are parsed.
// Under --json, the waits of a's clients become events.
func syncOptionsOf(a *app, o syncOptions) syncOptions {
	o.choose, o.paths, o.redact, o.sleep, o.alert, o.speak = a.chooseAccount, a.paths, a.redact, a.sleeper(nil), a.errOut, a.speak
	o.backup = a.backup
	o.transferDeps = transferDepsOf(a)
	if o.json {
		o.events = newSyncEventLog(a.stdout, a.now, a.redact)
		a.onWait = o.events.waiting
	}
	return o
}

// defaultSyncEvery is --watch's interval; defaultWatchFullEvery how often
// --watch --mirror walks the sources in full to see removals.
const (
	defaultSyncEvery      = 10 * time.Minute
	defaultWatchFullEvery = time.Hour
)

func syncCommand() command {
	return command{
		name:    "sync",
		summary: "keep two accounts' bookmarks in sync",
		usage: `Usage: fedimarks sync --from ACCOUNT --to ACCOUNT [--both] [--mirror]
                      [--full-every DURATION] [--watch [--every DURATION]]
                      [--retry-failed] [--yes] [--report-dir DIR] [--json]
       fedimarks sync --status [--json]

Makes --to have every bookmark --from has, oldest first, as 'fedimarks
migrate' does (same outcomes, resume and rate limits): it backs up both
accounts (incrementally: one request each when nothing changed), then
bookmarks on --to what --from has that sync did not copy yet. What each
side had and what sync added is kept in the archive: a second run with
nothing new costs one request on each side.

  --both         also copy the bookmarks made on --to to --from
  --mirror       a bookmark removed on the source is removed where sync
                 copied it (never a bookmark made there by hand); with
                 --both, on either side. Seeing removals needs a full walk
                 of the source: every run, or when the last one is older
                 than --full-every (--watch: default 1h)
  --watch        keep running: a check every --every (default 10m); a
                 server that does not answer is waited for; Ctrl-C or
                 SIGTERM stops after the request under way, all saved
  --status       show each pair: last check, what it added and removed,
                 rows pending or failed, failing checks
  --json         one event a line on standard output: added, removed,
                 failed, waiting (with --status: one object per pair)

A run stopped at any point (even killed) is resumed by the next one: only
the request in flight at that moment may be sent again.

  fedimarks sync --from alice@old.example --to alice@new.example
  fedimarks sync --from alice@a.example --to alice@b.example --both --mirror --watch

` + importExitCodes + "\n",
		run: runSyncCommand,
	}
}

func runSyncCommand(ctx context.Context, a *app, args []string) error {
	var o syncOptions
	fs := newFlags(a.cmd)
	o.pairFlags(fs, "`DIR` for the report files of each check")
	fs.BoolVar(&o.both, "both", false, "copy both ways")
	fs.BoolVar(&o.mirror, "mirror", false, "remove what sync copied when the source removes it")
	fs.BoolVar(&o.watch, "watch", false, "keep running, a check every --every")
	fs.DurationVar(&o.every, "every", defaultSyncEvery, "time between two checks with --watch")
	fullEveryFlag(fs, &o.fullEvery)
	fs.BoolVar(&o.status, "status", false, "show the pairs synced and how they are")
	fs.BoolVar(&o.json, "json", false, "one event a line on standard output")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("sync takes no arguments besides its flags (got %q)", pos[0])
	}
	if o.status {
		if o.from != "" || o.to != "" || o.watch {
			return usageError("--status shows every pair; it takes no --from, --to or --watch")
		}
		return syncStatus(ctx, a.openArchive, a.stdout, a.now, o.json)
	}
	if o.from == "" || o.to == "" {
		return usageError("sync needs --from ACCOUNT and --to ACCOUNT (or --status)")
	}
	if o.every <= 0 {
		return usageError("--every must be a positive duration such as 10m")
	}
	s, err := newSyncer(ctx, syncOptionsOf(a, o))
	if err != nil {
		return err
	}
	if !o.watch {
		return s.cycle(ctx)
	}
	return s.watch(ctx)
}

// syncer runs the checks of one sync command.
type syncer struct {
	o        syncOptions
	ar       *sqlite.Archive
	from, to fedimarks.Account
	pairs    [][2]fedimarks.Account
}

func newSyncer(ctx context.Context, o syncOptions) (*syncer, error) {
	from, err := o.choose(ctx, accountQuery{name: o.from, flag: "--from"})
	if err != nil {
		return nil, err
	}
	to, err := o.choose(ctx, accountQuery{name: o.to, flag: "--to"})
	if err != nil {
		return nil, err
	}
	if from.Handle == to.Handle {
		return nil, usageError("--from and --to are the same account (%s)", to.Handle)
	}
	if o.reportDir != "" {
		if o.reportDir, err = prepareReportDir(o.paths, o.reportDir, false); err != nil {
			return nil, err
		}
	}
	ar, err := o.archive(ctx)
	if err != nil {
		return nil, err
	}
	s := &syncer{o: o, ar: ar, from: from, to: to, pairs: [][2]fedimarks.Account{{from, to}}}
	if o.both {
		s.pairs = append(s.pairs, [2]fedimarks.Account{to, from})
	}
	for _, p := range s.pairs {
		if err := ar.SaveSyncPair(ctx, sqlite.SyncPair{Source: p[0].Handle, Dest: p[1].Handle, Mirror: o.mirror, Both: o.both}, o.now()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// syncEvent is one line of --json.
type syncEvent struct {
	Event   string           `json:"event"`
	From    fedimarks.Handle `json:"from,omitempty"`
	To      fedimarks.Handle `json:"to,omitempty"`
	URI     string           `json:"uri,omitempty"`
	Outcome string           `json:"outcome,omitempty"`
	Detail  string           `json:"detail,omitempty"`
	Reason  string           `json:"reason,omitempty"`
	Seconds float64          `json:"seconds,omitempty"`
	At      time.Time        `json:"at"`
}

// syncEventLog writes --json's events, one a line.
type syncEventLog struct {
	enc    *json.Encoder
	now    func() time.Time
	redact redactFunc
	// mu keeps events whole: waits are heard from the engine's workers.
	mu sync.Mutex
}

func newSyncEventLog(out io.Writer, now func() time.Time, redact redactFunc) *syncEventLog {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return &syncEventLog{enc: enc, now: now, redact: redact}
}

// waiting is a client's wait as an event (app.onWait).
func (ev *syncEventLog) waiting(host string, d time.Duration, why string) {
	ev.emit(syncEvent{Event: "waiting", Reason: host + ": waiting " + why, Seconds: d.Seconds()})
}

// emit writes e, stamped with the time; nothing without --json (ev nil).
func (ev *syncEventLog) emit(e syncEvent) {
	if ev == nil {
		return
	}
	e.At = ev.now().UTC()
	e.Detail, e.Reason = cleanText(e.Detail), cleanText(ev.redact(e.Reason))
	ev.mu.Lock()
	defer ev.mu.Unlock()
	_ = ev.enc.Encode(e)
}

func (s *syncer) emit(e syncEvent) { s.o.events.emit(e) }

// isSource says whether h's removals are mirrored (so need full walks).
func (s *syncer) isSource(h fedimarks.Handle) bool {
	return h == s.from.Handle || s.o.both
}

// backup backs up h incrementally, or in full when --mirror needs to see
// its removals: every run, or per --full-every (--watch: default 1h).
func (s *syncer) backup(ctx context.Context, h fedimarks.Handle) error {
	bo := backupOptions{account: string(h), fullEvery: s.o.fullEvery, foldersEvery: syncFoldersEvery}
	if s.o.mirror && s.isSource(h) {
		switch {
		case s.o.fullEvery != 0:
		case s.o.watch:
			bo.fullEvery = defaultWatchFullEvery
		default:
			bo.full = true
		}
	}
	_, err := s.o.backup(ctx, bo)
	return err
}

// cycle is one check: both accounts backed up, then each pair's removals
// (--mirror) and copies, and each pair's state recorded.
func (s *syncer) cycle(ctx context.Context) error {
	for _, acc := range []fedimarks.Account{s.from, s.to} {
		if err := s.backup(ctx, acc.Handle); err != nil {
			s.recordFailure(ctx, err)
			return err
		}
	}
	var worst error
	for _, p := range s.pairs {
		res, err := s.syncPair(ctx, p[0], p[1])
		check := sqlite.SyncCheck{At: s.o.now()}
		if err != nil && !isPartial(err) {
			_, msg := classify(ctx, err)
			check.Err = s.o.redact(msg)
		} else {
			check.SourceCount, check.DestCount = s.counts(ctx, p[0].Handle), s.counts(ctx, p[1].Handle)
		}
		if rerr := s.ar.RecordSyncCheck(context.WithoutCancel(ctx), p[0].Handle, p[1].Handle, check); rerr != nil && err == nil {
			err = rerr
		}
		if err != nil && !isPartial(err) {
			return err
		}
		fmt.Fprintf(s.o.errOut, "sync %s to %s: %s added, %s removed, %s failed\n", p[0].Handle, p[1].Handle,
			fedimarks.Plural(res.added, "bookmark"), fedimarks.Plural(res.removed, "bookmark"), fedimarks.Plural(res.failed, "row"))
		if err != nil {
			worst = err
		}
	}
	return worst
}

// isPartial says whether err is a finished check where some rows failed.
func isPartial(err error) bool {
	var fe *fedimarks.Error
	return errors.As(err, &fe) && fe.Code == fedimarks.EPartial
}

func (s *syncer) counts(ctx context.Context, h fedimarks.Handle) int {
	c, err := s.ar.Counts(ctx, h)
	if err != nil {
		return 0
	}
	return c.Active
}

// recordFailure records a check that failed before any pair was done.
func (s *syncer) recordFailure(ctx context.Context, err error) {
	_, msg := classify(ctx, err)
	for _, p := range s.pairs {
		_ = s.ar.RecordSyncCheck(context.WithoutCancel(ctx), p[0].Handle, p[1].Handle, sqlite.SyncCheck{At: s.o.now(), Err: s.o.redact(msg)})
	}
}

type pairResult struct{ added, removed, failed int }

// syncPair copies what src has to dst through migrate's engine (job
// 'sync SRC DST'); with --mirror it first removes from dst what sync had
// copied there and src no longer has.
func (s *syncer) syncPair(ctx context.Context, src, dst fedimarks.Account) (pairResult, error) {
	var res pairResult
	key := sqlite.SyncJobKey(src.Handle, dst.Handle)
	if s.o.mirror {
		n, err := s.mirrorRemovals(ctx, src, dst)
		res.removed = n
		if err != nil {
			return res, err
		}
	}
	before, err := s.jobOutcomes(ctx, key)
	if err != nil {
		return res, err
	}
	items, err := s.rowsToCopy(ctx, src.Handle, dst.Handle)
	if err != nil {
		return res, err
	}
	err = s.copyRows(ctx, src, dst, key, items, before)
	res.added, res.failed, err = s.tally(ctx, src.Handle, dst.Handle, key, before, err)
	if res.added > 0 {
		// The archive of dst learns what sync wrote (one page per 40), so
		// that the next check with nothing new costs one request there.
		if berr := s.backup(ctx, dst.Handle); berr != nil && err == nil {
			err = berr
		}
	}
	return res, err
}

// rowsToCopy are src's archived bookmarks as rows, less those sync
// copied to src from dst (see notCopiedFrom).
func (s *syncer) rowsToCopy(ctx context.Context, src, dst fedimarks.Handle) ([]fedimarks.ImportItem, error) {
	items, err := archivedItems(ctx, s.ar, src)
	if err != nil {
		return nil, err
	}
	return s.notCopiedFrom(ctx, dst, src, items)
}

// copyRows runs the job key of items on dst, reading dst's bookmarks
// from its archive. The archive of dst may still list a bookmark removed
// there since its last full walk: when the job ran before (before holds
// its rows' outcomes then), each row this run called already is checked,
// and the job runs again to write those dst no longer has.
func (s *syncer) copyRows(ctx context.Context, src, dst fedimarks.Account, key string, items []fedimarks.ImportItem, before map[int64]fedimarks.Outcome) error {
	run := func() error {
		var sum importSummary
		return runTransfer(ctx, s.o.transferDeps, transferOptions{
			acc: dst, items: items, inputs: []string{"archive of " + string(src.Handle)},
			key: key, yes: s.o.yes, retryFailed: s.o.retryFailed, reportDir: s.o.reportDir, resume: "fedimarks sync --from " + shellWord(string(src.Handle)),
			lister: archiveLister{ar: s.ar, h: dst.Handle},
			next:   archiveNextSteps(src.Handle, dst.Handle),
		}, &sum)
	}
	err := run()
	if len(before) == 0 || (err != nil && !isPartial(err)) {
		return err
	}
	redo, rerr := s.recheckAlready(ctx, src, dst, key, before)
	switch {
	case rerr != nil:
		return rerr
	case redo > 0:
		return run()
	}
	return err
}

// tally counts the rows of job key that this check added to dst or that
// newly failed (before holds the outcomes they had), and says each as an
// event. err is the check's so far, returned unless it is nil and the
// job cannot be read.
func (s *syncer) tally(ctx context.Context, src, dst fedimarks.Handle, key string, before map[int64]fedimarks.Outcome, err error) (added, failed int, _ error) {
	after, jerr := s.jobItems(context.WithoutCancel(ctx), key)
	if jerr != nil && err == nil {
		err = jerr
	}
	for _, it := range after {
		was, known := before[it.ID]
		switch {
		case it.Outcome == fedimarks.Imported && (!known || was != fedimarks.Imported):
			added++
			s.emit(syncEvent{Event: "added", From: src, To: dst, URI: it.Address()})
		case it.Outcome != fedimarks.Pending && !it.Outcome.Succeeded() && (!known || was != it.Outcome):
			failed++
			s.emit(syncEvent{Event: "failed", From: src, To: dst, URI: it.Address(), Outcome: string(it.Outcome), Detail: it.Detail})
		}
	}
	return added, failed, err
}

// notCopiedFrom leaves out of items (src's bookmarks) the posts that sync
// itself copied from dst to src: dst had them first, and a removal there
// must not be undone by copying them back.
func (s *syncer) notCopiedFrom(ctx context.Context, dst, src fedimarks.Handle, items []fedimarks.ImportItem) ([]fedimarks.ImportItem, error) {
	back, err := s.jobItems(ctx, sqlite.SyncJobKey(dst, src))
	if err != nil || len(back) == 0 {
		return items, err
	}
	copied := make(map[string]bool, len(back))
	for _, it := range back {
		if it.Outcome == fedimarks.Imported {
			copied[it.URI] = true
		}
	}
	out := items[:0]
	for _, it := range items {
		if !copied[it.URI] {
			it.Order = len(out)
			out = append(out, it)
		}
	}
	return out, nil
}

// recheckAlready asks dst about each row of the job that this run ended
// already (before holds the outcomes the rows had before the run), and puts
// back to pending those dst no longer has bookmarked. It returns how many.
func (s *syncer) recheckAlready(ctx context.Context, src, dst fedimarks.Account, key string, before map[int64]fedimarks.Outcome) (int, error) {
	check, err := s.newlyAlready(ctx, key, before)
	if err != nil || len(check) == 0 {
		return 0, err
	}
	ids, err := s.archivedIDs(ctx, dst.Handle)
	if err != nil {
		return 0, err
	}
	c, err := s.client(ctx, dst)
	if err != nil {
		return 0, err
	}
	redo := 0
	for _, it := range check {
		id := cmp.Or(it.DestID, ids[it.URI], ids[it.URL])
		if id == "" {
			continue
		}
		still, err := s.stillBookmarked(ctx, c, dst, it.URI, id)
		if err != nil {
			return redo, err
		}
		if still {
			continue
		}
		if err := s.ar.RedoStaleAlready(ctx, src.Handle, dst.Handle, it.ID, id, s.o.now()); err != nil {
			return redo, err
		}
		fmt.Fprintf(s.o.errOut, "%s no longer has %s bookmarked (its archive said it had): writing it\n", dst.Handle, cleanText(it.Address()))
		redo++
	}
	return redo, nil
}

// newlyAlready are the rows of job key that this run ended already
// (before holds the outcomes they had before it).
func (s *syncer) newlyAlready(ctx context.Context, key string, before map[int64]fedimarks.Outcome) ([]fedimarks.JobItem, error) {
	items, err := s.jobItems(ctx, key)
	if err != nil {
		return nil, err
	}
	var out []fedimarks.JobItem
	for _, it := range items {
		if was, known := before[it.ID]; it.Outcome == fedimarks.Already && (!known || was != fedimarks.Already) {
			out = append(out, it)
		}
	}
	return out, nil
}

// archivedIDs maps the addresses (URI and URL) of the posts h's archive
// holds bookmarked to their id on h's server.
func (s *syncer) archivedIDs(ctx context.Context, h fedimarks.Handle) (map[string]string, error) {
	ids := map[string]string{}
	err := s.ar.EachBookmark(ctx, h, sqlite.ListOptions{}, func(b fedimarks.Bookmark) error {
		o := b.Status.Original()
		for _, a := range []string{o.URI, o.URL} {
			if a != "" {
				ids[a] = b.Status.ID
			}
		}
		return nil
	})
	return ids, err
}

func (s *syncer) jobItems(ctx context.Context, key string) ([]fedimarks.JobItem, error) {
	job, err := s.ar.FindJob(ctx, key)
	if err != nil || job == nil {
		return nil, err
	}
	return s.ar.JobItems(ctx, job.ID)
}

func (s *syncer) jobOutcomes(ctx context.Context, key string) (map[int64]fedimarks.Outcome, error) {
	items, err := s.jobItems(ctx, key)
	m := make(map[int64]fedimarks.Outcome, len(items))
	for _, it := range items {
		m[it.ID] = it.Outcome
	}
	return m, err
}

// mirrorRemovals unbookmarks on dst the posts that sync copied there
// (imported rows of its job) and that the archive of src records as
// removed, oldest first. Each removal is journalled before its request,
// so that a run killed in between redoes only that one.
func (s *syncer) mirrorRemovals(ctx context.Context, src, dst fedimarks.Account) (int, error) {
	pending, err := s.ar.PendingSyncRemovals(ctx, src.Handle, dst.Handle)
	if err != nil {
		return 0, err
	}
	if pending, err = s.queueRemovals(ctx, src, dst, pending); err != nil || len(pending) == 0 {
		return 0, err
	}
	c, err := s.client(ctx, dst)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, r := range pending {
		done, err := s.removeOne(ctx, c, src.Handle, dst, r)
		if err != nil {
			return removed, err
		}
		if done {
			removed++
		}
	}
	return removed, nil
}

// queueRemovals journals, after pending (the removals a run before left
// to do), a removal of each post sync copied to dst that src's archive
// records as removed and src's server confirms is no longer bookmarked;
// it returns them all.
func (s *syncer) queueRemovals(ctx context.Context, src, dst fedimarks.Account, pending []sqlite.SyncRemoval) ([]sqlite.SyncRemoval, error) {
	gone, err := s.removedOn(ctx, src.Handle)
	if err != nil || len(gone) == 0 {
		return pending, err
	}
	items, err := s.jobItems(ctx, sqlite.SyncJobKey(src.Handle, dst.Handle))
	if err != nil {
		return nil, err
	}
	queued := map[string]bool{}
	for _, r := range pending {
		queued[r.URI] = true
	}
	var srcClient *mastodon.Client
	for _, it := range items {
		srcID, ok := gone[it.URI]
		if it.Outcome != fedimarks.Imported || it.DestID == "" || !ok || queued[it.URI] {
			continue
		}
		if srcClient == nil {
			if srcClient, err = s.client(ctx, src); err != nil {
				return nil, err
			}
		}
		still, err := s.stillBookmarked(ctx, srcClient, src, it.URI, srcID)
		if err != nil {
			return nil, err
		}
		if still {
			fmt.Fprintf(s.o.errOut, "kept on %s: %s is still bookmarked on %s (its listing hides it)\n", dst.Handle, cleanText(it.URI), src.Handle)
			continue
		}
		r, err := s.ar.BeginSyncRemoval(ctx, src.Handle, dst.Handle, it.URI, it.DestID, s.o.now())
		if err != nil {
			return nil, err
		}
		pending = append(pending, r)
	}
	return pending, nil
}

// removeOne unbookmarks r's post on dst and records how it ended: removed
// (also when the post is gone from dst), or failed for good. A request
// not answered leaves it pending for the next check, and stops this one,
// as do a refused token and an interrupt.
func (s *syncer) removeOne(ctx context.Context, c *mastodon.Client, src fedimarks.Handle, dst fedimarks.Account, r sqlite.SyncRemoval) (bool, error) {
	err := c.Unbookmark(ctx, r.DestID)
	state, detail := "removed", ""
	switch {
	case err == nil:
	case fedimarks.ErrorKind(err) == fedimarks.KindNotFound || fedimarks.ErrorKind(err) == fedimarks.KindGone:
		// The post is gone from dst, or no longer shown to it: so is
		// the bookmark.
		detail = "the post is no longer on " + dst.Handle.Host()
	default:
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		var fe *fedimarks.Error
		if errors.As(err, &fe) && (fe.Code == fedimarks.EAuth || fe.Code == fedimarks.EScope) {
			return false, s.o.apiError(dst.Handle, dst.Server, err, "write:bookmarks")
		}
		if k := fedimarks.ErrorKind(err); k == "" || k == fedimarks.KindUnreachable || k == fedimarks.KindServerError || k == fedimarks.KindRateLimited {
			// Not answered: kept pending, tried again next time.
			return false, &fedimarks.Error{Code: fedimarks.EUnavailable,
				Message: fmt.Sprintf("remove a bookmark on %s: %v", dst.Handle, err), Err: err}
		}
		state, detail = "failed", err.Error()
	}
	if err := s.ar.FinishSyncRemoval(context.WithoutCancel(ctx), r, state, detail, s.o.now()); err != nil {
		return false, err
	}
	if state == "removed" {
		fmt.Fprintf(s.o.errOut, "removed from %s (gone from %s): %s\n", dst.Handle, src, cleanText(r.URI))
		s.emit(syncEvent{Event: "removed", From: src, To: dst.Handle, URI: r.URI, Detail: detail})
		return true, nil
	}
	fmt.Fprintf(s.o.errOut, "could not remove from %s: %s: %s\n", dst.Handle, cleanText(r.URI), cleanText(s.o.redact(detail)))
	s.emit(syncEvent{Event: "failed", From: src, To: dst.Handle, URI: r.URI, Outcome: "failed", Detail: s.o.redact(detail)})
	return false, nil
}

// removedOn maps the posts (URIs) the archive records as removed from h's
// bookmarks, and not bookmarked again, to their id on h's server.
func (s *syncer) removedOn(ctx context.Context, h fedimarks.Handle) (map[string]string, error) {
	gone := map[string]string{}
	err := s.ar.EachBookmark(ctx, h, sqlite.ListOptions{IncludeRemoved: true}, func(b fedimarks.Bookmark) error {
		if b.RemovedAt != nil {
			gone[b.Status.Original().URI] = b.Status.ID
		}
		return nil
	})
	return gone, err
}

func (s *syncer) client(ctx context.Context, acc fedimarks.Account) (*mastodon.Client, error) {
	tok, err := s.o.token(ctx, acc.Handle)
	if err != nil {
		return nil, err
	}
	return s.o.client(acc.Server, tok, newProgressSlot(s.o.errOut, acc.Server)), nil
}

// stillBookmarked asks src's server whether the post (id there) is still
// bookmarked: a full walk records as removed what the listing no longer
// shows, and some servers hide bookmarks from it (snac: authors not
// followed; muted or blocked authors) that are still there. A removal is
// mirrored only when the server says the bookmark is gone (or the post is
// no longer shown to src); when it does not answer, nothing is removed.
func (s *syncer) stillBookmarked(ctx context.Context, c *mastodon.Client, src fedimarks.Account, uri, id string) (bool, error) {
	if id == "" && uri == "" {
		return false, nil
	}
	// A search first: it needs read:search, which every login has, and a
	// bookmarked post is known to the server, so nothing is fetched; its
	// status carries "bookmarked" for the account. GET /api/v1/statuses/ID
	// needs read:statuses, which the login does not ask for (Mastodon
	// answers 403): it is asked only when the search does not tell.
	if uri != "" {
		st, err := c.Resolve(ctx, uri)
		if err != nil {
			return false, s.checkFailed(ctx, src, err, "read:search")
		}
		if st != nil {
			if marked, ok := bookmarkedFlag(st.Raw); ok {
				return marked, nil
			}
		}
	}
	if id == "" {
		// Not found by its address, and no id to ask by: the post is not
		// shown to src any more, nor its bookmark.
		return false, nil
	}
	st, err := c.Status(ctx, id)
	switch k := fedimarks.ErrorKind(err); {
	case err == nil:
		marked, _ := bookmarkedFlag(st.Raw)
		return marked, nil
	case k == fedimarks.KindNotFound || k == fedimarks.KindGone:
		return false, nil
	case k == fedimarks.KindScope || k == fedimarks.KindForbidden:
		// The server would not say (a token without read:statuses): keep
		// the bookmark rather than remove one that may be there.
		return true, nil
	}
	return false, s.checkFailed(ctx, src, err, "read:statuses")
}

// bookmarkedFlag reads a status's "bookmarked"; ok is false when the
// server did not say.
func bookmarkedFlag(raw json.RawMessage) (marked, ok bool) {
	var w struct {
		Bookmarked *bool `json:"bookmarked"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &w) != nil || w.Bookmarked == nil {
		return false, false
	}
	return *w.Bookmarked, true
}

// checkFailed is the error of a bookmark check on src that got no answer.
func (s *syncer) checkFailed(ctx context.Context, src fedimarks.Account, err error, scope string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var fe *fedimarks.Error
	if errors.As(err, &fe) && (fe.Code == fedimarks.EAuth || fe.Code == fedimarks.EScope) {
		return s.o.apiError(src.Handle, src.Server, err, scope)
	}
	return &fedimarks.Error{Code: fedimarks.EUnavailable,
		Message: fmt.Sprintf("check a bookmark on %s: %v", src.Handle, err), Err: err}
}

// archiveLister is the engine's Lister over an account's archived
// bookmarks: sync keeps them current with its backups, so reading the
// destination's bookmarks costs no request.
type archiveLister struct {
	ar *sqlite.Archive
	h  fedimarks.Handle
}

func (l archiveLister) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	const size = 200
	page := make([]fedimarks.Status, 0, size)
	err := l.ar.EachBookmark(ctx, l.h, sqlite.ListOptions{}, func(b fedimarks.Bookmark) error {
		page = append(page, b.Status)
		if len(page) < size {
			return nil
		}
		err := fn(page)
		page = make([]fedimarks.Status, 0, size)
		return err
	})
	if err != nil || len(page) == 0 {
		return err
	}
	return fn(page)
}

// watch runs a check every --every until ctx ends. A check that fails for
// a reason time can cure (a server down, the network) is said, and the
// next one tried at the next interval; a refused token or a local fault
// stops.
func (s *syncer) watch(ctx context.Context) error {
	for {
		err := s.cycle(ctx)
		if ctx.Err() != nil {
			fmt.Fprintln(s.o.errOut, "sync stopped; everything done so far is saved")
			return nil
		}
		if err != nil {
			if code, _ := classify(ctx, err); code == ExitAuth || code == ExitUsage {
				return err
			}
			if !isPartial(err) {
				_, msg := classify(ctx, err)
				var fe *fedimarks.Error
				if errors.As(err, &fe) {
					// The hint says to rerun: --watch does that itself.
					h := *fe
					h.Hint = ""
					msg = h.Error()
				}
				msg = s.o.redact(msg)
				s.o.speak()
				fmt.Fprintf(s.o.alert, "sync waiting: %s; trying again in %s\n", cleanText(msg), ui.Duration(s.o.every))
				s.emit(syncEvent{Event: "waiting", Reason: msg, Seconds: s.o.every.Seconds()})
			}
		}
		if err := s.o.sleep(ctx, s.o.every); err != nil || ctx.Err() != nil {
			fmt.Fprintln(s.o.errOut, "sync stopped; everything done so far is saved")
			return nil
		}
	}
}

// syncStatus prints each stored pair on out.
func syncStatus(ctx context.Context, archive archiveFunc, out io.Writer, now func() time.Time, asJSON bool) error {
	ar, err := archive(ctx)
	if err != nil {
		return err
	}
	pairs, err := ar.SyncPairs(ctx)
	if err != nil {
		return err
	}
	if len(pairs) == 0 && !asJSON {
		fmt.Fprintln(out, "no sync yet: start one with: fedimarks sync --from ACCOUNT --to ACCOUNT")
		return nil
	}
	for _, p := range pairs {
		st, err := pairStatus(ctx, ar, p)
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(st); err != nil {
				return err
			}
			continue
		}
		printPairStatus(out, st, now())
	}
	return nil
}

// syncPairStatus is what --status shows of a pair (and its --json line).
type syncPairStatus struct {
	From      fedimarks.Handle `json:"from"`
	To        fedimarks.Handle `json:"to"`
	Mirror    bool             `json:"mirror"`
	Both      bool             `json:"both"`
	LastCheck *time.Time       `json:"last_check"`
	LastOK    *time.Time       `json:"last_ok"`
	FromCount int              `json:"from_bookmarks"`
	ToCount   int              `json:"to_bookmarks"`
	// Added counts the bookmarks sync added to To and did not remove.
	Added     int            `json:"added"`
	Removed   int            `json:"removed"`
	Pending   int            `json:"pending_rows"`
	Failed    map[string]int `json:"failed_rows"`
	Failures  int            `json:"failing_checks"`
	LastError string         `json:"last_error"`
}

func pairStatus(ctx context.Context, ar *sqlite.Archive, p sqlite.SyncPair) (syncPairStatus, error) {
	st := syncPairStatus{From: p.Source, To: p.Dest, Mirror: p.Mirror, Both: p.Both, FromCount: p.SourceCount, ToCount: p.DestCount,
		Removed: p.Removed, Failed: map[string]int{}, Failures: p.Failures, LastError: cleanText(p.LastError)}
	if !p.LastCheck.IsZero() {
		st.LastCheck = &p.LastCheck
	}
	if !p.LastOK.IsZero() {
		st.LastOK = &p.LastOK
	}
	job, err := ar.FindJob(ctx, sqlite.SyncJobKey(p.Source, p.Dest))
	if err != nil || job == nil {
		return st, err
	}
	counts, err := ar.JobCounts(ctx, job.ID)
	if err != nil {
		return st, err
	}
	st.Added = counts[fedimarks.Imported]
	st.Pending = counts[fedimarks.Pending] + counts[fedimarks.Unreachable]
	for o, n := range counts {
		if o != fedimarks.Pending && o != fedimarks.Unreachable && !o.Succeeded() && n > 0 {
			st.Failed[string(o)] = n
		}
	}
	pend, err := ar.PendingSyncRemovals(ctx, p.Source, p.Dest)
	st.Pending += len(pend)
	return st, err
}

func printPairStatus(w io.Writer, st syncPairStatus, now time.Time) {
	mode := ""
	if st.Both {
		mode += ", both ways"
	}
	if st.Mirror {
		mode += ", mirror"
	}
	fmt.Fprintf(w, "%s to %s%s\n", st.From, st.To, mode)
	if st.LastCheck == nil {
		fmt.Fprintln(w, "  never checked")
	} else {
		fmt.Fprintf(w, "  last check: %s (%s ago)\n", st.LastCheck.UTC().Format("2006-01-02 15:04 UTC"), now.Sub(*st.LastCheck).Round(time.Second))
	}
	if st.LastOK != nil {
		fmt.Fprintf(w, "  at the last good check: %s on %s, %s on %s\n", fedimarks.Plural(st.FromCount, "bookmark"), st.From, fedimarks.Plural(st.ToCount, "bookmark"), st.To)
	}
	fmt.Fprintf(w, "  added by sync: %d, removed by sync: %d\n", st.Added, st.Removed)
	fmt.Fprintf(w, "  pending: %s (done at the next check)\n", fedimarks.Plural(st.Pending, "row"))
	failed := 0
	for _, n := range st.Failed {
		failed += n
	}
	if failed > 0 {
		fmt.Fprintf(w, "  failed: %s", fedimarks.Plural(failed, "row"))
		for _, o := range fedimarks.Outcomes {
			if n := st.Failed[string(o)]; n > 0 {
				fmt.Fprintf(w, ", %d %s", n, o)
			}
		}
		fmt.Fprintf(w, " (list them with: fedimarks sync --from %s --to %s --report-dir DIR)\n", shellWord(string(st.From)), shellWord(string(st.To)))
	}
	if st.Failures > 0 {
		fmt.Fprintf(w, "  failing: the last %s failed: %s\n", fedimarks.Plural(st.Failures, "check"), st.LastError)
	}
}
