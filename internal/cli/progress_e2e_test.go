package cli

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// saysInOrder fails unless each of subs is in s, after the one before.
func saysInOrder(t *testing.T, s string, subs ...string) {
	t.Helper()
	at := 0
	for _, sub := range subs {
		i := strings.Index(s[at:], sub)
		if i < 0 {
			t.Errorf("%q missing (or out of order) in:\n%s", sub, s)
			return
		}
		at += i + len(sub)
	}
}

// Issue 12, honest progress: a line as soon as import reads the
// destination's bookmarks (not minutes of silence: the clock here never
// moves, so no periodic line would come), with the first page's count
// (a plain line stays: it says no count before one was read), what it
// read, and a resumed job says so first.
func TestImportSaysWhatItReadsAndResumes(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	for i := 0; i < 100; i++ {
		f.bob.Bookmark(carol.Post(mastodontest.PostOptions{}))
	}
	down := f.c.AddAccount("dan").Post(mastodontest.PostOptions{}).URI()
	var rows []string
	for i := 0; i < 3; i++ {
		rows = append(rows, carol.Post(mastodontest.PostOptions{}).URI())
	}
	file := writeFile(t, "bookmarks.csv", strings.Join(rows, "\n")+"\n"+down+"\n")
	f.login(t, f.bob)
	f.c.SetDown(true)
	stopped := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func(o *IO) { o.Now = func() time.Time { return stopped } }
	args := []string{"import", file, "--to", f.bob.Handle(), "--report-dir", f.reports}
	r := runToolWith(t, nil, f.home, "", clock, args...)
	if r.code != ExitPartial {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	bob := f.bob.Handle()
	saysInOrder(t, r.stderr, "reading "+bob+"'s bookmarks: 40 so far\n", "read 100 bookmarks of "+bob+" (3 requests, 0s)\n", bob+": 4 rows: 3 imported")
	if strings.Contains(r.stderr, "resuming") {
		t.Errorf("a new job says it resumes:\n%s", r.stderr)
	}

	f.c.SetDown(false)
	r = runToolWith(t, nil, f.home, "", clock, args...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d:\n%s", r.code, r.stderr)
	}
	saysInOrder(t, r.stderr, "resuming import job 1: 3 done, 1 to do\n", bob+": 4 rows: 4 imported")

	// verify reads the destination too, and says so.
	r = runToolWith(t, nil, f.home, "", clock, "verify", file, "--to", bob)
	if r.code != 0 {
		t.Fatalf("verify: exit %d:\n%s", r.code, r.stderr)
	}
	saysInOrder(t, r.stderr, "reading "+bob+"'s bookmarks: 40 so far\n", "read 104 bookmarks of "+bob+" (3 requests, 0s)\n", bob+": 104 bookmarked")
}

// Issue 12: the bar's ETA comes from the budget the server reports, not
// from the speed of the last burst, and a wait shows in the bar, not in
// a line per waiting request. The clock moves 20 ms a look (a fast
// burst) and jumps over the waits.
func TestImportBarShowsWaitsAndBudgetETA(t *testing.T) {
	f := newFediverse(t)
	c := newTestClock(f.net)
	carol := f.a.AddAccount("carol")
	var rows []string
	for i := 0; i < 20; i++ {
		rows = append(rows, carol.Post(mastodontest.PostOptions{}).URI())
	}
	file := writeFile(t, "bookmarks.csv", strings.Join(rows, "\n")+"\n")
	f.login(t, f.bob)
	f.b.SetRateLimit(10, 5*time.Minute)
	yes := true
	r := runToolWith(t, nil, f.home, "", func(o *IO) {
		o.Now = func() time.Time { c.Advance(20 * time.Millisecond); return c.Now() }
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if d > 0 {
				c.Advance(d)
			}
			return ctx.Err()
		}
		o.StderrIsTerminal = &yes
	}, "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if got := len(f.bob.BookmarkURIs()); got != 20 {
		t.Fatalf("bob has %d bookmarks, want 20", got)
	}
	// Lines (what stays on screen) never tell of a wait.
	for _, line := range strings.Split(r.stderr, "\n") {
		shown := line[strings.LastIndex(line, "\r")+1:]
		if strings.Contains(shown, "waiting") {
			t.Errorf("a wait left a line: %q", shown)
		}
	}
	// Frames with 11 rows or more left (22 requests, 10 a window) must
	// show an ETA past the next window (5 minutes at least) and not
	// beyond the last one (4 windows); the rate, after waits or during a
	// burst, says anything.
	var waits, short []string
	etas := 0
	eta := regexp.MustCompile(`(\d+)/20 rows.*ETA (?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?`)
	for _, frame := range strings.Split(r.stderr, "\r") {
		if !strings.HasPrefix(frame, "import "+f.bob.Handle()) {
			continue
		}
		if strings.Contains(frame, "waiting") {
			waits = append(waits, frame)
		}
		m := eta.FindStringSubmatch(frame)
		if m == nil {
			continue
		}
		etas++
		var d time.Duration
		for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
			n, _ := strconv.Atoi(m[i+2])
			d += time.Duration(n) * unit
		}
		if done, _ := strconv.Atoi(m[1]); done <= 9 && (d < 5*time.Minute || d > 20*time.Minute) {
			short = append(short, strings.TrimSpace(frame))
		}
	}
	if len(waits) == 0 || !strings.Contains(waits[0], "for the rate limit") {
		t.Errorf("no bar told of the rate-limit wait; frames with a wait: %q", waits)
	}
	if etas == 0 || len(short) > 0 {
		t.Errorf("%d frames with an ETA; these promise other than the rate limit allows: %q", etas, short)
	}
}
