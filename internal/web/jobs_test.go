package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/web"
)

// fakeJobs is a web.Jobs that records what the page asks of it.
type fakeJobs struct {
	mu        sync.Mutex
	dir       string
	staged    []string
	started   []web.JobSpec
	cancelled []int64
	jobs      map[int64]*web.JobView
	rows      []web.JobRow
}

func (f *fakeJobs) Accounts(context.Context) ([]fedimarks.Account, error) {
	return []fedimarks.Account{{Handle: "alice@a.example", Server: "https://a.example"}, {Handle: "bob@b.example", Server: "https://b.example"}}, nil
}

func (f *fakeJobs) Stage(_ context.Context, name string, r io.Reader) (string, error) {
	fh, err := os.CreateTemp(f.dir, "up-*")
	if err != nil {
		return "", err
	}
	defer fh.Close()
	if _, err := io.Copy(fh, r); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.staged = append(f.staged, fh.Name())
	return fh.Name(), nil
}

func (f *fakeJobs) Start(_ context.Context, spec web.JobSpec) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, spec)
	id := int64(len(f.jobs) + 1)
	f.jobs[id] = &web.JobView{ID: id, Spec: spec, State: web.JobRunning, Started: time.Now()}
	return id, nil
}

func (f *fakeJobs) Cancel(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, id)
	return nil
}

func (f *fakeJobs) Job(_ context.Context, id int64) (*web.JobView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jobs[id], nil
}

// List lists the jobs in the order of their numbers as Start gave them
// (tests set the ones they show).
func (f *fakeJobs) List(context.Context) ([]web.JobView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []web.JobView
	for id := int64(1); id <= int64(len(f.jobs)); id++ {
		if j := f.jobs[id]; j != nil {
			out = append(out, *j)
		}
	}
	return out, nil
}

func (f *fakeJobs) Elsewhere(context.Context) ([]string, error) {
	return []string{"import into bob@b.example: PID 42 on vm, since 2026-03-01 10:53"}, nil
}

func (f *fakeJobs) Rows(context.Context, int64, fedimarks.Outcome) ([]web.JobRow, error) {
	return f.rows, nil
}

// CommandJob returns the job with ImportJob id among those marked
// CommandLine.
func (f *fakeJobs) CommandJob(_ context.Context, id int64) (*web.JobView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if j.CommandLine && j.ImportJob == id {
			return j, nil
		}
	}
	return nil, nil
}

func (f *fakeJobs) WriteJobFile(_ context.Context, id int64, name string, w io.Writer) error {
	_, err := io.WriteString(w, fmt.Sprintf("%s of import job %d\n", name, id))
	return err
}

func startJobs(t *testing.T, opt web.Options) (string, *fakeJobs) {
	t.Helper()
	jobs := &fakeJobs{dir: t.TempDir(), jobs: map[int64]*web.JobView{}}
	opt.Archive = newFixture(t).archive
	opt.Jobs = jobs
	s, err := web.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL, jobs
}

// postForm posts the page's form with token to path as the page itself
// does (its Origin), and returns the answer's status, following no
// redirect.
func postForm(t *testing.T, base, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// multipartBody is a form with fields in order, the file where name is
// "file".
func multipartBody(t *testing.T, fields [][2]string) (string, *bytes.Buffer) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if f[0] == "file" {
			w, _ := mw.CreateFormFile("file", "bookmarks.csv")
			w.Write([]byte(f[1]))
			continue
		}
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	return mw.FormDataContentType(), &b
}

// TestJobStartChecks: a move's upload is taken only from the page (its
// Origin, its token, the token before the file: no file is kept for a
// request without it) and only up to the size limit; a move starts with
// its dry run.
func TestJobStartChecks(t *testing.T) {
	base, jobs := startJobs(t, web.Options{MaxUpload: 1000})
	page := get(t, base, "/jobs", "").body
	m := regexp.MustCompile(`name="token" value="([0-9a-f]{64})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no token on /jobs:\n%s", page)
	}
	tok := m[1]
	if !strings.Contains(page, "import into bob@b.example: PID 42") {
		t.Errorf("/jobs does not show what runs elsewhere")
	}
	post := func(origin string, fields ...[2]string) *http.Response {
		t.Helper()
		ct, body := multipartBody(t, fields)
		req, _ := http.NewRequest(http.MethodPost, base+"/jobs/start", body)
		req.Header.Set("Content-Type", ct)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	csv := "https://a.example/users/x/statuses/1\n"
	move := func(token, file string) [][2]string {
		return [][2]string{{"token", token}, {"kind", "move"}, {"from", "file"}, {"file", file}, {"to", "bob@b.example"}}
	}
	for name, c := range map[string]struct {
		origin string
		fields [][2]string
	}{
		"another site":       {"https://evil.example", move(tok, csv)},
		"no token":           {base, move("", csv)},
		"a wrong token":      {base, move(strings.Repeat("0", 64), csv)},
		"the file first":     {base, [][2]string{{"file", csv}, {"token", tok}, {"kind", "move"}, {"to", "bob@b.example"}}},
		"no Origin, no site": {"", move(tok, csv)},
	} {
		if resp := post(c.origin, c.fields...); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	if len(jobs.staged)+len(jobs.started) != 0 {
		t.Fatalf("refused requests staged %q, started %v", jobs.staged, jobs.started)
	}
	resp := post(base, move(tok, strings.Repeat("x", 1001))...)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "larger+than") || len(jobs.started) != 0 {
		t.Errorf("an upload over the limit: %d %s, started %v", resp.StatusCode, resp.Header.Get("Location"), jobs.started)
	}
	for _, p := range jobs.staged {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("the refused upload %s is kept", filepath.Base(p))
		}
	}
	resp = post(base, move(tok, csv)...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/jobs/1" || len(jobs.started) != 1 {
		t.Fatalf("the page's own move: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := jobs.started[0]
	if got.Kind != web.JobMove || !got.DryRun || got.To != "bob@b.example" || got.FileName != "bookmarks.csv" || got.File == "" {
		t.Errorf("started %+v", got)
	}
	if b, err := os.ReadFile(got.File); err != nil || string(b) != csv {
		t.Errorf("staged file holds %q (%v)", b, err)
	}
}

// TestJobPage: a job page may run this server's script only, has no
// inline script, refreshes itself without script while the job runs,
// and sends the failures file as a download; actions are POSTs only.
func TestJobPage(t *testing.T) {
	base, jobs := startJobs(t, web.Options{})
	failures := filepath.Join(t.TempDir(), "f.csv")
	os.WriteFile(failures, []byte("https://a.example/users/x/statuses/1\n"), 0o600)
	jobs.jobs[1] = &web.JobView{ID: 1, State: web.JobRunning, Spec: web.JobSpec{Kind: web.JobMove, From: "alice@a.example", To: "bob@b.example"},
		ImportJob: 7}
	jobs.jobs[2] = &web.JobView{ID: 2, State: web.JobDone, Spec: web.JobSpec{Kind: web.JobMove, From: "alice@a.example", To: "bob@b.example"},
		ImportJob: 7, FailuresPath: failures, DestinationServer: "https://b.example"}
	jobs.rows = []web.JobRow{
		{Seq: 0, URI: "https://a.example/users/x/statuses/1", Outcome: fedimarks.NotVisible, Author: "x@a.example"},
		{Seq: 1, URI: "https://a.example/users/x/statuses/2", Outcome: fedimarks.NotVisible, Author: "x@a.example"},
		{Seq: 2, URI: "javascript:alert(1)", Outcome: fedimarks.Invalid, Detail: "<script>alert(1)</script>"},
		{Seq: 3, URI: "https://a.example/users/y/statuses/3", Outcome: fedimarks.Imported},
	}
	r := get(t, base, "/jobs/1", "")
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(r.body) || !strings.Contains(r.body, `<script src="/static/jobs.js" defer></script>`) {
		t.Errorf("the page has inline script or lacks its own:\n%s", r.body)
	}
	if !strings.Contains(r.body, `<noscript><meta http-equiv="refresh"`) {
		t.Errorf("a running job's page does not refresh itself without script")
	}
	done := get(t, base, "/jobs/2?outcome=not_visible", "")
	if strings.Contains(done.body, "http-equiv") {
		t.Errorf("a finished job's page refreshes itself")
	}
	follow := `href="https://b.example/authorize_interaction?uri=x%40a.example"`
	if strings.Count(done.body, follow) != 1 || strings.Count(done.body, `class="outcome o-not_visible"`) != 2 ||
		strings.Contains(done.body, "o-imported") {
		t.Errorf("not_visible filter or follow link wrong:\n%s", done.body)
	}
	all := get(t, base, "/jobs/2", "").body
	if strings.Contains(all, "<script>alert") || strings.Contains(all, `href="javascript:`) {
		t.Errorf("row text not escaped")
	}
	dl := get(t, base, "/jobs/2/failures.csv", "")
	if dl.code != 200 || dl.header.Get("Content-Disposition") != `attachment; filename="bookmarks_failures.csv"` || !strings.HasPrefix(dl.body, "https://") {
		t.Errorf("failures download: %d %v %q", dl.code, dl.header, dl.body)
	}
	if r := get(t, base, "/jobs/1/failures.csv", ""); r.code != 404 {
		t.Errorf("a job without failures file: %d", r.code)
	}
	act := func(path, token string) int { return postForm(t, base, path, token) }
	if code := act("/jobs/2/retry", "x"); code != 403 || len(jobs.started) != 0 {
		t.Errorf("retry without the token: %d, started %v", code, jobs.started)
	}
	tok := regexp.MustCompile(`name="token" value="([0-9a-f]{64})"`).FindStringSubmatch(r.body)[1]
	if code := act("/jobs/1/cancel", tok); code != http.StatusSeeOther || len(jobs.cancelled) != 1 || jobs.cancelled[0] != 1 {
		t.Errorf("cancel: %d, cancelled %v", code, jobs.cancelled)
	}
	if code := act("/jobs/2/retry", tok); code != http.StatusSeeOther || len(jobs.started) != 1 ||
		!jobs.started[0].RetryFailed || jobs.started[0].DryRun || jobs.started[0].From != "alice@a.example" {
		t.Errorf("retry: %d, started %+v", code, jobs.started)
	}
}

// TestCommandLineJobPage: an import started from the command line is
// listed with the page's jobs (its accounts, when, state, counts) and
// shown at /jobs/import-N read-only: the same results filter and
// downloads (written from its journal), no Resume, Cancel or Verify; once
// it ended, its failures are retried as a job of the page, from its
// journal. Server and file text is escaped.
func TestCommandLineJobPage(t *testing.T) {
	base, jobs := startJobs(t, web.Options{})
	jobs.jobs[1] = &web.JobView{CommandLine: true, ImportJob: 7, State: web.JobDone, Started: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Spec:   web.JobSpec{Kind: web.JobMove, FileName: "<b>bookmarks</b>.csv", To: "bob@b.example"},
		Counts: map[fedimarks.Outcome]int{fedimarks.Imported: 1, fedimarks.NotVisible: 2}, Rows: 3, DestinationServer: "https://b.example"}
	jobs.jobs[2] = &web.JobView{CommandLine: true, ImportJob: 8, State: web.JobInterrupted,
		Spec: web.JobSpec{Kind: web.JobMove, FileName: "archive of alice@a.example", To: "bob@b.example"}}
	jobs.rows = []web.JobRow{
		{Seq: 0, URI: "https://a.example/users/x/statuses/1", Outcome: fedimarks.NotVisible, Author: "x@a.example"},
		{Seq: 1, URI: "https://a.example/users/x/statuses/2", Outcome: fedimarks.NotVisible, Author: "x@a.example"},
		{Seq: 2, URI: "https://a.example/users/y/statuses/3", Outcome: fedimarks.Imported},
	}
	list := get(t, base, "/jobs", "").body
	if !regexp.MustCompile(`<a href="/jobs/import-7">Move bookmarks from &lt;b&gt;bookmarks&lt;/b&gt;.csv to bob@b.example</a> <span class="state state-done">done</span> <span class="muted small">2026-12-01 10:00 · command line · 3 rows · 1 imported · 2 not_visible</span>`).MatchString(list) ||
		!strings.Contains(list, `<a href="/jobs/import-8">`) {
		t.Errorf("the job list does not show the command-line jobs:\n%s", list)
	}
	page := get(t, base, "/jobs/import-7", "")
	if page.code != 200 || !strings.Contains(page.body, "Started from the command line: shown here read-only") {
		t.Fatalf("command-line job page: %d\n%s", page.code, page.body)
	}
	for _, absent := range []string{"/resume", "/cancel", "/verify", "/run", "<b>bookmarks"} {
		if strings.Contains(page.body, absent) {
			t.Errorf("a command-line job's page has %q", absent)
		}
	}
	for _, present := range []string{`href="/jobs/import-7?outcome=not_visible#results"`, `href="/jobs/import-7/report.csv"`,
		`href="/jobs/import-7/failures.csv"`, `action="/jobs/import-7/retry"`} {
		if !strings.Contains(page.body, present) {
			t.Errorf("a command-line job's page lacks %s", present)
		}
	}
	if r := get(t, base, "/jobs/import-7?outcome=not_visible", ""); strings.Count(r.body, `class="outcome o-not_visible"`) != 2 || strings.Contains(r.body, "o-imported") {
		t.Errorf("filter on a command-line job:\n%s", r.body)
	}
	if dl := get(t, base, "/jobs/import-7/failures.csv", ""); dl.code != 200 || dl.body != "failures.csv of import job 7\n" ||
		dl.header.Get("Content-Disposition") != `attachment; filename="bookmarks_failures.csv"` {
		t.Errorf("failures download: %d %q %v", dl.code, dl.body, dl.header)
	}
	interrupted := get(t, base, "/jobs/import-8", "").body
	if !strings.Contains(interrupted, "run the same command again to resume it") || strings.Contains(interrupted, "/resume") {
		t.Errorf("an interrupted command-line job:\n%s", interrupted)
	}
	for _, missing := range []string{"/jobs/import-9", "/jobs/import-x", "/jobs/import-"} {
		if r := get(t, base, missing, ""); r.code != 404 {
			t.Errorf("%s: %d", missing, r.code)
		}
	}
	// A dry run whose upload is gone says so and offers no run.
	jobs.jobs[3] = &web.JobView{ID: 3, State: web.JobDone, SourceGone: true, Estimate: &web.Estimate{ToWrite: 3},
		Spec: web.JobSpec{Kind: web.JobMove, File: "/gone", FileName: "b.csv", To: "bob@b.example", DryRun: true}}
	if dry := get(t, base, "/jobs/3", "").body; !strings.Contains(dry, "The uploaded file is no longer kept") || strings.Contains(dry, `action="/jobs/3/run"`) {
		t.Errorf("a dry run whose upload is gone:\n%s", dry)
	}
	jobs.jobs[4] = &web.JobView{ID: 4, State: web.JobInterrupted, SourceGone: true,
		Spec: web.JobSpec{Kind: web.JobMove, File: "/gone", FileName: "b.csv", To: "bob@b.example", DryRun: true}}
	if cut := get(t, base, "/jobs/4", "").body; !strings.Contains(cut, "no longer kept") || strings.Contains(cut, `action="/jobs/4/resume"`) {
		t.Errorf("a job cut short before it saved its rows, whose upload is gone, offers Resume:\n%s", cut)
	}
	tok := regexp.MustCompile(`name="token" value="([0-9a-f]{64})"`).FindStringSubmatch(page.body)[1]
	act := func(path string) int { return postForm(t, base, path, tok) }
	for _, refused := range []string{"/jobs/import-7/resume", "/jobs/import-7/verify", "/jobs/import-7/cancel", "/jobs/import-8/retry"} {
		if code := act(refused); code != 404 || len(jobs.started) != 0 {
			t.Errorf("%s: %d, started %v", refused, code, jobs.started)
		}
	}
	if code := act("/jobs/import-7/retry"); code != http.StatusSeeOther || len(jobs.started) != 1 {
		t.Fatalf("retry: %d, started %v", code, jobs.started)
	}
	if got := jobs.started[0]; got.Job != 7 || !got.RetryFailed || got.DryRun || got.To != "bob@b.example" || got.From != "" {
		t.Errorf("retry started %+v", got)
	}
}
