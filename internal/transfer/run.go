package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Importer runs imports. Writer, Lister and Journal are required (Writer
// is not used by a dry run); the rest are optional. An Importer holds no
// state between runs and may be reused; one Run at a time per destination
// keeps the destination's order.
type Importer struct {
	Writer  Writer
	Lister  Lister
	Journal Journal
	// Locker, when set, holds the destination's lock for the whole run
	// (dry runs change nothing and take no lock).
	Locker Locker
	// Finder, when set, fills in the visibility of rows that do not carry
	// it, from the local archive.
	Finder VisibilityFinder
	// Progress, when set, counts finished rows.
	Progress Progress
	// Budget, when set, says what the destination reported of its request
	// budget, for the estimate (unset: Mastodon's limit is assumed).
	Budget BudgetReader
	// Log receives the summary and notes (stderr); nil discards them.
	Log io.Writer
	// Workers is how many resolves may run at once ahead of the writer
	// (default 4). Bookmarks are always written by one writer, in order.
	Workers int
	// Breaker sets the per-domain circuit breaker (zero: defaults).
	Breaker BreakerPolicy
	// Origin, when set, is asked about each post the destination's search
	// did not find (one unsigned request to the post's own server, through
	// the breaker): its answer tells a deleted post (not_found) from one
	// the destination could not fetch (unreachable when the server did not
	// answer; searched again, alone, when it serves the post or refuses to
	// tell). Without it such rows end not_found.
	Origin Origin
	// RetryPause is the wait before such a post is searched again
	// (default 2 s).
	RetryPause time.Duration
	// Sleep waits d or until ctx ends (default: a timer); tests pass a
	// fake that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Request is one import.
type Request struct {
	// Destination is the account written to.
	Destination fedimarks.Handle
	// Server is the destination's base URL; posts on its host are
	// bookmarked from the id in their address, without a search.
	Server string
	// Software is the destination's server software as internal/mastodon
	// names it ("mastodon", "gotosocial", "snac", ...; "" unknown). Only
	// snac's 422 to a bookmark means "already bookmarked", and snac gets
	// one search at a time (several at once lose posts there).
	Software string
	// Inputs names the inputs (files, or "archive of user@host"), for the
	// job record and messages.
	Inputs []string
	// Items are the rows in write order (see Merge): Items[0] is written
	// first and should be the oldest bookmark.
	Items []fedimarks.ImportItem
	// Key identifies the job; "" means Key(Destination, Items). Migrate
	// passes a fixed key so that a rerun appends newly archived bookmarks
	// to the same job.
	Key string
	// RetryFailed also retries rows that ended not_found, not_visible or
	// failed (unreachable rows are always retried).
	RetryFailed bool
	// DryRun resolves nothing and writes nothing (no job is stored); the
	// report carries an Estimate.
	DryRun bool
	// ReportDir, when set, receives the report CSV and the failures file.
	ReportDir string
	// RateLimit is the destination's limit assumed by estimates until it
	// reports its own (zero: Mastodon's).
	RateLimit RateLimit
	// Probe, when set, is called once, before the engine's first request to
	// the destination and only when there are rows to do: it returns the
	// destination's server software, which replaces Software. A rerun of
	// a finished job never calls it, and never contacts the destination.
	Probe func(ctx context.Context) string
	// Confirm, when set, is called once before any remote request with
	// what the run will do, if there is anything to write; an error stops
	// the run (nothing remote done, the job kept for a rerun).
	Confirm func(ctx context.Context, est Estimate) error
}

// Report is the result of a run.
type Report struct {
	Job fedimarks.ImportJob
	// Items are all the job's rows in write order, with their outcomes.
	Items []fedimarks.JobItem
	// Counts has the number of rows per outcome (Pending when stopped early).
	Counts map[fedimarks.Outcome]int
	// ReportPath and FailuresPath are the files written (when ReportDir
	// was set and the run finished).
	ReportPath, FailuresPath string
	// Estimate is set for a dry run.
	Estimate *Estimate
	// Resumed is set when the job was stored by an earlier run;
	// ImportedNow counts the rows this run imported.
	Resumed     bool
	ImportedNow int
}

// RetryFailedHelps reports whether a rerun with RetryFailed would do rows
// that a plain rerun leaves: some row ended not_found, not_visible or
// failed (a plain rerun retries unreachable rows; nothing retries invalid
// ones).
func (r *Report) RetryFailedHelps() bool {
	for _, it := range r.Failed() {
		if it.Outcome != fedimarks.Unreachable && it.Outcome != fedimarks.Invalid {
			return true
		}
	}
	return false
}

// Failed returns the rows that did not succeed, invalid ones included.
func (r *Report) Failed() []fedimarks.JobItem {
	var out []fedimarks.JobItem
	for _, it := range r.Items {
		if it.Outcome != fedimarks.Pending && !it.Outcome.Succeeded() {
			out = append(out, it)
		}
	}
	return out
}

// destFailLimit is how many consecutive requests to the destination may go
// unanswered (after the client's retries) before the job stops: with the
// destination down, every row would otherwise end unreachable.
const destFailLimit = 3

// Run plans the request, stores it as a durable job (or finds the job a
// previous run left), and writes what is still to do. It returns the report
// and: nil when every row ended imported, already or duplicate; a
// *fedimarks.Error with Code EPartial when the job finished but some rows
// did not; EAuth, EScope, EInterrupted or EUnavailable when it stopped
// early (resumable by running the same request again); other errors for
// local trouble (the journal). The errors say what happened, with the
// server's answer inside; the next command is the caller's to write,
// from the error and the report (RetryFailedHelps, the files written).
func (im *Importer) Run(ctx context.Context, req Request) (*Report, error) {
	if im.Journal == nil || im.Lister == nil || (im.Writer == nil && !req.DryRun) {
		return nil, errors.New("transfer: Importer needs a Writer, a Lister and a Journal")
	}
	r := &run{im: im, req: req, destHost: fedimarks.HostOf(req.Server), now: im.Now}
	if r.now == nil {
		r.now = time.Now
	}
	r.log = im.Log
	if r.log == nil {
		r.log = io.Discard
	}
	r.br = newBreaker(im.Breaker, r.now)
	if im.Locker != nil && !req.DryRun {
		unlock, err := im.Locker.Lock(ctx, req.Destination)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	return r.run(ctx)
}

type run struct {
	im       *Importer
	req      Request
	destHost string
	now      func() time.Time
	log      io.Writer
	br       *breaker
	job      *fedimarks.ImportJob
	rows     []fedimarks.JobItem
	existing keySet
	// existingCount is how many bookmarks the destination listed in this
	// run (a rerun lists only those made since the last reading).
	existingCount int
	// listSkipped is set when the destination's bookmarks were not read
	// because every row to do was compared with them before: the rows are
	// then searched, even those whose destination id is known, and the
	// search's answer says whether the post was bookmarked since.
	listSkipped bool
	// written maps the destination ids of rows that succeeded to the row
	// (its Source, else its address), to spot a post met again under
	// another address. Used by the writer goroutine only.
	written map[string]string
	// seenMu guards seen: the statuses resolved so far by their URI, URL
	// and the address searched, so that a post met again under another
	// address costs no second search.
	seenMu sync.Mutex
	seen   map[addrKey]*resolvedPost
	// retriedLoad is set once load found the job created under it.
	retriedLoad bool
	// resumed is set when load found the job stored by an earlier run.
	resumed bool
	// lastImported is the Seq of the last row of the source's order that
	// an earlier run imported (-1: none); lateWritten counts the rows
	// before it that this run imports: they land out of the source's order,
	// as the newest bookmarks on the destination.
	lastImported int
	lateWritten  int
	// gate paces the searches on the destination (see gate).
	gate *gate
	// importedNow counts the rows this run imported.
	importedNow int
	// readFails and writeFails count consecutive searches and bookmark
	// requests the destination left unanswered (or answered 5xx); shared
	// by the writer and the resolvers. Kept apart so that searches that
	// succeed do not hide bookmarks that all fail.
	readFails, writeFails atomic.Int32
}

func (r *run) run(ctx context.Context) (*Report, error) {
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	r.req.Items = nil // in the journal now, and in r.rows: a third copy less
	rep := &Report{Job: *r.job, Resumed: r.resumed}
	defer func() { rep.ImportedNow = r.importedNow }()
	var todo []int
	for i := range r.rows {
		if r.rows[i].Outcome == fedimarks.Pending {
			todo = append(todo, i)
		}
	}
	if r.resumed && len(todo) > 0 && !r.req.DryRun {
		// Said at once: what follows (reading the destination) may be long.
		fmt.Fprintf(r.log, "resuming import job %d: %d done, %d to do\n", r.job.ID, len(r.rows)-len(todo), len(todo))
	}
	if len(todo) == 0 && !r.req.DryRun {
		// A finished job: the destination is not contacted at all.
		rep.Items, rep.Counts = r.rows, countOutcomes(r.rows)
		fmt.Fprintf(r.log, "nothing left to do: %d imported earlier\n", rep.Counts[fedimarks.Imported])
		return r.finish(rep)
	}
	if len(todo) > 0 && r.req.Probe != nil {
		r.req.Software = r.req.Probe(ctx)
	}
	// The destination's bookmarks are read first, so that the estimate
	// (and a big import's question) counts only what is really to write.
	if len(todo) > 0 {
		if err := r.readExisting(ctx, todo); err != nil {
			return nil, err
		}
	}
	est := r.estimate(todo)
	if r.req.DryRun {
		rep.Estimate = &est
		rep.Items, rep.Counts = r.rows, countOutcomes(r.rows)
		r.printEstimate(est)
		return rep, nil
	}
	if len(todo) > 0 && r.req.Confirm != nil {
		if err := r.req.Confirm(ctx, est); err != nil {
			return nil, err
		}
	}
	if p := r.im.Progress; p != nil {
		p.SetTotal(int64(len(r.rows)))
		p.Add(int64(len(r.rows) - len(todo)))
	}
	var stop error
	if len(todo) > 0 {
		stop = r.write(ctx, todo)
	}
	// Reload so the report shows what is committed, not what we believe.
	// The caller's context may be cancelled by now; the journal read is
	// local and short.
	r.rows = nil // the journal's rows replace them: not two copies at once
	rows, err := r.im.Journal.JobItems(context.WithoutCancel(ctx), r.job.ID)
	if err != nil {
		return nil, fmt.Errorf("read job %d: %w", r.job.ID, err)
	}
	rep.Items, rep.Counts = rows, countOutcomes(rows)
	if stop != nil {
		r.printSummary(rep, true)
		return rep, stop
	}
	return r.finish(rep)
}

// finish ends a run that went to the end: the report files, the summary,
// and the error when some rows did not make it.
func (r *run) finish(rep *Report) (*Report, error) {
	if r.req.ReportDir != "" {
		if err := writeReportFiles(rep, r.req.ReportDir); err != nil {
			return rep, err
		}
	}
	r.printSummary(rep, false)
	if bad := len(rep.Failed()); bad > 0 {
		return rep, &fedimarks.Error{Code: fedimarks.EPartial,
			Message: fmt.Sprintf("%d of %d rows were not imported", bad, len(rep.Items))}
	}
	return rep, nil
}

// load finds or creates the job, appends new rows, puts rows to retry back
// to pending and reads the rows. A dry run changes nothing in the journal.
func (r *run) load(ctx context.Context) error {
	j := r.im.Journal
	key := r.req.Key
	if key == "" {
		key = Key(r.req.Destination, r.req.Items)
	}
	job, err := j.FindJob(ctx, key)
	if err != nil {
		return fmt.Errorf("find job: %w", err)
	}
	if job == nil {
		planned := planItems(r.req.Items, make(keySet, 2*len(r.req.Items)))
		r.fillVisibility(ctx, planned)
		newJob := fedimarks.ImportJob{Key: key, Destination: r.req.Destination, Inputs: r.req.Inputs, CreatedAt: r.now().UTC(), UpdatedAt: r.now().UTC(), DryRun: r.req.DryRun}
		if r.req.DryRun {
			r.job, r.rows = &newJob, number(planned, 0)
			return nil
		}
		if job, err = j.CreateJob(ctx, newJob, planned); err != nil {
			if errors.Is(err, fedimarks.ErrJobExists) && !r.retriedLoad {
				// Another run stored it between our look and our write
				// (possible only without a Locker): go on with its job.
				r.retriedLoad = true
				return r.load(ctx)
			}
			return fmt.Errorf("store job: %w", err)
		}
	} else {
		r.resumed = true
		rows, err := j.JobItems(ctx, job.ID)
		if err != nil {
			return fmt.Errorf("read job %d: %w", job.ID, err)
		}
		seen, uris := keySet{}, map[string]bool{}
		for _, it := range rows {
			uris[it.URI] = true
			if it.Outcome != fedimarks.Invalid {
				seen.add(it.Source, it.URI, it.URL)
			}
		}
		var fresh []fedimarks.ImportItem
		for _, in := range r.req.Items {
			if !uris[in.URI] {
				uris[in.URI] = true
				fresh = append(fresh, in)
			}
		}
		if len(fresh) > 0 {
			planned := planItems(fresh, seen)
			r.fillVisibility(ctx, planned)
			if r.req.DryRun {
				r.job, r.rows = job, append(rows, number(planned, len(rows))...)
				r.markRetries()
				return nil
			}
			if _, err := j.AddJobItems(ctx, job.ID, planned); err != nil {
				return fmt.Errorf("add rows to job %d: %w", job.ID, err)
			}
		} else if r.req.DryRun {
			r.job, r.rows = job, rows
			r.markRetries()
			return nil
		}
	}
	r.job = job
	if _, err := j.ResetOutcomes(ctx, job.ID, r.retryOutcomes()...); err != nil {
		return fmt.Errorf("reset job %d: %w", job.ID, err)
	}
	if r.rows, err = j.JobItems(ctx, job.ID); err != nil {
		return fmt.Errorf("read job %d: %w", job.ID, err)
	}
	r.lastImported = -1
	for _, it := range r.rows {
		r.noteWritten(it)
		if it.Outcome == fedimarks.Imported {
			r.lastImported = max(r.lastImported, it.Seq)
		}
	}
	return nil
}

// retryOutcomes are the outcomes a run puts back to pending.
func (r *run) retryOutcomes() []fedimarks.Outcome {
	if r.req.RetryFailed {
		return []fedimarks.Outcome{fedimarks.Unreachable, fedimarks.NotFound, fedimarks.NotVisible, fedimarks.Failed}
	}
	return []fedimarks.Outcome{fedimarks.Unreachable}
}

// markRetries does in memory what ResetOutcomes does, for a dry run.
func (r *run) markRetries() {
	for i := range r.rows {
		for _, o := range r.retryOutcomes() {
			if r.rows[i].Outcome == o {
				r.rows[i].Outcome, r.rows[i].Detail = fedimarks.Pending, ""
			}
		}
	}
}

func number(items []fedimarks.JobItem, from int) []fedimarks.JobItem {
	for i := range items {
		items[i].Seq = from + i
	}
	return items
}

// fillVisibility fills in, from the local archive, the visibility of
// pending rows whose input did not carry it, in one lookup for all.
func (r *run) fillVisibility(ctx context.Context, items []fedimarks.JobItem) {
	if r.im.Finder == nil {
		return
	}
	var addrs []string
	for i := range items {
		it := &items[i]
		if it.Visibility != "" || it.Outcome != fedimarks.Pending {
			continue
		}
		addrs = append(addrs, it.URI)
		if it.URL != "" {
			addrs = append(addrs, it.URL)
		}
	}
	if len(addrs) == 0 {
		return
	}
	// A lookup failure only loses a hint in a message: go on.
	vis, err := r.im.Finder.Visibilities(ctx, addrs)
	if err != nil {
		return
	}
	for i := range items {
		it := &items[i]
		if it.Visibility != "" || it.Outcome != fedimarks.Pending {
			continue
		}
		if v, ok := vis[it.URI]; ok {
			it.Visibility = v
		} else if v, ok := vis[it.URL]; ok && it.URL != "" {
			it.Visibility = v
		}
	}
}

// errListingKnown stops the reading of the destination's bookmarks where
// it reaches those of the last reading.
var errListingKnown = errors.New("reached the bookmarks read before")

// knownRun is how many bookmarks of the last reading must follow each
// other, in that reading's order, for a rerun to stop reading there: one
// post unbookmarked and bookmarked again since comes first in the listing
// (it is new) and must not stop the reading.
const knownRun = 3

// readExisting reads the destination's bookmarks, as little as it can:
// not at all when every row to do was compared with the job's last reading
// (their searches tell whether a post was bookmarked since); down to the
// bookmarks of the last reading when there was one (new bookmarks come
// first in the listing), the rest taken from it; else all of them. What it
// saw is stored with the job for the next run.
func (r *run) readExisting(ctx context.Context, todo []int) error {
	var prev *fedimarks.JobListing
	if r.job.ID != 0 {
		l, err := r.im.Journal.JobListing(ctx, r.job.ID)
		if err != nil {
			return fmt.Errorf("read job %d: %w", r.job.ID, err)
		}
		prev = l
	}
	if prev != nil {
		compared := true
		for _, i := range todo {
			compared = compared && r.rows[i].Seq < prev.Rows
		}
		if compared {
			r.existing, r.listSkipped = listingSet(prev.Bookmarks), true
			return nil
		}
	}
	var (
		fresh        []fedimarks.ListedBookmark
		pos          map[string]int
		streak, last int
		stopped      bool
		need         int
	)
	if prev != nil {
		pos = make(map[string]int, len(prev.Bookmarks))
		for i, b := range prev.Bookmarks {
			if _, ok := pos[b.ID]; !ok {
				pos[b.ID] = i
			}
		}
		need = min(knownRun, len(prev.Bookmarks))
	}
	err := r.im.Lister.EachBookmark(ctx, func(page []fedimarks.Status) error {
		for _, s := range page {
			fresh = append(fresh, listedOf(s))
			if p, ok := pos[s.ID]; ok && s.ID != "" {
				if streak > 0 && p > last {
					streak++
				} else {
					streak = 1
				}
				last = p
			} else {
				streak = 0
			}
			stopped = stopped || (need > 0 && streak >= need)
		}
		if stopped {
			return errListingKnown
		}
		return nil
	})
	if errors.Is(err, errListingKnown) {
		err = nil
	}
	if err != nil {
		if v, fatal := classify(err, false, r.req.Destination, false); v == vFatal {
			return fatal
		}
		return &fedimarks.Error{Code: fedimarks.EUnavailable, Message: "read the bookmarks of " + string(r.req.Destination) + ": " + err.Error(), Err: err}
	}
	r.existingCount = len(fresh)
	all := fresh
	if stopped {
		// Below the point reached, the listing is the last reading's
		// (less what was unbookmarked since, which cannot be told).
		have := make(map[string]bool, len(fresh))
		for _, b := range fresh {
			have[b.ID] = true
		}
		for _, b := range prev.Bookmarks {
			if !have[b.ID] {
				all = append(all, b)
			}
		}
	}
	r.existing = listingSet(all)
	if r.req.DryRun || r.job.ID == 0 {
		return nil
	}
	if err := r.im.Journal.SaveJobListing(ctx, r.job.ID, fedimarks.JobListing{Rows: len(r.rows), Bookmarks: all}); err != nil {
		return fmt.Errorf("journal job %d: %w", r.job.ID, err)
	}
	return nil
}

// listedOf keeps what matching needs of a listed status: its id and the
// addresses of it and of the post it boosts.
func listedOf(s fedimarks.Status) fedimarks.ListedBookmark {
	b := fedimarks.ListedBookmark{ID: s.ID}
	for _, a := range []string{s.URI, s.URL} {
		if a != "" && !strings.ContainsRune(a, '\t') {
			b.Addrs = append(b.Addrs, a)
		}
	}
	if s.Reblog != nil {
		for _, a := range []string{s.Reblog.URI, s.Reblog.URL} {
			if a != "" && !strings.ContainsRune(a, '\t') {
				b.Addrs = append(b.Addrs, a)
			}
		}
	}
	return b
}

func listingSet(bs []fedimarks.ListedBookmark) keySet {
	set := make(keySet, 4*len(bs))
	for _, b := range bs {
		set.add("", b.Addrs...)
	}
	return set
}

// resolved is a resolver's answer for one row.
type resolved struct {
	st      *fedimarks.Status
	err     error
	skipped string // set when the breaker kept the request back
	// origin is what the post's own server answered, when it was asked
	// (the destination's search found nothing).
	origin originAnswer
}

// found reports whether a search's answer is a post.
func found(st *fedimarks.Status) bool { return st != nil && st.ID != "" }

// write does the pending rows todo (indexes into r.rows, in Seq order;
// the destination's bookmarks already read):
// rows already on the destination first (no request), then the rest with
// resolvers running ahead and this goroutine writing in order.
func (r *run) write(ctx context.Context, todo []int) error {
	var rest []int
	for _, i := range todo {
		it := &r.rows[i]
		if _, ok := r.existing.find(it.URI, it.URL); ok {
			if err := r.finishFound(ctx, it, "already bookmarked on the destination"); err != nil {
				return err
			}
			continue
		}
		rest = append(rest, i)
	}
	if len(rest) == 0 {
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := r.im.Workers
	if workers <= 0 {
		workers = 4
	}
	if r.req.Software == "snac" {
		// snac answers some of several searches at once with nothing.
		r.gate = newGate(1)
	} else {
		r.gate = newGate(workers)
	}
	var queue []int // the rows to resolve, a subsequence of rest
	for _, i := range rest {
		if r.needsResolve(r.rows[i]) {
			queue = append(queue, i)
		}
	}
	// A row's answer comes in its own slot. The dispatcher hands the
	// slots to the writer in order, at most a window ahead, so that only
	// a window's worth exist at a time (one per row cost 300 bytes a row).
	type slot struct {
		i  int
		ch chan resolved
	}
	ahead := make(chan slot, 2*workers)
	jobs := make(chan slot)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // dispatcher: feeds rows in order, at most a window ahead
		defer wg.Done()
		defer close(jobs)
		for _, i := range queue {
			sl := slot{i, make(chan resolved, 1)}
			select {
			case ahead <- sl:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- sl:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sl := range jobs {
				sl.ch <- r.resolve(ctx, r.rows[sl.i])
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	next := 0 // the next row of queue to come from the dispatcher
	for _, i := range rest {
		it := &r.rows[i]
		var err error
		if next < len(queue) && queue[next] == i {
			next++
			var sl slot
			var res resolved
			select {
			case sl = <-ahead:
			case <-ctx.Done():
				return interrupted(ctx.Err())
			}
			select {
			case res = <-sl.ch:
			case <-ctx.Done():
				return interrupted(ctx.Err())
			}
			err = r.finishResolved(ctx, it, res, viaSearch)
		} else {
			err = r.direct(ctx, it)
		}
		if err != nil {
			return err
		}
		if r.readFails.Load() >= destFailLimit || r.writeFails.Load() >= destFailLimit {
			return &fedimarks.Error{Code: fedimarks.EUnavailable,
				Message: fmt.Sprintf("stopped: the destination %s failed %d requests in a row (no answer, or a server error)", r.destHost, destFailLimit)}
		}
	}
	return nil
}

func interrupted(err error) error {
	return &fedimarks.Error{Code: fedimarks.EInterrupted, Message: "import interrupted", Err: err}
}

// needsResolve: rows with a known destination id are bookmarked directly.
// Posts of the destination's own server always are, by the id in their
// address: a search would cost more than a fresh run spends on them. The
// id of another post, known from an interrupted attempt, is used only when
// the destination's bookmarks were read: when not (a rerun), the search
// tells whether the interrupted request was stored, which spares a
// second bookmark.
func (r *run) needsResolve(it fedimarks.JobItem) bool {
	if localID(it, r.destHost) != "" {
		return false
	}
	return r.listSkipped || it.DestID == ""
}

func postDomain(it fedimarks.JobItem) string {
	if h := fedimarks.HostOf(it.URI); h != "" {
		return h
	}
	return fedimarks.HostOf(it.URL)
}

// resolve asks the destination for its copy of the row's post, unless the
// post's domain has tripped the breaker. Safe for concurrent use.
func (r *run) resolve(ctx context.Context, it fedimarks.JobItem) resolved {
	if st := r.resolvedBefore(it); st != nil {
		return resolved{st: st}
	}
	domain := postDomain(it)
	if ok, why := r.br.allow(domain); !ok {
		return resolved{skipped: why}
	}
	return r.lookUp(ctx, it, domain, false)
}

// searchQuery is the address a row's post is searched by: its URI, else
// its URL.
func searchQuery(it fedimarks.JobItem) string {
	if fedimarks.HostOf(it.URI) == "" {
		return it.URL
	}
	return it.URI
}

// lookUp searches the row's post on the destination (alone: with no other
// search in flight). When nothing is found, the post's own server is asked
// why; when it serves the post, the destination failed to fetch it, most
// likely because of searches in parallel: the destination gets one search
// at a time from then on, and this one is tried again, alone, after a
// pause. So is it when the server refuses to tell (it answers no unsigned
// fetch); found then, the destination gets one search at a time too. At
// most one request goes to the post's server.
func (r *run) lookUp(ctx context.Context, it fedimarks.JobItem, domain string, alone bool) resolved {
	q := searchQuery(it)
	st, err := r.search(ctx, q, alone)
	if err != nil || found(st) {
		r.recordSearch(ctx, domain, err)
		if err == nil {
			r.noteResolved(st, q)
		}
		return resolved{st: st, err: err}
	}
	a := r.askOrigin(ctx, it, domain, q)
	switch a.verdict {
	case originCanceled:
		return resolved{err: a.err}
	case originServes:
		if r.gate.one() {
			r.note("%s found nothing for a post that its server %s serves: searching one post at a time from now on", r.destHost, domain)
		}
	case originRefused:
		// It answers no unsigned fetch (GoToSocial never does): the post
		// may be there, lost to searches in parallel. One more search
		// tells.
	default:
		return resolved{origin: a}
	}
	if err := r.sleep(ctx, r.im.RetryPause, 2*time.Second); err != nil {
		return resolved{err: err}
	}
	st, err = r.search(ctx, q, true)
	if err != nil || found(st) {
		r.recordSearch(ctx, domain, err)
		if err == nil {
			r.noteResolved(st, q)
			if r.gate.one() {
				r.note("%s found a post on a second search that it had not found on the first: searching one post at a time from now on", r.destHost)
			}
		}
	}
	return resolved{st: st, err: err, origin: a}
}

// search runs one resolving search on the destination, through the gate.
func (r *run) search(ctx context.Context, q string, alone bool) (*fedimarks.Status, error) {
	if err := r.gate.enter(ctx, alone); err != nil {
		return nil, err
	}
	st, err := r.im.Writer.Resolve(ctx, q)
	r.gate.leave()
	r.noteAnswer(&r.readFails, err, false)
	return st, err
}

// recordSearch tells the breaker what a search's answer says of the
// post's server: only the destination's word that it did not answer
// counts against it; the destination's own trouble says nothing about it.
func (r *run) recordSearch(ctx context.Context, domain string, err error) {
	switch {
	case err == nil:
		r.br.record(domain, outcomeOK)
	case isCanceled(err) || ctx.Err() != nil:
		r.br.record(domain, outcomeNeutral)
	default:
		if v, _ := classify(err, false, r.req.Destination, false); v == vUnreachable {
			r.br.record(domain, outcomeFail)
		} else {
			r.br.record(domain, outcomeNeutral)
		}
	}
}

// sleep waits d (def when d is 0) or until ctx ends.
func (r *run) sleep(ctx context.Context, d, def time.Duration) error {
	if d <= 0 {
		d = def
	}
	if r.im.Sleep != nil {
		return r.im.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// note tells the person something about the run as it goes: above the
// progress bar, or in the log.
func (r *run) note(format string, args ...any) {
	if p := r.im.Progress; p != nil {
		p.Note(format, args...)
		return
	}
	fmt.Fprintf(r.log, format+"\n", args...)
}

// resolvedBefore returns the status resolved earlier in this run for one
// of the row's addresses, or nil. Safe for concurrent use.
func (r *run) resolvedBefore(it fedimarks.JobItem) *fedimarks.Status {
	r.seenMu.Lock()
	defer r.seenMu.Unlock()
	for _, a := range []string{it.URI, it.URL} {
		if k := keysOf(a).key(); k != "" {
			if p := r.seen[hashKey(k)]; p != nil {
				return p.status()
			}
		}
	}
	return nil
}

// noteResolved remembers a resolved status under its addresses and the
// address searched. Safe for concurrent use.
func (r *run) noteResolved(st *fedimarks.Status, query string) {
	r.seenMu.Lock()
	defer r.seenMu.Unlock()
	if r.seen == nil {
		r.seen = map[addrKey]*resolvedPost{}
	}
	c := keepResolved(*st, query)
	for _, a := range []string{query, st.URI, st.URL} {
		if k := keysOf(a).key(); k != "" {
			if h := hashKey(k); r.seen[h] == nil {
				r.seen[h] = c
			}
		}
	}
}

// noteAnswer keeps count, in n, of consecutive requests the destination
// failed (no answer, or a 5xx of its own); any other answer resets it, a
// cancelled request leaves it.
func (r *run) noteAnswer(n *atomic.Int32, err error, bookmark bool) {
	switch {
	case destinationFailed(err, bookmark):
		n.Add(1)
	case err == nil || !isCanceled(err):
		n.Store(0)
	}
}

// via is how the destination id of a bookmark request came about, which
// says what a 404 to it means.
type via int

const (
	viaID     via = iota // the id in the post's address, or from an earlier attempt
	viaSearch            // a search found the post just now
	viaRetry             // a second request, after a 404: a 404 again is final
)

// finishResolved ends a row from its resolve answer, bookmarking it when
// found.
func (r *run) finishResolved(ctx context.Context, it *fedimarks.JobItem, res resolved, how via) error {
	switch {
	case res.skipped != "":
		return r.set(ctx, it, fedimarks.Unreachable, res.skipped, "")
	case res.err != nil:
		v, fatal := classify(res.err, false, r.req.Destination, false)
		switch v {
		case vFatal:
			return fatal
		case vNotFound:
			o, d := notFoundOutcome(*it)
			return r.set(ctx, it, o, d, "")
		case vNotVisible:
			return r.set(ctx, it, fedimarks.NotVisible, "the destination may not show this post to the account (403): "+errDetail(res.err), "")
		case vUnreachable:
			return r.set(ctx, it, fedimarks.Unreachable, postDomain(*it)+" did not answer "+r.destHost+"'s fetch; a rerun retries it: "+errDetail(res.err), "")
		case vDestDown:
			return r.set(ctx, it, fedimarks.Unreachable, "the destination "+r.destHost+" did not answer the search; a rerun retries it: "+errDetail(res.err), "")
		default:
			return r.set(ctx, it, fedimarks.Failed, errDetail(res.err), "")
		}
	case !found(res.st):
		o, d := r.emptyOutcome(*it, res.origin)
		return r.set(ctx, it, o, d, "")
	}
	if err := r.notePost(ctx, it, res.st.URI); err != nil {
		return err
	}
	if first, ok := r.written[res.st.ID]; ok {
		return r.set(ctx, it, fedimarks.Duplicate, "same post as "+first+" (under another address)", res.st.ID)
	}
	if alreadyBookmarked(*res.st) {
		return r.finishFound(ctx, it, "already bookmarked on the destination")
	}
	return r.bookmark(ctx, it, res.st.ID, how)
}

// notePost records the URI of the post the row resolved to, when the row
// did not carry it (a row read as a web address), so that the failures
// file can name the post as Mastodon's importer wants it.
func (r *run) notePost(ctx context.Context, it *fedimarks.JobItem, uri string) error {
	if uri == "" || uri == it.URI || uri == it.PostURI || fedimarks.HostOf(uri) == "" {
		return nil
	}
	if err := r.im.Journal.SetJobItemPostURI(context.WithoutCancel(ctx), it.ID, uri); err != nil {
		return fmt.Errorf("journal row %d: %w", it.Seq, err)
	}
	it.PostURI = uri
	return nil
}

// direct bookmarks a row whose destination id is known, falling back to a
// search when the id is refused with 404.
func (r *run) direct(ctx context.Context, it *fedimarks.JobItem) error {
	id := it.DestID
	if id == "" {
		id = localID(*it, r.destHost)
	}
	if first, ok := r.written[id]; ok {
		return r.set(ctx, it, fedimarks.Duplicate, "same post as "+first+" (under another address)", id)
	}
	return r.bookmark(ctx, it, id, viaID)
}

// bookmark writes one bookmark durably: in flight committed before the
// request, the outcome committed right after the answer.
func (r *run) bookmark(ctx context.Context, it *fedimarks.JobItem, id string, how via) error {
	if err := ctx.Err(); err != nil {
		return interrupted(err)
	}
	if err := r.im.Journal.MarkInFlight(ctx, it.ID, id); err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx.Err())
		}
		return fmt.Errorf("journal row %d: %w", it.Seq, err)
	}
	wasInFlight := it.InFlight
	it.InFlight, it.DestID, it.Attempts = true, id, it.Attempts+1
	_, err := r.im.Writer.Bookmark(ctx, id)
	r.noteAnswer(&r.writeFails, err, true)
	if err == nil {
		return r.set(ctx, it, fedimarks.Imported, "", id)
	}
	v, fatal := classify(err, true, r.req.Destination, r.req.Software == "snac")
	switch v {
	case vFatal:
		return fatal // the row stays in flight and is redone by a rerun
	case vAlready:
		o := fedimarks.Already
		if wasInFlight {
			o = fedimarks.Imported
		}
		return r.set(ctx, it, o, "the server answered 422, its answer for an already-bookmarked post: "+errDetail(err), id)
	case vNotFound:
		if how != viaRetry {
			return r.recheck(ctx, it)
		}
		o, d := notFoundOutcome(*it)
		return r.set(ctx, it, o, d, id)
	case vNotVisible:
		return r.set(ctx, it, fedimarks.NotVisible, "the destination refused the bookmark (403): "+errDetail(err), id)
	case vUnreachable, vDestDown:
		return r.set(ctx, it, fedimarks.Unreachable, "the destination "+r.destHost+" did not answer the bookmark request; a rerun retries it: "+errDetail(err), id)
	default:
		return r.set(ctx, it, fedimarks.Failed, errDetail(err), id)
	}
}

// recheck follows a 404 to a bookmark request (its row in flight) with a
// search, alone: an id taken from the post's address may not be the
// server's, and snac has answered 404 to a bookmark request made while
// one of its searches ran, though it stored the bookmark. A post found
// bookmarked ends imported; one found otherwise is bookmarked once more;
// nothing found is read like any empty search.
func (r *run) recheck(ctx context.Context, it *fedimarks.JobItem) error {
	domain := postDomain(*it)
	if ok, why := r.br.allow(domain); !ok {
		return r.set(ctx, it, fedimarks.Unreachable, why, "")
	}
	res := r.lookUp(ctx, *it, domain, true)
	if res.err == nil && found(res.st) && alreadyBookmarked(*res.st) {
		return r.set(ctx, it, fedimarks.Imported, "the destination answered 404 to the bookmark request, but stored it", res.st.ID)
	}
	return r.finishResolved(ctx, it, res, viaRetry)
}

// finishFound ends a row whose post is already bookmarked on the
// destination: already, or imported when an interrupted run of ours had
// the request out.
func (r *run) finishFound(ctx context.Context, it *fedimarks.JobItem, detail string) error {
	if it.InFlight {
		return r.set(ctx, it, fedimarks.Imported, "written by an interrupted run", it.DestID)
	}
	return r.set(ctx, it, fedimarks.Already, detail, it.DestID)
}

// set commits a row's outcome.
func (r *run) set(ctx context.Context, it *fedimarks.JobItem, o fedimarks.Outcome, detail, destID string) error {
	late := o == fedimarks.Imported && it.Seq < r.lastImported
	if late {
		if detail != "" {
			detail += "; "
		}
		detail += lateDetail
	}
	// Commit even when ctx was cancelled while the request was out: the
	// answer arrived and must not be lost.
	if err := r.im.Journal.SetOutcome(context.WithoutCancel(ctx), it.ID, o, detail, destID); err != nil {
		return fmt.Errorf("journal row %d: %w", it.Seq, err)
	}
	it.Outcome, it.Detail, it.DestID, it.InFlight = o, detail, destID, false
	if o == fedimarks.Imported {
		r.importedNow++
		if late {
			r.lateWritten++
		}
	}
	r.noteWritten(*it)
	if p := r.im.Progress; p != nil {
		p.Add(1)
	}
	return nil
}

func (r *run) noteWritten(it fedimarks.JobItem) {
	if it.DestID == "" || (it.Outcome != fedimarks.Imported && it.Outcome != fedimarks.Already) {
		return
	}
	if r.written == nil {
		r.written = map[string]string{}
	}
	if _, ok := r.written[it.DestID]; !ok {
		name := it.Source
		if name == "" {
			name = it.Address()
		}
		r.written[it.DestID] = name
	}
}

// lateDetail ends the detail of a row imported by a later run than rows
// that follow it in the source.
const lateDetail = "written after rows that follow it in the source: it is among the newest bookmarks (see docs/import.md, Order)"

// alreadyBookmarked reads the "bookmarked" flag of a status as the
// destination returned it.
func alreadyBookmarked(s fedimarks.Status) bool {
	var w struct {
		Bookmarked bool `json:"bookmarked"`
	}
	return len(s.Raw) > 0 && json.Unmarshal(s.Raw, &w) == nil && w.Bookmarked
}

func countOutcomes(rows []fedimarks.JobItem) map[fedimarks.Outcome]int {
	c := map[fedimarks.Outcome]int{}
	for _, it := range rows {
		c[it.Outcome]++
	}
	return c
}
