package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// The job pages: backups, moves of bookmarks (an import of an uploaded
// file or a migration from an account) and verifications, started from the
// page and run by the same code as the commands (the Jobs port, which cli
// implements with the commands' own runners). A job runs in the server,
// not in the tab: closing the tab does not stop it, and a job that a
// restart of fedimarks cut short is shown with a Resume button (its
// import job resumes where it stopped, as the same command would).
//
// Every change is a POST with the session's token and this server's
// Origin (see sameOrigin). The pages work without script; a small script
// of our own (static/jobs.js, allowed by jobsCSP) refreshes a running
// job's progress in place, and without it the page reloads itself.

// Job kinds.
const (
	JobBackup = "backup"
	JobMove   = "move"
	JobVerify = "verify"
)

// Job states, as the archive records them.
const (
	JobRunning     = "running"
	JobDone        = "done"
	JobFailed      = "failed"
	JobInterrupted = "interrupted"
)

// DefaultMaxUpload is the largest file the page takes for a move: a
// Mastodon account archive with its media can be large, but the bookmarks
// are all that is read from it.
const DefaultMaxUpload = 2 << 30

// JobSpec is what a job runs: the command's options as the page sets them.
type JobSpec struct {
	Kind string `json:"kind"`
	// Account is the account to back up ("" with All).
	Account string `json:"account,omitempty"`
	All     bool   `json:"all,omitempty"`
	Media   bool   `json:"media,omitempty"`
	Context bool   `json:"context,omitempty"`
	// From is a move's or a verification's source account; File (a path
	// Jobs.Stage returned) is its source file when From is "", FileName
	// that file's name as uploaded.
	From     string `json:"from,omitempty"`
	File     string `json:"file,omitempty"`
	FileName string `json:"file_name,omitempty"`
	// To is the destination account.
	To          string `json:"to,omitempty"`
	DryRun      bool   `json:"dry_run,omitempty"`
	RetryFailed bool   `json:"retry_failed,omitempty"`
	// Job is the import job that journaled a move's rows (0: none yet).
	// A retry of a move from a file runs that job again from its journal,
	// and a verification reads its rows there, so neither needs File any
	// more: an uploaded file is deleted once its move has ended.
	Job int64 `json:"job,omitempty"`
}

// Source names a move's source for a person.
func (s JobSpec) Source() string {
	if s.From != "" {
		return s.From
	}
	return s.FileName
}

// Title is a job's name for a person ("Dry run: move bookmarks from x to y").
func (s JobSpec) Title() string {
	switch s.Kind {
	case JobBackup:
		what := s.Account
		if s.All {
			what = "all accounts"
		}
		return "Back up " + what
	case JobVerify:
		return "Check " + s.To + " against " + s.Source()
	}
	t := "Move bookmarks from " + s.Source() + " to " + s.To
	if s.DryRun {
		t = "Dry run: move bookmarks from " + s.Source() + " to " + s.To
	}
	if s.RetryFailed {
		t += " (retrying failed rows)"
	}
	return t
}

// Step is a step of a running job as its progress display shows it.
type Step struct {
	Label            string
	Done, Total      int64
	Counts           string
	Wait, Speed, ETA string
	Finished         bool
}

// Estimate is a dry run's: what the run would do and how long the
// destination's rate limit makes it take (import --dry-run's figures).
type Estimate struct {
	ToWrite, Already, Duplicate, Invalid, Done, Requests int
	Duration                                             time.Duration
}

// JobView is a job as the page shows it.
type JobView struct {
	ID    int64
	Spec  JobSpec
	State string
	// Started and Finished are when (Finished zero while running).
	Started, Finished time.Time
	// Steps are the progress displays of the run, the one under way last.
	Steps []Step
	// Log is what the command wrote for a person, cleaned (one line each,
	// no secret).
	Log []string
	// Message and Hint say how it ended for a person (empty when all went
	// well); ExitCode is the command's.
	Message, Hint string
	ExitCode      int
	// Summary is the command's last line ("3 new, 120 unchanged...").
	Summary string
	// ImportJob is the import job journaling a move's rows (0: none).
	ImportJob int64
	// Counts are a move's rows per outcome so far, Rows their number.
	Counts map[fedimarks.Outcome]int
	Rows   int
	// Estimate is a dry run's.
	Estimate *Estimate
	// ReportPath, FailuresPath and MissingPath are the files the run
	// wrote ("" for none).
	ReportPath, FailuresPath, MissingPath string
	// DestinationServer is the destination account's server URL, for
	// links to follow authors there.
	DestinationServer string
	// CommandLine says the job was started from the command line (import,
	// migrate, sync), not from this page: ID is 0, ImportJob names it, and
	// the page shows it read-only (a finished one's failures can be
	// retried as a job of the page).
	CommandLine bool
	// SourceGone says the uploaded file a move read is no longer kept: it
	// cannot be moved again from it.
	SourceGone bool
}

// Path is the job's page.
func (j *JobView) Path() string {
	if j.CommandLine {
		return fmt.Sprintf("/jobs/import-%d", j.ImportJob)
	}
	return fmt.Sprintf("/jobs/%d", j.ID)
}

// JobRow is one row of a move, as the archive journals it.
type JobRow struct {
	Seq                         int
	URI, URL, AuthorURL, Detail string
	Outcome                     fedimarks.Outcome
	// Author is the author's user@host when the row tells it.
	Author string
}

// Jobs runs and reads the page's jobs (cli implements it with the
// commands' runners and the archive). Its methods are safe for
// concurrent use.
type Jobs interface {
	// Accounts lists the saved (signed-in) accounts, for the forms.
	Accounts(ctx context.Context) ([]fedimarks.Account, error)
	// Stage keeps an uploaded file (name as the browser sent it) where a
	// job can read it, readable by this user only, and returns its path.
	Stage(ctx context.Context, name string, r io.Reader) (string, error)
	// Start starts a job and returns its number at once; the job runs
	// until it ends or Cancel, whatever happens to the request.
	Start(ctx context.Context, spec JobSpec) (int64, error)
	// Cancel stops a running job (it ends interrupted, resumable).
	Cancel(ctx context.Context, id int64) error
	// Job returns job id, or nil and no error if there is none.
	Job(ctx context.Context, id int64) (*JobView, error)
	// List returns the newest jobs, newest first.
	List(ctx context.Context) ([]JobView, error)
	// Rows returns the rows of the import job importJob (a move's) in
	// write order, those with outcome only when it is not "".
	Rows(ctx context.Context, importJob int64, outcome fedimarks.Outcome) ([]JobRow, error)
	// CommandJob returns import job id, started from the command line (a
	// job of the page's is not one), or nil and no error if there is none.
	CommandJob(ctx context.Context, id int64) (*JobView, error)
	// WriteJobFile writes the report ("report.csv") or failures file
	// ("failures.csv") of import job id, as import writes them, from its
	// journal.
	WriteJobFile(ctx context.Context, id int64, name string, w io.Writer) error
	// Elsewhere says what other processes (a command, a schedule) are
	// doing in the archive now, a line each ("import into bob@host,
	// PID 42, since 10:53"): the page's jobs wait for them.
	Elsewhere(ctx context.Context) ([]string, error)
}

// jobsCSP is the policy of the job pages: the page's own policy, and
// scripts from this server only (static/jobs.js), which may fetch from
// this server only.
const jobsCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// failingOutcomes are the outcomes the results filter offers, in order.
var filterOutcomes = []fedimarks.Outcome{fedimarks.Imported, fedimarks.Already, fedimarks.Duplicate,
	fedimarks.NotVisible, fedimarks.NotFound, fedimarks.Unreachable, fedimarks.Invalid,
	fedimarks.Failed, fedimarks.Pending}

// rowsPerPage is how many rows of a move's results a page lists.
const rowsPerPage = 100

// serveJobs answers everything under /jobs.
func (s *Server) serveJobs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", jobsCSP)
	if s.jobs == nil {
		s.notFound(w, r, "Jobs cannot be started from this page.")
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/jobs"), "/")
	if r.Method == http.MethodPost {
		s.postJobs(w, r, rest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if rest == "" {
		s.serveJobList(w, r)
		return
	}
	idText, part, _ := strings.Cut(rest, "/")
	j, err := s.findJob(r.Context(), idText)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if j == nil {
		s.notFound(w, r, "There is no such job.")
		return
	}
	switch part {
	case "":
		s.serveJob(w, r, j, "job")
	case "live":
		s.serveJob(w, r, j, "live")
	case "report.csv":
		if j.CommandLine {
			s.serveJournalFile(w, r, j, part, fmt.Sprintf("import-%d-report.csv", j.ImportJob))
			return
		}
		s.serveJobFile(w, r, j.ReportPath, fmt.Sprintf("import-%d-report.csv", j.ImportJob))
	case "failures.csv":
		if j.CommandLine {
			s.serveJournalFile(w, r, j, part, "bookmarks_failures.csv")
			return
		}
		s.serveJobFile(w, r, j.FailuresPath, "bookmarks_failures.csv")
	case "missing.csv":
		s.serveJobFile(w, r, j.MissingPath, "missing.csv")
	default:
		s.notFound(w, r, "There is nothing at this address.")
	}
}

// jobsView is what the job templates show.
type jobsView struct {
	Title string
	Token string
	// Manage says the accounts page is there (a link to it).
	Manage    bool
	Accounts  []fedimarks.Account
	Jobs      []JobView
	Elsewhere []string
	Job       *JobView
	// Results of a move: the rows shown (filtered), the filter, and per
	// author the not_visible rows' follow links.
	Rows    []JobRow
	RowsCut int // rows left out past rowsPerPage
	Filter  fedimarks.Outcome
	Filters []filterLink
	Follow  []followLink
	Error   string
	Running bool
	// Retryable says "retry these" may bring rows in: not_visible,
	// not_found or failed rows.
	Retryable bool
	// Failing says some rows did not make it (a failures file has rows).
	Failing bool
}

type filterLink struct {
	Outcome fedimarks.Outcome
	Count   int
	URL     string
	Current bool
}

type followLink struct {
	Author string
	URL    string
	Rows   int
}

func (s *Server) serveJobList(w http.ResponseWriter, r *http.Request) {
	v := jobsView{Title: "Back up and move · fedimarks", Token: s.formToken, Manage: s.accounts != nil}
	var err error
	if v.Accounts, err = s.jobs.Accounts(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Jobs, err = s.jobs.List(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Elsewhere, err = s.jobs.Elsewhere(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Error = r.URL.Query().Get("error")
	if len(v.Error) > 300 {
		v.Error = v.Error[:300]
	}
	s.renderJobs(w, http.StatusOK, "jobs", v)
}

func (s *Server) jobPage(r *http.Request, j *JobView) jobsView {
	return jobsView{Title: j.Spec.Title() + " · fedimarks", Token: s.formToken, Job: j, Running: j.State == JobRunning,
		Manage: s.accounts != nil}
}

// recentRows is how many finished rows a running move shows, the
// latest last.
const recentRows = 20

// serveJob renders a job with the template name: the whole page ("job")
// or the part that its script refreshes ("live").
func (s *Server) serveJob(w http.ResponseWriter, r *http.Request, j *JobView, name string) {
	v := s.jobPage(r, j)
	if j.ImportJob != 0 && !j.Spec.DryRun {
		filter := fedimarks.Outcome(r.URL.Query().Get("outcome"))
		rows, err := s.jobs.Rows(r.Context(), j.ImportJob, "")
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		counts := map[fedimarks.Outcome]int{}
		authors := map[string]*followLink{}
		var order []string
		for _, row := range rows {
			counts[row.Outcome]++
			if row.Outcome == fedimarks.NotVisible && j.DestinationServer != "" {
				who := row.Author
				if who == "" {
					who = row.AuthorURL
				}
				if who == "" {
					continue
				}
				if authors[who] == nil {
					authors[who] = &followLink{Author: who, URL: followURL(j.DestinationServer, who)}
					order = append(order, who)
				}
				authors[who].Rows++
			}
			if filter == "" || row.Outcome == filter {
				if len(v.Rows) < rowsPerPage {
					v.Rows = append(v.Rows, row)
				} else {
					v.RowsCut++
				}
			}
		}
		for _, who := range order {
			v.Follow = append(v.Follow, *authors[who])
		}
		if v.Running {
			v.Rows, v.RowsCut = nil, 0
			for _, row := range rows {
				if row.Outcome != fedimarks.Pending {
					v.Rows = append(v.Rows, row)
				}
			}
			v.Rows = v.Rows[max(0, len(v.Rows)-recentRows):]
		}
		v.Filter = filter
		v.Filters = append(v.Filters, filterLink{Count: len(rows), URL: j.Path() + "#results", Current: filter == ""})
		for _, o := range filterOutcomes {
			if counts[o] > 0 {
				v.Filters = append(v.Filters, filterLink{Outcome: o, Count: counts[o],
					URL: fmt.Sprintf("%s?outcome=%s#results", j.Path(), o), Current: filter == o})
			}
		}
		v.Retryable = counts[fedimarks.NotVisible]+counts[fedimarks.NotFound]+counts[fedimarks.Failed] > 0
		v.Failing = v.Retryable || counts[fedimarks.Unreachable] > 0
	}
	s.renderJobs(w, http.StatusOK, name, v)
}

// followURL is the address that opens a follow of who (user@host, or a
// profile URL) on server, for the account signed in there: Mastodon's
// authorize_interaction, which looks the account up and offers to
// follow it.
func followURL(server, who string) string {
	return strings.TrimRight(server, "/") + "/authorize_interaction?uri=" + url.QueryEscape(who)
}

// serveJobFile sends a file the job wrote as a download named name.
func (s *Server) serveJobFile(w http.ResponseWriter, r *http.Request, path, name string) {
	if path == "" {
		s.notFound(w, r, "This job wrote no such file.")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		s.notFound(w, r, "The file is no longer there: "+filepath.Base(path))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		s.notFound(w, r, "The file is no longer there: "+filepath.Base(path))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// refused answers a POST that did not come from this page.
func refused(w http.ResponseWriter) {
	http.Error(w, "refused: this form was not sent by this page (reload the page and try again)", http.StatusForbidden)
}

func (s *Server) tokenOK(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.formToken)) == 1
}

// postJobs starts, cancels or reruns a job. The Origin is checked before
// the body is read, the token before anything is done.
func (s *Server) postJobs(w http.ResponseWriter, r *http.Request, rest string) {
	if !sameOrigin(r) {
		refused(w)
		return
	}
	if rest == "start" {
		s.startJob(w, r)
		return
	}
	idText, action, _ := strings.Cut(rest, "/")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !s.tokenOK(r.PostForm.Get("token")) {
		refused(w)
		return
	}
	j, err := s.findJob(r.Context(), idText)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if j == nil {
		s.notFound(w, r, "There is no such job.")
		return
	}
	if j.CommandLine && (action != "retry" || j.State != JobDone) {
		// Read-only: the command that started it resumes it.
		s.notFound(w, r, "A job started from the command line is only shown here: only its failures, once it ended, can be retried from the page.")
		return
	}
	spec := j.Spec
	if spec.Kind == JobMove && spec.From == "" && j.ImportJob != 0 && !spec.DryRun {
		spec.Job = j.ImportJob
	}
	switch action {
	case "cancel":
		if err := s.jobs.Cancel(r.Context(), j.ID); err != nil {
			s.jobError(w, r, err)
			return
		}
		http.Redirect(w, r, j.Path(), http.StatusSeeOther)
		return
	case "run": // a dry run's real run
		spec.DryRun, spec.RetryFailed = false, false
	case "retry": // "retry these": import --retry-failed
		spec.DryRun, spec.RetryFailed = false, true
	case "resume": // a job cut short, run again: its import job resumes
	case "verify":
		spec = JobSpec{Kind: JobVerify, From: spec.From, File: spec.File, FileName: spec.FileName, To: spec.To, Job: spec.Job}
	default:
		s.notFound(w, r, "There is nothing at this address.")
		return
	}
	s.start(w, r, spec)
}

func (s *Server) start(w http.ResponseWriter, r *http.Request, spec JobSpec) {
	id, err := s.jobs.Start(context.WithoutCancel(r.Context()), spec)
	if err != nil {
		s.jobError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/jobs/%d", id), http.StatusSeeOther)
}

// jobError sends the person back to the job list with why.
func (s *Server) jobError(w http.ResponseWriter, r *http.Request, err error) {
	msg := err.Error()
	var fe *fedimarks.Error
	if errors.As(err, &fe) && fe.Hint != "" {
		msg = fe.Message + " (" + fe.Hint + ")"
	}
	http.Redirect(w, r, "/jobs?error="+url.QueryEscape(fedimarks.CleanText(msg)), http.StatusSeeOther)
}

// startJob reads the start form: urlencoded, or multipart with a file
// (a move from a file). In a multipart form the token comes first, so
// that no file is written for a request without it.
func (s *Server) startJob(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxUpload+64<<10)
	form := url.Values{}
	var spec JobSpec
	if mr, err := r.MultipartReader(); err == nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, "bad form (or a file over the size limit)", http.StatusBadRequest)
				return
			}
			name := p.FormName()
			if name == "file" {
				if !s.tokenOK(form.Get("token")) {
					refused(w)
					return
				}
				if p.FileName() == "" {
					continue // no file chosen
				}
				path, err := s.stage(r.Context(), p)
				if err != nil {
					s.jobError(w, r, err)
					return
				}
				spec.File, spec.FileName = path, filepath.Base(p.FileName())
				continue
			}
			b, err := io.ReadAll(io.LimitReader(p, 4<<10))
			if err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			form.Add(name, string(b))
		}
	} else {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		form = r.PostForm
	}
	if !s.tokenOK(form.Get("token")) {
		if spec.File != "" {
			os.Remove(spec.File)
		}
		refused(w)
		return
	}
	spec.Kind = form.Get("kind")
	switch spec.Kind {
	case JobBackup:
		spec.Account = form.Get("account")
		spec.All = spec.Account == "*"
		if spec.All {
			spec.Account = ""
		}
		spec.Media, spec.Context = form.Get("media") != "", form.Get("context") != ""
	case JobMove:
		spec.To, spec.DryRun = form.Get("to"), true // a move starts with its dry run
		if from := form.Get("from"); from != "" && from != "file" {
			spec.From = from
			if spec.File != "" {
				os.Remove(spec.File)
				spec.File, spec.FileName = "", ""
			}
		}
		if spec.From == "" && spec.File == "" {
			s.jobError(w, r, errors.New("choose a source: an account, or a file to upload"))
			return
		}
		if spec.To == "" {
			s.jobError(w, r, errors.New("choose the account to move the bookmarks to"))
			return
		}
	default:
		s.notFound(w, r, "There is no such kind of job.")
		return
	}
	s.start(w, r, spec)
}

// stage hands an uploaded file to the job service, refusing more than
// MaxUpload bytes.
func (s *Server) stage(ctx context.Context, p *multipart.Part) (string, error) {
	lr := &io.LimitedReader{R: p, N: s.maxUpload + 1}
	path, err := s.jobs.Stage(ctx, p.FileName(), lr)
	if err != nil {
		return "", err
	}
	if lr.N <= 0 {
		os.Remove(path)
		return "", fmt.Errorf("%s is larger than %d MB: export your bookmarks alone (bookmarks.csv) and upload that", filepath.Base(p.FileName()), s.maxUpload/1e6)
	}
	return path, nil
}

func (s *Server) renderJobs(w http.ResponseWriter, code int, name string, v jobsView) {
	var buf strings.Builder
	if err := s.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, buf.String())
}

// findJob returns the job idText names: a page job's number, or
// "import-N" for import job N started from the command line; nil and no
// error for none.
func (s *Server) findJob(ctx context.Context, idText string) (*JobView, error) {
	if n, ok := strings.CutPrefix(idText, "import-"); ok {
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil || id <= 0 {
			return nil, nil
		}
		return s.jobs.CommandJob(ctx, id)
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return nil, nil
	}
	return s.jobs.Job(ctx, id)
}

// serveJournalFile sends a command-line job's report or failures file,
// written from its journal, as a download named name.
func (s *Server) serveJournalFile(w http.ResponseWriter, r *http.Request, j *JobView, part, name string) {
	var buf strings.Builder
	if err := s.jobs.WriteJobFile(r.Context(), j.ImportJob, part, &buf); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, buf.String())
}
