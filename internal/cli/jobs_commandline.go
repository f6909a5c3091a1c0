package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/web"
)

// Jobs started from the command line (import, migrate, sync) on the page:
// their import jobs are read from the archive's journal as `fedimarks
// status` reads them, shown read-only (the command that started one is
// what resumes it), and a finished one's failures are retried as a job of
// the page: import --retry-failed of the same import job, from its
// journal, since the files it read may be gone.

// listedJobs is how many jobs the page lists.
const listedJobs = 50

// withCommandLine adds the newest jobs started from the command line to
// the page's jobs, newest first, listedJobs at most.
func (s *jobService) withCommandLine(ctx context.Context, pageJobs []web.JobView) ([]web.JobView, error) {
	js, err := s.ar.CommandLineJobs(ctx, listedJobs)
	if err != nil {
		return nil, err
	}
	running, err := s.ar.RunningImportJobs(ctx)
	if err != nil {
		return nil, err
	}
	out := pageJobs
	for _, j := range js {
		v, err := s.commandView(ctx, j, running)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	slices.SortStableFunc(out, func(a, b web.JobView) int { return b.Started.Compare(a.Started) })
	return out[:min(len(out), listedJobs)], nil
}

// CommandJob is import job id as the page shows a job started from the
// command line; nil when a page job ran it or there is none.
func (s *jobService) CommandJob(ctx context.Context, id int64) (*web.JobView, error) {
	j, err := s.ar.CommandLineJob(ctx, id)
	if j == nil || err != nil {
		return nil, err
	}
	running, err := s.ar.RunningImportJobs(ctx)
	if err != nil {
		return nil, err
	}
	return s.commandView(ctx, *j, running)
}

// commandView is import job j as a read-only job of the page. Its state:
// running while rows are pending and a live process works on it, holding
// its destination's import lock (running: RunningImportJobs; another
// import into the same account does not make it running); interrupted
// when rows are pending and nobody runs it (the same command resumes it);
// else done.
func (s *jobService) commandView(ctx context.Context, j fedimarks.ImportJob, running map[int64]bool) (*web.JobView, error) {
	counts, err := s.ar.JobCounts(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	v := &web.JobView{CommandLine: true, ImportJob: j.ID, Counts: counts, Started: j.CreatedAt,
		Spec: web.JobSpec{Kind: web.JobMove, To: string(j.Destination), FileName: inputsName(j.Inputs)}}
	for _, n := range counts {
		v.Rows += n
	}
	switch {
	case counts[fedimarks.Pending] == 0:
		v.State, v.Finished = web.JobDone, j.UpdatedAt
	case running[j.ID]:
		v.State = web.JobRunning
	default:
		v.State, v.Finished = web.JobInterrupted, j.UpdatedAt
	}
	if acc, err := s.ar.Account(ctx, j.Destination); err == nil {
		v.DestinationServer = acc.Server
	}
	return v, nil
}

// inputsName names a job's inputs for a person: the files as the command
// was given them, or "archive of user@host", cleaned.
func inputsName(inputs []string) string {
	return cmp.Or(cleanText(strings.Join(inputs, ", ")), "the command line")
}

// WriteJobFile writes import job id's report or failures file from its
// journal, as import writes them.
func (s *jobService) WriteJobFile(ctx context.Context, id int64, name string, w io.Writer) error {
	var items []fedimarks.JobItem
	err := s.ar.EachJobItem(ctx, id, func(it fedimarks.JobItem) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		return err
	}
	switch name {
	case "report.csv":
		return transfer.WriteReport(w, items)
	case "failures.csv":
		return transfer.WriteFailures(w, items)
	}
	return fedimarks.Errorf(fedimarks.EInvalid, "no file %q", name)
}

// rerunJournal runs import job id again from its journal, with o's
// choices (retryFailed: import --retry-failed, else a resume): its rows
// are all there, so neither the files it read nor an upload is needed.
func rerunJournal(ctx context.Context, o importOptions, id int64, sum *importSummary) error {
	defer o.holdRows()()
	ar, err := o.archive(ctx)
	if err != nil {
		return err
	}
	job, err := ar.Job(ctx, id)
	if err != nil {
		return err
	}
	acc, err := o.choose(ctx, accountQuery{name: string(job.Destination), flag: "--to"})
	if err != nil {
		return err
	}
	if acc.Handle != job.Destination {
		return fmt.Errorf("import job %d moves into %s, not %s", job.ID, job.Destination, acc.Handle)
	}
	reportDir, err := prepareReportDir(o.paths, "", false)
	if err != nil {
		return err
	}
	resume := "fedimarks import " + shellJoin(job.Inputs)
	if len(job.Inputs) == 1 {
		if from, ok := strings.CutPrefix(job.Inputs[0], "archive of "); ok {
			resume = "fedimarks migrate --from " + shellWord(from)
		}
	}
	return runTransfer(ctx, o.transferDeps, transferOptions{acc: acc, key: job.Key, inputs: job.Inputs, retryFailed: o.retryFailed,
		yes: o.yes, reportDir: reportDir, resume: resume}, sum)
}
