package transfer

import (
	"context"
	"errors"
	"fmt"

	"github.com/fedimarks/fedimarks"
)

// load finds or creates the job, appends new rows, puts rows to retry back
// to pending and reads the rows. A dry run changes nothing in the journal.
func (r *run) load(ctx context.Context) error {
	key := r.req.Key
	if key == "" {
		key = Key(r.req.Destination, r.req.Items)
	}
	job, err := r.im.Journal.FindJob(ctx, key)
	if err != nil {
		return fmt.Errorf("find job: %w", err)
	}
	var done bool
	if job == nil {
		job, done, err = r.createJob(ctx, key)
	} else {
		done, err = r.addNewRows(ctx, job)
	}
	if err != nil || done {
		return err
	}
	return r.readRows(ctx, job)
}

// createJob plans the request's items and stores them as a new job. A dry
// run keeps them in memory and is done; so is a run that met the job
// another run stored meanwhile, loaded then.
func (r *run) createJob(ctx context.Context, key string) (job *fedimarks.ImportJob, done bool, err error) {
	planned := planItems(r.req.Items, make(keySet, 2*len(r.req.Items)))
	r.fillVisibility(ctx, planned)
	newJob := fedimarks.ImportJob{Key: key, Destination: r.req.Destination, Inputs: r.req.Inputs, CreatedAt: r.now().UTC(), UpdatedAt: r.now().UTC(), DryRun: r.req.DryRun}
	if r.req.DryRun {
		r.job, r.rows = &newJob, number(planned, 0)
		return nil, true, nil
	}
	job, err = r.im.Journal.CreateJob(ctx, newJob, planned)
	if errors.Is(err, fedimarks.ErrJobExists) && !r.retriedLoad {
		// Another run stored it between our look and our write
		// (possible only without a Locker): go on with its job.
		r.retriedLoad = true
		return nil, true, r.load(ctx)
	}
	if err != nil {
		return nil, false, fmt.Errorf("store job: %w", err)
	}
	return job, false, nil
}

// addNewRows resumes job: the request's items it does not hold yet are
// planned and appended as rows. A dry run keeps them in memory and is
// done.
func (r *run) addNewRows(ctx context.Context, job *fedimarks.ImportJob) (done bool, err error) {
	r.resumed = true
	rows, err := r.im.Journal.JobItems(ctx, job.ID)
	if err != nil {
		return false, fmt.Errorf("read job %d: %w", job.ID, err)
	}
	fresh, seen := newInputs(rows, r.req.Items)
	var planned []fedimarks.JobItem
	if len(fresh) > 0 {
		planned = planItems(fresh, seen)
		r.fillVisibility(ctx, planned)
	}
	if r.req.DryRun {
		r.job, r.rows = job, append(rows, number(planned, len(rows))...)
		r.markRetries()
		return true, nil
	}
	if len(planned) > 0 {
		if _, err := r.im.Journal.AddJobItems(ctx, job.ID, planned); err != nil {
			return false, fmt.Errorf("add rows to job %d: %w", job.ID, err)
		}
	}
	return false, nil
}

// newInputs returns the items that the job's rows do not hold (by URI),
// and the addresses of its rows that are not invalid, for planning the
// items' duplicates.
func newInputs(rows []fedimarks.JobItem, items []fedimarks.ImportItem) (fresh []fedimarks.ImportItem, seen keySet) {
	seen, uris := keySet{}, map[string]bool{}
	for _, it := range rows {
		uris[it.URI] = true
		if it.Outcome != fedimarks.Invalid {
			seen.add(it.Source, it.URI, it.URL)
		}
	}
	for _, in := range items {
		if !uris[in.URI] {
			uris[in.URI] = true
			fresh = append(fresh, in)
		}
	}
	return fresh, seen
}

// readRows makes job the run's: puts its rows to retry back to pending,
// reads them and notes those written already.
func (r *run) readRows(ctx context.Context, job *fedimarks.ImportJob) error {
	r.job = job
	if _, err := r.im.Journal.ResetOutcomes(ctx, job.ID, r.retryOutcomes()...); err != nil {
		return fmt.Errorf("reset job %d: %w", job.ID, err)
	}
	var err error
	if r.rows, err = r.im.Journal.JobItems(ctx, job.ID); err != nil {
		return fmt.Errorf("read job %d: %w", job.ID, err)
	}
	r.tally.lastImported = -1
	for _, it := range r.rows {
		r.noteWritten(it)
		if it.Outcome == fedimarks.Imported {
			r.tally.lastImported = max(r.tally.lastImported, it.Seq)
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
