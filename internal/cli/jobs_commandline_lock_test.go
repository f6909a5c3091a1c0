package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/web"
)

// A job started from the command line is shown running only while its
// own run holds the destination's import lock: an interrupted import into
// bob is not shown running because another import into bob runs, and that
// one is, until it stops too.
func TestCommandLineJobRunningIsItsOwnRun(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	var first, second []string
	for i := 0; i < 60; i++ {
		first = append(first, carol.Post(mastodontest.PostOptions{}).URI())
	}
	for i := 0; i < 20; i++ {
		second = append(second, carol.Post(mastodontest.PostOptions{}).URI())
	}
	f.login(t, f.bob)
	fileA := writeFile(t, "first.csv", strings.Join(first, "\n")+"\n")
	fileB := writeFile(t, "second.csv", strings.Join(second, "\n")+"\n")

	// Job A stops halfway: rows pending, no process runs it.
	r := runTool(t, interruptAfterBookmarks(t, f.b, 10), f.home, "", "import", fileA, "--to", f.bob.Handle())
	if r.code != ExitInterrupted {
		t.Fatalf("import A: exit %d:\n%s", r.code, r.stderr)
	}
	f.b.SetLatency(0)

	// Job B runs and waits for bob's budget, holding bob's import lock.
	f.b.SetRateLimit(5, time.Minute)
	clock := newTestClock(f.net)
	gate := newWaitGate(clock)
	gate.hold()
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	doneB := make(chan run, 1)
	go func() {
		doneB <- runToolWith(t, ctxB, f.home, "", func(o *IO) { o.Now, o.Sleep = clock.Now, gate.sleep }, "import", fileB, "--to", f.bob.Handle())
	}()
	for end := time.Now().Add(60 * time.Second); gate.waiting() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("import B never waited for bob's budget")
		}
	}

	ctx := context.Background()
	env := map[string]string{"FEDIMARKS_HOME": f.home, "FEDIMARKS_KEYRING": "off"}
	a := newApp(IO{Getenv: func(k string) string { return env[k] }, Now: clock.Now})
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
	states := func() map[string]string {
		t.Helper()
		vs, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, v := range vs {
			if v.CommandLine {
				for _, name := range []string{"first.csv", "second.csv"} {
					if strings.HasSuffix(v.Spec.FileName, name) {
						out[name] = v.State
						if one, err := s.CommandJob(ctx, v.ImportJob); err != nil || one.State != v.State {
							t.Errorf("job %d alone: %v %v, listed %s", v.ImportJob, one, err, v.State)
						}
					}
				}
			}
		}
		return out
	}
	if got := states(); got["first.csv"] != web.JobInterrupted || got["second.csv"] != web.JobRunning {
		t.Errorf("while B runs: A %s, B %s; want A interrupted, B running", got["first.csv"], got["second.csv"])
	}
	stopB()
	if r := <-doneB; r.code != ExitInterrupted {
		t.Fatalf("import B: exit %d:\n%s", r.code, r.stderr)
	}
	if got := states(); got["first.csv"] != web.JobInterrupted || got["second.csv"] != web.JobInterrupted {
		t.Errorf("after B stopped: A %s, B %s; want both interrupted", got["first.csv"], got["second.csv"])
	}
}
