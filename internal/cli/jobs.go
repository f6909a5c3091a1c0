package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/ui"
	"github.com/fedimarks/fedimarks/internal/web"
)

// jobService is the page's web.Jobs: it runs each job with the runner of
// the command that does the same (runBackup, runBackupAll, runImport,
// runMigrate, runVerify), never a copy of one. A job gets its own app
// from newJobApp: the dependencies the serve run built once (the archive,
// the secret store, the clock and HTTP client of its IO), the command it
// stands for, and its own standard error, which becomes the job's log.
// The progress displays the runner makes are kept, so the page shows
// them as they move; the import job the engine journals in is noted, so
// the page reads its rows from the archive as `fedimarks status` and a
// rerun of the command would.
type jobService struct {
	a   *app
	ar  *sqlite.Archive
	ctx context.Context // the serve run's: jobs stop with it
	// runner names this service in the page jobs it records, so that one
	// starting later knows those left running are orphans.
	runner string

	mu   sync.Mutex
	live map[int64]*liveJob
	wg   sync.WaitGroup
}

// liveJob is a running job's state, in memory only.
type liveJob struct {
	cancel context.CancelFunc
	app    *app
	log    *jobLog

	mu        sync.Mutex
	steps     []*ui.Progress
	importJob int64
}

// jobResult is what the archive keeps of how a page job ended.
type jobResult struct {
	Message   string         `json:"message,omitempty"`
	Hint      string         `json:"hint,omitempty"`
	ExitCode  int            `json:"exit_code"`
	Summary   string         `json:"summary,omitempty"`
	Log       []string       `json:"log,omitempty"`
	Estimate  *web.Estimate  `json:"estimate,omitempty"`
	Report    string         `json:"report,omitempty"`
	Failures  string         `json:"failures,omitempty"`
	Missing   string         `json:"missing,omitempty"`
	Outcomes  map[string]int `json:"outcomes,omitempty"`
	ImportJob int64          `json:"import_job,omitempty"`
}

// newJobService returns the jobs of the serve run a, whose archive is ar;
// jobs started from the page run until ctx ends. Page jobs that a
// stopped fedimarks left running are marked interrupted: the page offers
// to resume them (see web.Jobs).
func newJobService(ctx context.Context, a *app, ar *sqlite.Archive) (*jobService, error) {
	b := make([]byte, 8)
	rand.Read(b)
	s := &jobService{a: a, ar: ar, ctx: ctx, runner: hex.EncodeToString(b), live: map[int64]*liveJob{}}
	if _, err := ar.InterruptOrphanedPageJobs(ctx, s.runner, a.now()); err != nil {
		return nil, err
	}
	if _, err := a.secretStore(ctx); err != nil {
		return nil, err
	}
	s.sweepUploads(ctx)
	return s, nil
}

// Wait waits for the jobs under way to end (after the serve run's
// context ended): each records how it ended before the archive closes.
func (s *jobService) Wait() { s.wg.Wait() }

// newJobApp is the app a job of command cmd runs in: the serve run's
// dependencies, no terminal, its standard error the job's log.
func (s *jobService) newJobApp(cmd command, log io.Writer) *app {
	no := false
	stdio := s.a.io
	stdio.Stdin, stdio.Stdout, stdio.Stderr = strings.NewReader(""), io.Discard, log
	stdio.StdinIsTerminal, stdio.StdoutIsTerminal, stdio.StderrIsTerminal = &no, &no, &no
	j := newApp(stdio)
	j.cmd = cmd
	j.factory = s.a.factory
	return j
}

func (s *jobService) Accounts(ctx context.Context) ([]fedimarks.Account, error) {
	return s.ar.Accounts(ctx)
}

// Stage keeps an upload in DATA/uploads (0700), in a file of its own
// (0600) whose name ends with the uploaded file's, cleaned, since the
// readers recognise some formats by their extension.
func (s *jobService) Stage(ctx context.Context, name string, r io.Reader) (string, error) {
	p, err := s.a.paths()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(p.Data, "uploads")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("keep the upload: %w", err)
	}
	f, err := os.CreateTemp(dir, "upload-*-"+safeName(name))
	if err != nil {
		return "", fmt.Errorf("keep the upload: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("read the upload %s: %w", safeName(name), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("keep the upload: %w", err)
	}
	return f.Name(), nil
}

// safeName is the last element of a browser's file name, with anything
// but letters, digits, '.', '-' and '_' made '_' (at most 80 bytes).
func safeName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	out := strings.TrimLeft(string(b), ".")
	if len(out) > 80 {
		out = out[len(out)-80:]
	}
	if out == "" {
		out = "upload"
	}
	return out
}

func (s *jobService) Start(ctx context.Context, spec web.JobSpec) (int64, error) {
	var cmd command
	switch spec.Kind {
	case web.JobBackup:
		cmd = backupCommand()
	case web.JobMove:
		cmd = importCommand()
		if spec.From != "" {
			cmd = migrateCommand()
		}
	case web.JobVerify:
		cmd = verifyCommand()
	default:
		return 0, fedimarks.Errorf(fedimarks.EInvalid, "unknown kind of job %q", spec.Kind)
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return 0, err
	}
	pj, err := s.ar.CreatePageJob(ctx, spec.Kind, raw, s.runner, s.a.now())
	if err != nil {
		return 0, err
	}
	jctx, cancel := context.WithCancel(s.ctx)
	lj := &liveJob{cancel: cancel, log: &jobLog{}}
	lj.app = s.newJobApp(cmd, lj.log)
	lj.app.onProgress = lj.addStep
	lj.app.onJob = func(id int64) {
		lj.mu.Lock()
		lj.importJob = id
		lj.mu.Unlock()
		_ = s.ar.SetPageJobImport(context.WithoutCancel(jctx), pj.ID, id)
	}
	s.mu.Lock()
	s.live[pj.ID] = lj
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		res, err := s.run(jctx, lj.app, spec, pj.ID)
		s.finish(jctx, pj.ID, lj, res, err)
	}()
	return pj.ID, nil
}

// run runs spec with the command's runner in the job's app ja.
func (s *jobService) run(ctx context.Context, ja *app, spec web.JobSpec, id int64) (*jobResult, error) {
	switch spec.Kind {
	case web.JobBackup:
		return runBackupJob(ctx, ja, spec)
	case web.JobMove:
		return runMoveJob(ctx, ja, spec)
	default:
		return s.runVerifyJob(ctx, ja, spec, id)
	}
}

// runBackupJob backs up one account, or all of them, and sums them up.
func runBackupJob(ctx context.Context, ja *app, spec web.JobSpec) (*jobResult, error) {
	res := &jobResult{}
	if spec.All {
		sum := &backupSummary{}
		o := backupOptions{media: spec.Media, context: contextOf(spec), backupDeps: ja.backupDeps()}
		err := runBackupAll(ctx, o, sum)
		res.Summary = backupLine(sum.Accounts)
		return res, err
	}
	r, err := ja.backup(ctx, backupOptions{account: spec.Account, media: spec.Media, context: contextOf(spec)})
	if r.Account != "" {
		res.Summary = backupLine([]backupResult{r})
	}
	return res, err
}

// runMoveJob runs an import of a file, a migration from an account, or
// again an import job's journal (spec.Job), and keeps its job, its files and the dry run's estimate.
func runMoveJob(ctx context.Context, ja *app, spec web.JobSpec) (*jobResult, error) {
	// The page asks before the run: the dry run showed what the
	// big import's question says.
	sum := &importSummary{}
	var err error
	if spec.From != "" {
		ms := &migrateSummary{}
		err = runMigrate(ctx, migrateOptionsOf(ja, migrateOptions{pairOptions: pairOptions{from: spec.From, to: spec.To,
			retryFailed: spec.RetryFailed, yes: true}, dryRun: spec.DryRun}), ms)
		sum = &ms.importSummary
	} else if spec.Job != 0 {
		err = rerunJournal(ctx, importOptionsOf(ja, importOptions{retryFailed: spec.RetryFailed, yes: true}), spec.Job, sum)
	} else {
		err = runImport(ctx, importOptionsOf(ja, importOptions{files: []string{spec.File}, to: spec.To, dryRun: spec.DryRun,
			retryFailed: spec.RetryFailed, yes: true}), sum)
	}
	res := &jobResult{ImportJob: sum.Job}
	for _, f := range sum.Files {
		switch {
		case strings.HasSuffix(f, "-report.csv"):
			res.Report = f
		case strings.HasSuffix(f, "-failures.csv"):
			res.Failures = f
		}
	}
	if e := sum.Estimate; e != nil {
		res.Estimate = &web.Estimate{ToWrite: e.ToWrite, Already: e.Already, Duplicate: e.Duplicate, Invalid: e.Invalid,
			Done: e.Done, Requests: e.Requests, Duration: durationOf(e.Seconds)}
	}
	return res, err
}

// runVerifyJob checks offline which posts are missing on spec.To, writing
// them to DATA/reports/verify-ID-missing.csv.
func (s *jobService) runVerifyJob(ctx context.Context, ja *app, spec web.JobSpec, id int64) (*jobResult, error) {
	res := &jobResult{}
	p, err := ja.paths()
	if err != nil {
		return res, err
	}
	dir := filepath.Join(p.Data, "reports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, err
	}
	o := verifyOptions{from: spec.From, to: spec.To, offline: true,
		output: filepath.Join(dir, fmt.Sprintf("verify-%d-missing.csv", id))}
	if spec.From == "" {
		o.files = []string{spec.File}
		defer s.verifyInput(ctx, spec, o.files)()
	}
	sum := &verifySummary{}
	err = runVerify(ctx, verifyOptionsOf(ja, o), sum)
	if sum.Outcomes != nil {
		res.Missing = o.output
		res.Outcomes = sum.Outcomes
		res.Summary = fmt.Sprintf("%s compared: %d bookmarked on %s, %d missing, %d could not be checked",
			fedimarks.Plural(sum.Rows, "post"), sum.Outcomes["present"], spec.To, sum.Outcomes["missing"], sum.Outcomes["unknown"])
	}
	return res, err
}

// contextOf is the --context a backup job asks for.
func contextOf(spec web.JobSpec) string {
	if spec.Context {
		return "self"
	}
	return ""
}

// backupLine sums up backups in a line, one part per account.
func backupLine(rs []backupResult) string {
	var parts []string
	for _, r := range rs {
		if r.Error != nil {
			parts = append(parts, fmt.Sprintf("%s: failed", r.Account))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s new, %s removed, %s archived", r.Account,
			fedimarks.Count(int64(r.New)), fedimarks.Count(int64(r.Removed)), fedimarks.Plural(r.Archived, "bookmark")))
	}
	return strings.Join(parts, "; ")
}

// finish records how a job ended, as Main would report it: the same
// message and exit code.
func (s *jobService) finish(ctx context.Context, id int64, lj *liveJob, res *jobResult, err error) {
	ja := lj.app
	state := sqlite.PageJobDone
	if err != nil {
		err = withHint(err, situation{cmd: ja.cmd.name})
		code, msg := classify(ctx, err)
		res.ExitCode, res.Message = code, cleanText(ja.redact(msg))
		// The page offers the next step as a button; the command that
		// does the same is said apart.
		var fe *fedimarks.Error
		if errors.As(err, &fe) && fe.Hint != "" && fe.Message != "" {
			res.Message = cleanText(ja.redact(fe.Message))
			res.Hint = "On the command line: " + cleanText(ja.redact(fe.Hint))
		}
		switch code {
		case ExitInterrupted:
			state = sqlite.PageJobInterrupted
			res.Message = "Stopped before the end: Resume goes on where it stopped."
		case ExitPartial:
			state = sqlite.PageJobDone
		default:
			state = sqlite.PageJobFailed
		}
	}
	res.Log = lj.lines(ja)
	raw, jerr := json.Marshal(res)
	if jerr != nil {
		raw = []byte("{}")
	}
	if err := s.ar.FinishPageJob(context.WithoutCancel(ctx), id, state, raw, s.a.now()); err != nil {
		fmt.Fprintf(s.a.stderr, "job %d: %v\n", id, err)
	}
	s.mu.Lock()
	delete(s.live, id)
	s.mu.Unlock()
	s.sweepUploads(context.WithoutCancel(ctx))
}

func (s *jobService) Cancel(ctx context.Context, id int64) error {
	s.mu.Lock()
	lj := s.live[id]
	s.mu.Unlock()
	if lj == nil {
		return fedimarks.Errorf(fedimarks.EInvalid, "job %d is not running", id)
	}
	lj.cancel()
	return nil
}

func (s *jobService) Job(ctx context.Context, id int64) (*web.JobView, error) {
	pj, err := s.ar.PageJob(ctx, id)
	if pj == nil || err != nil {
		return nil, err
	}
	return s.view(ctx, *pj)
}

func (s *jobService) List(ctx context.Context) ([]web.JobView, error) {
	pjs, err := s.ar.PageJobs(ctx, 50)
	if err != nil {
		return nil, err
	}
	out := make([]web.JobView, 0, len(pjs))
	for _, pj := range pjs {
		v, err := s.view(ctx, pj)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return s.withCommandLine(ctx, out)
}

// view is a page job as the page shows it: its record, and while it
// runs, its progress and log.
func (s *jobService) view(ctx context.Context, pj sqlite.PageJob) (*web.JobView, error) {
	v := &web.JobView{ID: pj.ID, State: pj.State, Started: pj.StartedAt, Finished: pj.FinishedAt, ImportJob: pj.ImportJob}
	if err := json.Unmarshal(pj.Spec, &v.Spec); err != nil {
		return nil, fmt.Errorf("page job %d: %w", pj.ID, err)
	}
	var res jobResult
	if err := json.Unmarshal(pj.Result, &res); err != nil {
		return nil, fmt.Errorf("page job %d: %w", pj.ID, err)
	}
	v.Message, v.Hint, v.ExitCode, v.Summary, v.Log = res.Message, res.Hint, res.ExitCode, res.Summary, res.Log
	v.Estimate, v.ReportPath, v.FailuresPath, v.MissingPath = res.Estimate, res.Report, res.Failures, res.Missing
	v.SourceGone = s.uploadGone(v.Spec.File)
	if res.ImportJob != 0 {
		v.ImportJob = res.ImportJob
	}
	s.mu.Lock()
	lj := s.live[pj.ID]
	s.mu.Unlock()
	if lj != nil {
		lj.mu.Lock()
		for _, p := range lj.steps {
			sn := p.Snapshot()
			v.Steps = append(v.Steps, web.Step(sn))
		}
		if lj.importJob != 0 {
			v.ImportJob = lj.importJob
		}
		lj.mu.Unlock()
		v.Log = lj.lines(lj.app)
	} else if pj.State == sqlite.PageJobRunning {
		v.Message = "Another fedimarks runs this job: its progress shows there."
	}
	if v.ImportJob != 0 && !v.Spec.DryRun {
		counts, err := s.ar.JobCounts(ctx, v.ImportJob)
		if err != nil {
			return nil, err
		}
		v.Counts = counts
		for _, n := range counts {
			v.Rows += n
		}
	}
	if v.Spec.To != "" {
		if acc, err := s.ar.Account(ctx, fedimarks.Handle(v.Spec.To)); err == nil {
			v.DestinationServer = acc.Server
		}
	}
	return v, nil
}

func (s *jobService) Rows(ctx context.Context, importJob int64, outcome fedimarks.Outcome) ([]web.JobRow, error) {
	var outcomes []fedimarks.Outcome
	if outcome != "" {
		outcomes = append(outcomes, outcome)
	}
	var out []web.JobRow
	err := s.ar.EachJobItem(ctx, importJob, func(it fedimarks.JobItem) error {
		out = append(out, web.JobRow{Seq: it.Seq, URI: it.URI, URL: it.URL, AuthorURL: it.AuthorURL, Detail: it.Detail,
			Outcome: it.Outcome, Author: transfer.AuthorName(it.URI, it.URL, it.AuthorURL)})
		return nil
	}, outcomes...)
	return out, err
}

// Elsewhere lists the backups and imports that other processes hold
// locks for, as `fedimarks status` shows them running.
func (s *jobService) Elsewhere(ctx context.Context) ([]string, error) {
	locks, err := s.ar.Locks(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range locks {
		if l.Stale || l.Holder.PID == os.Getpid() {
			continue
		}
		what := l.Kind + " " + string(l.Account)
		if l.Kind == "import" {
			what = "import into " + string(l.Account)
		}
		out = append(out, fmt.Sprintf("%s: PID %d on %s, since %s", what, l.Holder.PID, l.Holder.Host,
			l.Holder.StartedAt.Local().Format("2006-01-02 15:04")))
	}
	return out, nil
}

// addStep keeps a progress display the job's runner made.
func (lj *liveJob) addStep(p *ui.Progress) {
	lj.mu.Lock()
	defer lj.mu.Unlock()
	lj.steps = append(lj.steps, p)
}

// lines is the job's log so far, each line cleaned and without secrets.
func (lj *liveJob) lines(ja *app) []string {
	raw := lj.log.lines()
	out := make([]string, 0, len(raw))
	for _, l := range raw {
		if l = cleanText(ja.redact(l)); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// jobLog is a job's standard error: the last jobLogLines lines.
type jobLog struct {
	mu      sync.Mutex
	partial []byte
	kept    []string
}

const jobLogLines = 300

func (l *jobLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := strings.IndexAny(string(l.partial), "\r\n")
		if i < 0 {
			break
		}
		if i > 0 {
			l.kept = append(l.kept, string(l.partial[:i]))
		}
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 64<<10 {
		l.kept = append(l.kept, string(l.partial))
		l.partial = nil
	}
	if over := len(l.kept) - jobLogLines; over > 0 {
		l.kept = append(l.kept[:0], l.kept[over:]...)
	}
	return len(p), nil
}

func (l *jobLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.kept...)
	if len(l.partial) > 0 {
		out = append(out, string(l.partial))
	}
	return out
}

var _ web.Jobs = (*jobService)(nil)

// watchJournal is j, telling onJob (when set) which import job the
// engine journals in as soon as it finds or creates it.
func watchJournal(j transfer.Journal, onJob func(id int64)) transfer.Journal {
	if onJob == nil {
		return j
	}
	return watchedJournal{Journal: j, on: onJob}
}

type watchedJournal struct {
	transfer.Journal
	on func(int64)
}

func (w watchedJournal) FindJob(ctx context.Context, key string) (*fedimarks.ImportJob, error) {
	j, err := w.Journal.FindJob(ctx, key)
	if j != nil && !j.DryRun {
		w.on(j.ID)
	}
	return j, err
}

func (w watchedJournal) CreateJob(ctx context.Context, job fedimarks.ImportJob, items []fedimarks.JobItem) (*fedimarks.ImportJob, error) {
	j, err := w.Journal.CreateJob(ctx, job, items)
	if j != nil {
		w.on(j.ID)
	}
	return j, err
}

// durationOf is seconds as a time.Duration.
func durationOf(seconds float64) time.Duration {
	return time.Duration(seconds * float64(time.Second))
}
