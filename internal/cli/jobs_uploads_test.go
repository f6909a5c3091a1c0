package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestUploadsKeptWhileNeeded follows an uploaded file through the page's
// jobs (the job service below Main, a real archive and fake servers): the
// dry run keeps it for the move; a move cut short keeps it, across a
// restart; once the move ends it is deleted, and Retry and Verify work
// from the journal without it; files of DATA/uploads no job names are
// deleted at start once older than a moment, a dry run's upload a week
// after its move never ran; the file given to a command is never touched.
func TestUploadsKeptWhileNeeded(t *testing.T) {
	f := newFediverse(t)
	erin := f.c.AddAccount("erin")
	var csv, mine strings.Builder
	for i := range 65 {
		s := f.alice.Post(mastodontest.PostOptions{})
		if i%13 == 5 {
			s = erin.Post(mastodontest.PostOptions{})
		}
		csv.WriteString(s.URI() + "\n")
	}
	for range 2 {
		mine.WriteString(f.alice.Post(mastodontest.PostOptions{}).URI() + "\n")
	}
	f.login(t, f.bob)
	cliFile := writeFile(t, "mine.csv", mine.String())
	mustRun(t, ExitOK, f.home, "", "import", cliFile, "--to", f.bob.Handle())
	f.c.SetDown(true)
	f.b.SetRateLimit(20, time.Second)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	service := func(shift time.Duration) *jobService {
		t.Helper()
		env := map[string]string{"FEDIMARKS_HOME": f.home, "FEDIMARKS_KEYRING": "off"}
		a := newApp(IO{Getenv: func(k string) string { return env[k] }, Backoff: 5 * time.Millisecond,
			Now: func() time.Time { return time.Now().Add(shift) }})
		t.Cleanup(a.close)
		ar, err := a.openArchive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s, err := newJobService(ctx, a, ar)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Wait)
		return s
	}
	s := service(0)
	view := func(s *jobService, id int64) *web.JobView {
		t.Helper()
		v, err := s.Job(ctx, id)
		if err != nil || v == nil {
			t.Fatalf("job %d: %v %v", id, v, err)
		}
		return v
	}
	run := func(s *jobService, spec web.JobSpec) *web.JobView {
		t.Helper()
		id, err := s.Start(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if v := view(s, id); v.State != web.JobRunning {
				s.Wait() // the job's end is recorded, then its uploads swept
				return v
			}
			if time.Now().After(end) {
				t.Fatalf("%s still running after 60s", spec.Title())
			}
		}
	}
	kept := func(when, path string, want bool) {
		t.Helper()
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: %s kept %v, want %v", when, filepath.Base(path), err == nil, want)
		}
	}
	upload, err := s.Stage(ctx, "bookmarks.csv", strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(upload)
	spec := web.JobSpec{Kind: web.JobMove, File: upload, FileName: "bookmarks.csv", To: f.bob.Handle(), DryRun: true}
	if v := run(s, spec); v.State != web.JobDone {
		t.Fatalf("dry run: %s %s", v.State, v.Message)
	}
	kept("after the dry run", upload, true)

	// The move, cut short: kept for Resume, across a restart.
	spec.DryRun = false
	id, err := s.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for v := view(s, id); v.Counts["imported"] < 5; v = view(s, id) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	for view(s, id).State == web.JobRunning {
		time.Sleep(20 * time.Millisecond)
	}
	s.Wait()
	if v := view(s, id); v.State != web.JobInterrupted {
		t.Fatalf("cancelled move: %s", v.State)
	}
	kept("interrupted", upload, true)
	old, fresh := filepath.Join(dir, "upload-1-old.csv"), filepath.Join(dir, "upload-2-fresh.csv")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte(csv.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hourAgo := time.Now().Add(-time.Hour)
	os.Chtimes(old, hourAgo, hourAgo)
	s = service(0) // fedimarks restarted
	kept("interrupted, after a restart", upload, true)
	kept("an old file no job names", old, false)
	kept("a file no job names, just uploaded", fresh, true)

	// Resumed to the end: no job needs it any more.
	v := run(s, spec)
	if v.State != web.JobDone || v.Counts["imported"] != 60 || v.Counts["unreachable"] != 5 {
		t.Fatalf("resumed move: %s %v %s", v.State, v.Counts, v.Message)
	}
	kept("after the move", upload, false)
	if dry := view(s, 1); !dry.SourceGone {
		t.Errorf("the dry run's page does not say its upload is gone")
	}

	// Retry and Verify from the journal.
	f.c.SetDown(false)
	retry := spec
	retry.RetryFailed, retry.Job = true, v.ImportJob
	if r := run(s, retry); r.State != web.JobDone || r.ImportJob != v.ImportJob || r.Counts["imported"] != 65 {
		t.Errorf("retry without the upload: %s job %d %v %s", r.State, r.ImportJob, r.Counts, r.Message)
	}
	if n := len(f.bob.BookmarkURIs()); n != 67 {
		t.Errorf("bob has %d bookmarks, want 67", n)
	}
	ver := run(s, web.JobSpec{Kind: web.JobVerify, File: upload, FileName: "bookmarks.csv", To: f.bob.Handle(), Job: v.ImportJob})
	if ver.State != web.JobDone || !strings.Contains(ver.Summary, "65 bookmarked") || !strings.Contains(ver.Summary, "0 missing") {
		t.Errorf("verify without the upload: %s %q %s", ver.State, ver.Summary, ver.Message)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "verify-*")); len(left) != 0 {
		t.Errorf("verify left %v", left)
	}

	// A dry run whose move never runs: its upload goes a week later.
	second, err := s.Stage(ctx, "again.csv", strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	if r := run(s, web.JobSpec{Kind: web.JobMove, File: second, FileName: "again.csv", To: f.bob.Handle(), DryRun: true}); r.State != web.JobDone {
		t.Fatalf("second dry run: %s %s", r.State, r.Message)
	}
	service(6 * 24 * time.Hour)
	kept("six days after a dry run", second, true)
	service(8 * 24 * time.Hour)
	kept("eight days after a dry run", second, false)
	kept("the file given to import", cliFile, true)
}
