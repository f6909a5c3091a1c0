package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// API is the API the destination is spoken to with: Misskey's
	// (internal/misskey: favorites, ap/show) or, the zero value,
	// Mastodon's. On Misskey's, ALREADY_FAVORITED (a conflict) means the
	// post is there already, and only ap/show's own limit (30 calls an
	// hour) bounds the time an import takes.
	API fedimarks.Family
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

// Report is the result of a run: facts only. The caller says them
// (WriteSummary, or JSON of its own) and writes the files (WriteFiles).
type Report struct {
	Job fedimarks.ImportJob
	// Items are all the job's rows in write order, with their outcomes.
	Items []fedimarks.JobItem
	// Counts has the number of rows per outcome (Pending when stopped early).
	Counts map[fedimarks.Outcome]int
	// ReportPath and FailuresPath are the files WriteFiles wrote ("" until
	// then, and for none).
	ReportPath, FailuresPath string
	// Stopped is set when the run stopped before the end (Run's error
	// says why): rows are left pending, for a rerun.
	Stopped bool
	// Estimate is set for a dry run.
	Estimate *Estimate
	// Resumed is set when the job was stored by an earlier run;
	// ImportedNow counts the rows this run imported, LateWritten those of
	// them that an earlier run's rows follow in the source: they land out
	// of the source's order, as the newest bookmarks on the destination.
	Resumed                  bool
	ImportedNow, LateWritten int
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

	// The job and its rows (reconcile.go): found or created by load.
	job  *fedimarks.ImportJob
	rows []fedimarks.JobItem
	// resumed is set when load found the job stored by an earlier run;
	// retriedLoad once load found the job created under it.
	resumed, retriedLoad bool

	// What the destination holds already (listing.go).
	listing destListing

	// The resolve-ahead pipeline (pipeline.go): the breaker keeps
	// requests from the posts' servers that do not answer, the gate paces
	// the searches, seen spares a second search for a post met again.
	br   *breaker
	gate *gate
	seen resolvedCache
	// fails counts the destination's consecutive failures; shared by the
	// writer and the resolvers.
	fails failStreaks

	// What the writer did (row.go); used by the writer goroutine only.
	tally writeTally
}

func (r *run) run(ctx context.Context) (*Report, error) {
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	r.req.Items = nil // in the journal now, and in r.rows: a third copy less
	rep := &Report{Job: *r.job, Resumed: r.resumed}
	defer func() { rep.ImportedNow, rep.LateWritten = r.tally.imported, r.tally.late }()
	todo := r.pending()
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
	if err := r.reread(ctx, rep); err != nil {
		return nil, err
	}
	if stop != nil {
		rep.Stopped = true
		return rep, stop
	}
	return r.finish(rep)
}

// pending is the indexes of the rows still to do.
func (r *run) pending() []int {
	var todo []int
	for i := range r.rows {
		if r.rows[i].Outcome == fedimarks.Pending {
			todo = append(todo, i)
		}
	}
	return todo
}

// reread fills rep's rows from the journal, so the report shows what is
// committed, not what we believe. The caller's context may be cancelled
// by now; the journal read is local and short.
func (r *run) reread(ctx context.Context, rep *Report) error {
	r.rows = nil // the journal's rows replace them: not two copies at once
	rows, err := r.im.Journal.JobItems(context.WithoutCancel(ctx), r.job.ID)
	if err != nil {
		return fmt.Errorf("read job %d: %w", r.job.ID, err)
	}
	rep.Items, rep.Counts = rows, countOutcomes(rows)
	return nil
}

// finish ends a run that went to the end: the error when some rows did
// not make it.
func (r *run) finish(rep *Report) (*Report, error) {
	if bad := len(rep.Failed()); bad > 0 {
		return rep, &fedimarks.Error{Code: fedimarks.EPartial,
			Message: fmt.Sprintf("%d of %d rows were not imported", bad, len(rep.Items))}
	}
	return rep, nil
}

func interrupted(err error) error {
	return &fedimarks.Error{Code: fedimarks.EInterrupted, Message: "import interrupted", Err: err}
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

func countOutcomes(rows []fedimarks.JobItem) map[fedimarks.Outcome]int {
	c := map[fedimarks.Outcome]int{}
	for _, it := range rows {
		c[it.Outcome]++
	}
	return c
}
