package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/ui"
)

type importOptions struct {
	files       []string
	to          string
	dryRun      bool
	retryFailed bool
	yes         bool
	reportDir   string
	json        bool
	folder      string
	// read says what the files cannot (--from-server).
	read formats.ReadOptions

	choose   chooseFunc
	paths    pathsFunc // the reports directory
	holdRows func() (release func())
	transferDeps
}

// importOptionsOf fills o's dependencies from a, once the flags are
// parsed (the page's jobs import too). An import goes through a job's
// rows: the archive is opened with a small page cache.
func importOptionsOf(a *app, o importOptions) importOptions {
	a.jobArchive = true
	o.choose, o.paths, o.holdRows, o.transferDeps = a.chooseAccount, a.paths, a.holdRows, transferDepsOf(a)
	return o
}

// importSummary is the --json summary of import (and of migrate, which
// adds its source).
type importSummary struct {
	summary
	Account fedimarks.Handle `json:"account"`
	// Job is the import job's number (0 for a dry run of a new job).
	Job     int64 `json:"job"`
	Resumed bool  `json:"resumed"`
	DryRun  bool  `json:"dry_run"`
	Rows    int   `json:"rows"`
	// Outcomes counts the job's rows per outcome, every outcome a key.
	Outcomes    map[string]int `json:"outcomes"`
	ImportedNow int            `json:"imported_by_this_run"`
	// Estimate is a dry run's; null otherwise.
	Estimate *estimateSummary `json:"estimate"`
}

// estimateSummary is a dry run's estimate in a --json summary.
type estimateSummary struct {
	ToWrite   int     `json:"to_write"`
	Already   int     `json:"already"`
	Duplicate int     `json:"duplicate"`
	Invalid   int     `json:"invalid"`
	Done      int     `json:"done_earlier"`
	Requests  int     `json:"requests"`
	Seconds   float64 `json:"duration_seconds"`
}

// importJSONHelp documents the --json summary of import and migrate.
const importJSONHelp = `--json prints one object on standard output when done:
  {"command":"import","account":"bob@example.social","job":7,"resumed":false,
   "dry_run":false,"rows":120,"outcomes":{"imported":110,"already":5,
   "duplicate":1,"not_found":2,"not_visible":1,"unreachable":0,"invalid":1,
   "failed":0,"pending":0},"imported_by_this_run":110,"estimate":null,
   "requests":232,"files":["...import-7-report.csv","...import-7-failures.csv"],
   "duration_seconds":95.2,"exit_code":3,"error":"5 of 120 rows were not imported"}
A dry run's "estimate" is {"to_write","already","duplicate","invalid",
"done_earlier","requests","duration_seconds"}.`

// followersOnlyHelp is what the help of import and of migrate says of
// followers-only posts, in the same words as their summaries.
const followersOnlyHelp = `A followers-only post that the archive holds ends not_visible; one it does
not hold cannot be told from a deleted post and ends not_found. Either way:
follow its author from the destination account, then rerun with
--retry-failed.`

const importExitCodes = `Exit codes: 0 every row imported, already there or a duplicate; 1 error;
2 usage or unreadable input (or a big import refused without --yes when
standard input is not a terminal); 3 finished, but some rows were not imported
(report and failures file written); 4 authentication (log in again, then run
the same command to resume); 130 interrupted (run the same command again to
resume).`

func importCommand() command {
	return command{
		name:    "import",
		summary: "bookmark the posts listed in files on another account",
		usage: `Usage: fedimarks import FILE... [--to ACCOUNT] [--dry-run] [--retry-failed]
                        [--yes] [--report-dir DIR] [--folder NAME]

Bookmarks every post listed in FILE... on ACCOUNT (a saved account;
default: the default one). Accepted files, recognised by content:
Mastodon's bookmarks.csv and bookmarks_failures.csv, a CSV with a
"Bookmark URL" column, Mastodon's account archive (.zip, .tar.gz) or its
bookmarks.json, Misskey's favorites export (favorites-*.json), and
fedimarks' json, jsonl and netscape exports. Rows are
written oldest bookmark first, so the destination lists them in the source's
order; give older files first when there are several.

` + foldersHelp + `

Each post is found on the destination's server (a search) and bookmarked
there; posts of that server itself are bookmarked straight from their id.
Into a Misskey-family account (Misskey, Sharkey, ...) posts are found with
ap/show, which Misskey allows 30 times an hour, and become favorites.
Every row ends with one outcome: imported, already, duplicate, not_found,
not_visible (followers-only or direct: follow the author first), unreachable,
invalid or failed. The job is saved as it goes: run the same command again
after an interruption and it goes on where it stopped; unreachable rows are
retried then, and --retry-failed retries not_found, not_visible and failed
rows too.

` + followersOnlyHelp + `

  --to ACCOUNT        the destination account: user@host, or any part of it
                      that names one saved account (default: the default
                      account, 'fedimarks accounts use'; else the only
                      saved account)
  --dry-run           resolve nothing, write nothing: say what would happen
                      and how long the destination's rate limit makes it take
  --retry-failed      also retry rows that ended not_found, not_visible, failed
  --yes               do not ask before a big import into Mastodon
  --report-dir DIR    where the report CSV and the failures file go
                      (default: the reports directory beside the archive)
  --folder NAME       file every row that ends bookmarked in the bookmark
                      folder NAME on the destination (made if missing;
                      only Pleroma has folders: refused before anything is
                      written on other servers)
  --from-server URL   the Misskey server a favorites export came from: its
                      own notes are listed there without their address
  --json              print a summary object (below)

` + importJSONHelp + `

  fedimarks import bookmarks.csv --to bob@example.social
  fedimarks import archive-20260101.zip --to bob@example.social --dry-run
  fedimarks import favorites-2026-01-01-10-00-00.json --from-server misskey.example --to bob@example.social

` + importExitCodes + "\n",
		run: runImportCommand,
	}
}

func runImportCommand(ctx context.Context, a *app, args []string) error {
	var o importOptions
	fs := newFlags(a.cmd)
	fs.StringVar(&o.to, "to", "", "destination `ACCOUNT`")
	fs.BoolVar(&o.dryRun, "dry-run", false, "resolve and write nothing")
	fs.BoolVar(&o.retryFailed, "retry-failed", false, "retry not_found, not_visible and failed rows")
	fs.BoolVar(&o.yes, "yes", false, "do not ask before a big import")
	fs.StringVar(&o.reportDir, "report-dir", "", "`DIR` for the report files")
	fs.BoolVar(&o.json, "json", false, "print a summary object")
	fs.StringVar(&o.folder, "folder", "", "file every row in the destination's bookmark folder `NAME` (Pleroma)")
	fromServer := fs.String("from-server", "", fromServerUsage)
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if o.folder, err = folderFlag(o.folder); err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("import needs at least one FILE")
	}
	if o.read, err = readOptions(ctx, *fromServer); err != nil {
		return err
	}
	o.files = pos
	sum := &importSummary{}
	err = runImport(ctx, importOptionsOf(a, o), sum)
	if !o.json {
		return err
	}
	return a.emitSummary(ctx, a.stdout, sum, err)
}

// readInputs reads every file, reports row problems on stderr and merges
// the rows in write order. mastodonOnly says every file is in Mastodon's
// bookmarks format (ready for its importer).
func readInputs(ctx context.Context, errOut io.Writer, files []string, opts formats.ReadOptions) (items []fedimarks.ImportItem, mastodonOnly bool, err error) {
	results, mastodonOnly, err := readInputFiles(ctx, errOut, files, opts.ReadFile)
	if err != nil {
		return nil, false, err
	}
	all := make([][]fedimarks.ImportItem, len(results))
	for i, res := range results {
		all[i] = res.Items
	}
	items = transfer.Merge(all...)
	// The readers leave as much garbage as the rows they return (the
	// chunks they gathered them in): collected now, it does not set the
	// heap's size for the rest of the command.
	runtime.GC()
	return items, mastodonOnly, nil
}

// readInputFiles reads every file with read and reports row problems and
// counts on stderr.
func readInputFiles(ctx context.Context, errOut io.Writer, files []string, read func(context.Context, string) (formats.Result, error)) (results []formats.Result, mastodonOnly bool, err error) {
	mastodonOnly = true
	for _, f := range files {
		res, err := read(ctx, f)
		if err != nil {
			return nil, false, err
		}
		// Mastodon's importer reads UTF-8 only: a UTF-16 file is not ready
		// for it as it is.
		mastodonOnly = mastodonOnly && res.Format == "mastodon" && res.Encoding == ""
		for _, p := range res.Problems {
			fmt.Fprintf(errOut, "%s\n", p)
		}
		format := res.Format
		if res.Encoding != "" {
			format += ", " + res.Encoding
		}
		fmt.Fprintf(errOut, "%s: %s (%s)\n", f, fedimarks.Plural(res.Len(), "row"), format)
		res.Problems = nil
		results = append(results, res)
	}
	return results, mastodonOnly, nil
}

func runImport(ctx context.Context, o importOptions, sum *importSummary) error {
	defer o.holdRows()()
	// Everything that can be checked locally is, before any file is
	// parsed or any request made.
	if err := checkInputs(o.files); err != nil {
		return err
	}
	acc, err := o.choose(ctx, accountQuery{name: o.to, flag: "--to"})
	if err != nil {
		return err
	}
	if o.reportDir, err = prepareReportDir(o.paths, o.reportDir, o.dryRun); err != nil {
		return err
	}
	items, mastodonOnly, err := readInputs(ctx, o.errOut, o.files, o.read)
	if err != nil {
		return err
	}
	files := shellJoin(o.files) + fromServerArg(o.read)
	to := shellWord(string(acc.Handle))
	next := transfer.NextSteps{
		Verify:        "fedimarks verify " + files + " --to " + to + " -o missing.csv",
		ImportMissing: "fedimarks import missing.csv --to " + to,
	}
	if !mastodonOnly {
		// verify -o writes the rows missing on the destination in
		// Mastodon's format, whatever the inputs' format.
		next.MakeFile = "fedimarks verify " + files + " --to " + to + " -o bookmarks-to-upload.csv"
	}
	return runTransfer(ctx, o.transferDeps, transferOptions{
		acc: acc, items: items, inputs: o.files, dryRun: o.dryRun, retryFailed: o.retryFailed,
		yes: o.yes, reportDir: o.reportDir, resume: "fedimarks import " + files + folderArg(o.folder), next: next,
		folder: o.folder,
	}, sum)
}

// shellWord quotes s for a POSIX shell when it needs quoting, so that a
// printed command can be pasted as it is.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin is the words, each quoted by shellWord, joined by spaces.
func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellWord(w)
	}
	return strings.Join(q, " ")
}

// transferOptions is what import and migrate hand to the engine.
type transferOptions struct {
	acc         fedimarks.Account // the destination, as the chooser chose it
	items       []fedimarks.ImportItem
	inputs      []string
	key         string
	dryRun      bool
	retryFailed bool
	yes         bool
	reportDir   string // checked and made by prepareReportDir
	resume      string // the command that resumes, for hints
	// next are the commands a big import's advice gives.
	next transfer.NextSteps
	// lister, when set, reads the destination's bookmarks instead of its
	// server (sync: the archive, kept current by its backups).
	lister transfer.Lister
	// folder (--folder) files every row that ends bookmarked in the
	// destination's folder of that name.
	folder string
}

// runTransfer wires the engine to the destination's client and the
// archive's job journal, and runs it; sum gets what it did.
func runTransfer(ctx context.Context, deps transferDeps, o transferOptions, sum *importSummary) error {
	sum.Account, sum.DryRun = o.acc.Handle, o.dryRun
	// Only the engine keeps the rows, and only until they are journaled.
	items := o.items
	o.items = nil
	ar, err := deps.archive(ctx)
	if err != nil {
		return err
	}
	d, err := openDestination(ctx, deps.reach, o.acc)
	if err != nil {
		return err
	}
	if o.lister != nil {
		d.lister = o.lister
	}
	t := &transferRun{deps: deps, ar: ar, o: o, d: d, perRow: 2}
	if t.folders, err = t.prepareRows(ctx, items); err != nil {
		return err
	}
	rep, err := t.run(ctx, items)
	err = t.finishFolders(ctx, rep, err)
	if rep != nil {
		fillImportSummary(sum, rep)
	}
	t.sayAfter(rep, err)
	return t.explain(rep, err)
}

// destination is an import's destination as the engine's ports: its
// clients (Mastodon's API, or Misskey's for a Misskey-family account),
// what they need of the token and what to say of them.
type destination struct {
	acc  fedimarks.Account
	slot *progressSlot // the client's waits show in the step under way
	// c is the Mastodon API client: folders, the server's software, the
	// budget the progress's ETA counts against (none on Misskey).
	c      *mastodon.Client
	writer transfer.Writer
	posts  transfer.PostLookup // verify's post checks
	lister transfer.Lister
	sent   requestCounter
	budget transfer.BudgetReader
	scopes string // the scopes an import needs, for a refusal's message
	probe  func(context.Context) string
	rate   transfer.RateLimit
	// info is what the server said of itself, once probe asked: whether
	// a big import offers the server's own importer.
	info *destInfo
}

// openDestination reads acc's token and makes its clients. The server is
// not asked anything yet: a rerun of a finished job does not contact it.
func openDestination(ctx context.Context, r reach, acc fedimarks.Account) (*destination, error) {
	tok, err := r.token(ctx, acc.Handle)
	if err != nil {
		return nil, err
	}
	slot := newProgressSlot(r.errOut, acc.Server)
	c := r.client(acc.Server, tok, slot)
	d := &destination{acc: acc, slot: slot, c: c, writer: c, posts: c, sent: c, budget: clientBudget{c, r.now}, scopes: transferScopes, info: &destInfo{},
		lister: readingLister{r: r, l: bookmarkLister{c}, h: acc.Handle, c: c, slot: slot}}
	// The server's software decides what a 422 to a bookmark means (snac:
	// already bookmarked) and whether a big import offers the server's own
	// importer.
	d.probe = func(ctx context.Context) string {
		d.info.inst, d.info.err = c.Instance(ctx)
		d.info.asked = true
		return d.info.inst.Software
	}
	if isMisskeyAccount(acc) {
		// Favorites, through Misskey's API; its rate limits are per
		// endpoint and unreported, ap/show's the tightest.
		mk := r.misskey(acc.Server, tok, slot)
		w := misskey.NewWriter(mk)
		d.writer, d.posts, d.sent, d.budget, d.scopes, d.probe, d.rate = w, w, mk, nil, misskeyTransferScopes, misskeyProbe(acc), misskeyAPRate
		d.lister = readingLister{r: r, l: misskey.NewFavorites(mk), h: acc.Handle, c: mk, slot: slot, favorites: true}
	}
	return d, nil
}

// transferRun is one run of the engine for import, migrate or sync.
type transferRun struct {
	deps    transferDeps
	ar      *sqlite.Archive
	o       transferOptions
	d       *destination
	folders *folderFiling
	// perRow is how many requests a row to write takes (a search and a
	// bookmark, or a bookmark by id), known once the engine has planned:
	// the ETA counts them against the budget the server reports.
	perRow float64
	shown  *startedProgress // nil on a dry run
}

// prepareRows plans the rows' folders (--folder into a server without
// them stops here, before any row is recorded or written) and, unless
// this is a dry run, keeps their local tags and notes for the
// destination.
func (t *transferRun) prepareRows(ctx context.Context, items []fedimarks.ImportItem) (*folderFiling, error) {
	folders, err := planFolders(ctx, t.deps.reach, t.ar, t.d.c, t.d.acc, t.o.folder, items)
	if err != nil {
		return nil, err
	}
	if !t.o.dryRun {
		if err := recordLabels(ctx, t.deps.errOut, t.ar, t.d.acc.Handle, items); err != nil {
			return nil, err
		}
	}
	return folders, nil
}

// run runs the engine over items, with a progress bar unless this is a
// dry run, and writes the report files and the summary.
func (t *transferRun) run(ctx context.Context, items []fedimarks.ImportItem) (*transfer.Report, error) {
	acc := t.d.acc
	if !t.o.dryRun {
		prog := t.deps.display(ui.ProgressOptions{Label: "import " + string(acc.Handle), Total: int64(len(items)), Unit: "rows",
			ETA: budgetETA(clientBudget{t.d.c, t.deps.now}, func() float64 { return t.perRow })})
		t.shown = &startedProgress{p: prog, slot: t.d.slot}
	}
	im := t.importer()
	rep, err := im.Run(ctx, t.request(items))
	if t.shown != nil {
		t.shown.Finish()
	}
	if rep != nil && rep.Estimate == nil { // a dry run said its estimate
		err = reportImport(im.Log, rep, t.o.reportDir, err)
	}
	return rep, err
}

// importer is the engine over the destination's ports and the archive's
// journal.
func (t *transferRun) importer() *transfer.Importer {
	writer := t.d.writer
	if !isMisskeyAccount(t.d.acc) {
		// Folders are Pleroma's, through Mastodon's API.
		writer = t.folders.writer(writer)
	}
	lock := &importLocker{ar: t.ar}
	im := &transfer.Importer{
		Writer:  writer,
		Lister:  t.d.lister,
		Journal: lockedJournal{watchJournal(t.ar, t.deps.onJob), lock},
		Locker:  lock,
		Finder:  t.ar,
		Log:     t.deps.errOut,
		Budget:  t.d.budget,
	}
	im.Origin, im.RetryPause = t.deps.origin()
	if t.shown != nil {
		im.Progress = t.shown
		// The engine's summary ends the run: close the bar before it.
		im.Log = finishFirst{t.shown, t.deps.errOut}
	}
	return im
}

// request is the engine's request for items.
func (t *transferRun) request(items []fedimarks.ImportItem) transfer.Request {
	o, acc := t.o, t.d.acc
	return transfer.Request{
		Destination: acc.Handle,
		Server:      acc.Server,
		Probe:       t.d.probe,
		API:         acc.Family(),
		RateLimit:   t.d.rate,
		Inputs:      o.inputs,
		Items:       items,
		Key:         o.key,
		RetryFailed: o.retryFailed,
		DryRun:      o.dryRun,
		Confirm: func(ctx context.Context, est transfer.Estimate) error {
			if n := est.ToWrite(); n > 0 {
				t.perRow = float64(est.Local+2*est.Remote) / float64(n)
			}
			return t.deps.confirmBigImport(acc, t.d.info, o.yes, o.next)(ctx, est)
		},
	}
}

// finishFolders says what a dry run would file in folders, or files the
// rows the writes did not (unless interrupted); err is the run's, kept
// first.
func (t *transferRun) finishFolders(ctx context.Context, rep *transfer.Report, err error) error {
	var ferr error
	switch {
	case rep == nil:
	case t.o.dryRun:
		ferr = t.folders.dryRun(ctx)
	case ctx.Err() == nil:
		ferr = t.folders.fileRest(ctx, rep)
	}
	if ferr != nil && err == nil {
		return ferr
	}
	return err
}

// fillImportSummary puts what the run did into sum.
func fillImportSummary(sum *importSummary, rep *transfer.Report) {
	sum.Job, sum.Resumed, sum.Rows, sum.ImportedNow = rep.Job.ID, rep.Resumed, len(rep.Items), rep.ImportedNow
	sum.Outcomes = outcomeCounts(rep.Counts)
	for _, f := range []string{rep.ReportPath, rep.FailuresPath} {
		if f != "" {
			sum.Files = append(sum.Files, f)
		}
	}
	if e := rep.Estimate; e != nil {
		sum.Estimate = &estimateSummary{ToWrite: e.ToWrite(), Already: e.Already, Duplicate: e.Duplicate, Invalid: e.Invalid,
			Done: e.Done, Requests: e.Requests, Seconds: e.Duration.Seconds()}
	}
}

// sayAfter says how many requests the run took, and after a dry run of a
// big import into Mastodon the advice on its own importer.
func (t *transferRun) sayAfter(rep *transfer.Report, err error) {
	errOut, acc, d := t.deps.errOut, t.d.acc, t.d
	if rep != nil && !t.o.dryRun && d.sent.Requests() > 0 {
		fmt.Fprintf(errOut, "%s to %s\n", fedimarks.Plural(int(d.sent.Requests()), "request"), acc.Handle.Host())
	}
	if err == nil && rep != nil && rep.Estimate != nil && rep.Estimate.ToWrite() > transfer.BigImport {
		if d.info.asked && d.info.err == nil && transfer.IsBigImport(*rep.Estimate, d.info.inst.Software, d.info.inst.MastodonVersion) {
			fmt.Fprint(errOut, transfer.Advice(*rep.Estimate, acc.Server, t.o.next))
		}
	}
}

// explain makes the run's error one for a person: the scope a refusal
// names, and the job's next step (resume it).
func (t *transferRun) explain(rep *transfer.Report, err error) error {
	acc := t.d.acc
	var fe *fedimarks.Error
	if errors.As(err, &fe) {
		var re *fedimarks.RemoteError
		if fe.Code == fedimarks.EScope && errors.As(fe, &re) {
			fe.Message = fmt.Sprintf("%s: %s (%s)", acc.Handle, lacksScope(refusedScope(re, acc.Scopes, t.d.scopes)), re.Message)
		}
		// The job's next step (resume it) replaces one written for a
		// single request on the way (the big import's question, say).
		if h := nextStep(fe, situation{cmd: t.deps.cmd, login: loginArg(acc.Server), resume: t.resume(), dryRun: t.o.dryRun, report: rep}); h != "" {
			fe.Hint = h
		}
		return fe
	}
	if err != nil {
		return t.deps.apiError(acc.Handle, acc.Server, err, t.d.scopes)
	}
	return nil
}

// resume is the command that resumes the job.
func (t *transferRun) resume() string {
	resume := t.o.resume + " --to " + shellWord(string(t.d.acc.Handle))
	if t.o.dryRun {
		// The hint runs the dry run again, never the real import.
		resume += " --dry-run"
	}
	return resume
}

// reportImport writes a run's report files into dir (when the run went to
// the end) and says its summary on w; err is the run's error, returned
// unless the files could not be written.
func reportImport(w io.Writer, rep *transfer.Report, dir string, err error) error {
	if dir != "" && !rep.Stopped {
		if ferr := transfer.WriteFiles(rep, dir); ferr != nil {
			return ferr
		}
	}
	transfer.WriteSummary(w, rep)
	return err
}

// transferScopes are the scopes an import needs.
const transferScopes = "read:bookmarks write:bookmarks read:search"

// destInfo is what the destination's server said of itself, once asked.
type destInfo struct {
	inst  mastodon.Instance
	err   error
	asked bool
}

// confirmBigImport returns the engine's Confirm hook: before more than
// transfer.BigImport rows go into Mastodon 3.3+, say how long the rate
// limit makes it take and offer the server's own importer; --yes goes on,
// a terminal is asked, anything else is refused.
func (d transferDeps) confirmBigImport(acc fedimarks.Account, dest *destInfo, yes bool, next transfer.NextSteps) func(context.Context, transfer.Estimate) error {
	return func(ctx context.Context, est transfer.Estimate) error {
		if est.ToWrite() <= transfer.BigImport {
			return nil
		}
		if dest.err != nil {
			return d.apiError(acc.Handle, acc.Server, dest.err, "read")
		}
		if !transfer.IsBigImport(est, dest.inst.Software, dest.inst.MastodonVersion) {
			return nil
		}
		advice := transfer.Advice(est, acc.Server, next)
		fmt.Fprint(d.errOut, advice)
		if yes {
			return nil
		}
		if !d.stdinTTY {
			return &fedimarks.Error{Code: fedimarks.EInvalid,
				Message: fmt.Sprintf("a big import (%s rows) into %s needs confirmation", fedimarks.Count(int64(est.ToWrite())), acc.Handle),
				Hint:    "add --yes to import through the API anyway, or use the server's importer as above"}
		}
		fmt.Fprint(d.errOut, "Import through the API anyway? [y/N] ")
		line, err := bufio.NewReader(d.stdin).ReadString('\n')
		if err != nil && line == "" {
			return &fedimarks.Error{Code: fedimarks.EInvalid, Message: "no answer: import not started"}
		}
		if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
			return &fedimarks.Error{Code: fedimarks.EInvalid, Message: "import not started",
				Hint: "the job is saved: run the same command again with --yes to start it"}
		}
		return nil
	}
}

// bookmarkLister adapts the client to the engine's Lister.
type bookmarkLister struct{ c *mastodon.Client }

func (l bookmarkLister) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	return l.c.WalkBookmarks(ctx, func(p mastodon.Page) error { return fn(p.Statuses) })
}

// clientBudget adapts the client's record of the X-RateLimit-* headers
// to the engine's BudgetReader.
type clientBudget struct {
	c   *mastodon.Client
	now func() time.Time
}

func (b clientBudget) Budget() (transfer.Budget, bool) {
	rl := b.c.RateLimit()
	out := transfer.Budget{Reported: rl.Known, Limit: rl.Limit, Remaining: rl.Remaining}
	if !rl.Reset.IsZero() {
		out.ResetIn = rl.Reset.Sub(b.now())
	}
	return out, b.c.Requests() > 0
}

// importLocker adapts the archive's import locks to the engine's Locker:
// one import per destination at a time, across processes. It keeps the
// lock of its run, which names the import job the run works on (see
// lockedJournal), so that the page tells that job running, not every job
// of the destination.
type importLocker struct {
	ar *sqlite.Archive
	lk *sqlite.ImportLock // the run's, once taken
}

func (l *importLocker) Lock(ctx context.Context, dest fedimarks.Handle) (func(), error) {
	lk, err := l.ar.LockImports(ctx, string(dest))
	if err != nil {
		return nil, err
	}
	l.lk = lk
	// A lock left behind by a failed release is taken over by the next
	// run once this process is gone.
	return func() { _ = lk.Release(ctx) }, nil
}

// lockedJournal is the engine's journal, noting in the run's import lock
// the job it finds or creates (a dry run takes no lock).
type lockedJournal struct {
	transfer.Journal
	l *importLocker
}

func (j lockedJournal) FindJob(ctx context.Context, key string) (*fedimarks.ImportJob, error) {
	job, err := j.Journal.FindJob(ctx, key)
	return job, j.workOn(ctx, job, err)
}

func (j lockedJournal) CreateJob(ctx context.Context, job fedimarks.ImportJob, items []fedimarks.JobItem) (*fedimarks.ImportJob, error) {
	made, err := j.Journal.CreateJob(ctx, job, items)
	return made, j.workOn(ctx, made, err)
}

// workOn notes job in the run's lock, when both are there; err is the
// journal's, returned first.
func (j lockedJournal) workOn(ctx context.Context, job *fedimarks.ImportJob, err error) error {
	if err != nil || job == nil || job.DryRun || j.l.lk == nil {
		return err
	}
	return j.l.lk.WorkOn(ctx, job.ID)
}

// startedProgress is the engine's Progress: a ui.Progress that shows its
// closing line only once the engine started writing (it sets the total
// then, after a big import's question), so that a refused or finished
// import prints no progress line.
type startedProgress struct {
	p       *ui.Progress
	started atomic.Bool
	// slot, when set, gets the bar once started: the client's waits show
	// in it from then on.
	slot *progressSlot
}

func (s *startedProgress) SetTotal(n int64) {
	s.started.Store(true)
	if s.slot != nil {
		s.slot.set(s.p)
	}
	s.p.SetTotal(n)
}
func (s *startedProgress) Add(n int64) { s.p.Add(n) }
func (s *startedProgress) Note(format string, args ...any) {
	s.p.Note(format, args...)
}

// Finish closes the bar, if the engine started one.
func (s *startedProgress) Finish() {
	if s.slot != nil {
		s.slot.set(nil)
	}
	if s.started.Load() {
		s.p.Finish()
	}
}

// finishFirst is the engine's log on stderr while a progress bar is
// drawn there: the first line written finishes the bar, so the summary
// does not land inside it.
type finishFirst struct {
	p *startedProgress
	w io.Writer
}

func (f finishFirst) Write(b []byte) (int, error) {
	f.p.Finish()
	return f.w.Write(b)
}

// checkInputs checks that every input names a readable file, before any
// is parsed: one line naming the file, exit 2.
func checkInputs(files []string) error {
	for _, f := range files {
		if err := formats.CheckFile(f); err != nil {
			return err
		}
	}
	return nil
}

// prepareReportDir checks the directory the report files go to (dir, or
// the reports directory beside the archive when dir is "") and, unless
// dryRun, makes it (0700: the reports list private bookmarks). It runs
// before any work, so that an import does not finish only to find it
// cannot write its report. The directory is returned.
func prepareReportDir(paths pathsFunc, dir string, dryRun bool) (string, error) {
	what := "--report-dir " + dir
	isDefault := dir == ""
	if isDefault {
		p, err := paths()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(p.Data, "reports")
		what = "the reports directory " + dir
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return "", &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("cannot write reports in %s: it is a file, not a directory", what)}
	case err == nil:
		if isDefault {
			// Made 0755 by older versions: the reports are private.
			_ = os.Chmod(dir, 0o700)
		}
	default:
		if why := missingDir(dir); strings.HasSuffix(why, "not a directory") {
			return "", &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("cannot write reports in %s: %s", what, why)}
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("cannot write reports in %s: %v", what, errors.Unwrap(err)), Err: err}
		}
		if dryRun {
			return dir, nil
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("cannot create %s: %v", what, errors.Unwrap(err)), Err: err}
		}
	}
	if !dryRun {
		if err := probeWritable(dir); err != nil {
			return "", &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("cannot write reports in %s: %v", what, err)}
		}
	}
	return dir, nil
}

// missingDir says why the directory dir cannot be used, for one that
// os.Stat does not find: "directory X does not exist", or "X is a file,
// not a directory" when something on the way is a file. X is absolute.
func missingDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	for p := abs; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return p + " is a file, not a directory"
			}
			break
		}
		if filepath.Dir(p) == p {
			break
		}
	}
	return "directory " + abs + " does not exist"
}

// probeWritable checks that files can be made in dir, by making one and
// removing it; the error says so without naming the probe.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".fedimarks-probe-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("no permission to write in %s", dir)
		}
		return fmt.Errorf("cannot make a file in %s: %v", dir, errors.Unwrap(errors.Unwrap(err)))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// checkOutputPath checks, before any work, that a file can be written at
// path ("" or "-" is standard output): its directory exists and is
// writable, and path is not a directory. The message names the file and
// never a temporary file.
func checkOutputPath(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	bad := func(why string) error {
		return &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("cannot write %s: %s", filepath.Base(path), why)}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return bad(path + " is a directory")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return bad(missingDir(dir))
	}
	if !st.IsDir() {
		return bad(dir + " is a file, not a directory")
	}
	if err := probeWritable(dir); err != nil {
		return bad(err.Error())
	}
	return nil
}
