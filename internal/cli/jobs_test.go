package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestJobServiceCancelAndResume runs the page's job service below Main:
// a move from an account runs migrate's code (a backup of the source
// first, then the import job, which `fedimarks status` sees running);
// Cancel stops it interrupted, with the command's resume hint; started
// again, the same import job goes on and ends with every row.
func TestJobServiceCancelAndResume(t *testing.T) {
	f := newFediverse(t)
	for i := 0; i < 120; i++ {
		f.alice.Bookmark(f.alice.Post(mastodontest.PostOptions{}))
	}
	f.login(t, f.alice, f.bob)
	f.b.SetRateLimit(40, 2*time.Second)
	// bob's server and the tool share a fake clock; the run's first wait
	// for bob's budget holds until the job was cancelled, so that it is
	// cancelled mid-run for certain, and the resumed run waits no real time.
	clock := newTestClock(f.net)
	gate := newWaitGate(clock)
	gate.hold()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	env := map[string]string{"FEDIMARKS_HOME": f.home, "FEDIMARKS_KEYRING": "off"}
	a := newApp(IO{Getenv: func(k string) string { return env[k] }, Backoff: 5 * time.Millisecond, Now: clock.Now, Sleep: gate.sleep})
	defer a.close()
	ar, err := a.openArchive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newJobService(ctx, a, ar)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Wait()
	spec := web.JobSpec{Kind: web.JobMove, From: f.alice.Handle(), To: f.bob.Handle()}
	view := func(id int64) *web.JobView {
		t.Helper()
		v, err := s.Job(ctx, id)
		if err != nil || v == nil {
			t.Fatalf("job %d: %v %v", id, v, err)
		}
		return v
	}
	until := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(60 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("not so after 60s: %s", what)
			}
		}
	}
	id, err := s.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	var v *web.JobView
	until("rows written", func() bool { v = view(id); return v.Counts["imported"] > 0 })
	if v.State != web.JobRunning || v.ImportJob == 0 || len(v.Steps) == 0 {
		t.Fatalf("running job: %+v", v)
	}
	until("waiting for bob's budget", func() bool { return gate.waiting() > 0 })
	if st := clock.at(t, ExitOK, f.home, "", "status"); !strings.Contains(st.stdout, "import into "+f.bob.Handle()) {
		t.Errorf("status does not show the page's import running:\n%s", st.stdout)
	}
	if err := s.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	until("interrupted", func() bool { v = view(id); return v.State != web.JobRunning })
	if v.State != sqlite.PageJobInterrupted || !strings.Contains(v.Hint, "fedimarks migrate --from "+f.alice.Handle()) {
		t.Errorf("cancelled: %s %q %q", v.State, v.Message, v.Hint)
	}
	first := v.ImportJob
	if n := len(f.bob.BookmarkURIs()); n == 0 || n >= 120 {
		t.Fatalf("cancelled with %d rows written, want some but not all", n)
	}
	gate.release()
	id2, err := s.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	until("resumed run ends", func() bool { v = view(id2); return v.State != web.JobRunning })
	if v.State != web.JobDone || v.ImportJob != first || v.Counts["imported"] != 120 || len(f.bob.BookmarkURIs()) != 120 {
		t.Errorf("resumed: %s job %d (first %d), counts %v, bob has %d; %s", v.State, v.ImportJob, first, v.Counts, len(f.bob.BookmarkURIs()), v.Message)
	}
	if gate.waits() == 0 {
		t.Error("the resumed run never waited for bob's budget: the scenario no longer paces the run")
	}
}
