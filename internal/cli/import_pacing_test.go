package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// budgetImport is an import of rows posts of another server into bob on
// a Mastodon destination that allows limit requests per window, stamps
// each answer's reset with the request's sub-second part and answers out
// of order (up to 20 ms late), as a busy Mastodon does.
type budgetImport struct {
	net           *mastodontest.Network
	dest          *mastodontest.Instance
	bob           *mastodontest.Account
	token         string
	home, file    string
	limit         int
	window        time.Duration
	reports       string
	wantBookmarks []string
}

func newBudgetImport(tb testing.TB, rows, limit int, window time.Duration) *budgetImport {
	tb.Helper()
	net := mastodontest.NewNetwork(tb)
	origin := net.NewInstance(mastodontest.InstanceOptions{})
	dest := net.NewInstance(mastodontest.InstanceOptions{})
	carol := origin.AddAccount("carol")
	b := &budgetImport{net: net, dest: dest, bob: dest.AddAccount("bob"), limit: limit, window: window,
		home: filepath.Join(tb.TempDir(), "home"), reports: tb.TempDir()}
	var lines []string
	for range rows {
		s := carol.Post(mastodontest.PostOptions{})
		lines = append(lines, s.URI())
		b.wantBookmarks = append(b.wantBookmarks, s.URI())
	}
	slices.Reverse(lines) // newest first, as Mastodon writes the file
	b.file = filepath.Join(tb.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(b.file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	b.token = b.bob.Token()
	if code, stderr := benchRun(b.home, b.token+"\n", "login", dest.URL(), "--token-stdin"); code != 0 {
		tb.Fatalf("login: %s", stderr)
	}
	dest.SetRateLimit(limit, window)
	dest.SetAnswerJitter(20 * time.Millisecond)
	dest.ResetCounts()
	return b
}

func (b *budgetImport) args() []string {
	return []string{"import", b.file, "--to", b.bob.Handle(), "--report-dir", b.reports, "--yes"}
}

// budgetUse is how the import used the destination's windows.
type budgetUse struct {
	windows int     // windows from the first request's to the last's
	used    float64 // share of the budget of the windows between the first and the last (both partial) used
	// late is, for each window that followed a spent one (the client had
	// to wait for it), how long after its start its first request came.
	late []time.Duration
}

func (b *budgetImport) use() budgetUse {
	ws := b.dest.RateWindows(b.token)
	var u budgetUse
	if len(ws) == 0 {
		return u
	}
	first, last := ws[0].Start, ws[len(ws)-1].Start
	u.windows = int(last.Sub(first)/b.window) + 1
	if u.windows > 2 {
		used := 0
		for _, w := range ws[1 : len(ws)-1] {
			used += w.Used
		}
		u.used = float64(used) / float64((u.windows-2)*b.limit)
	}
	for k := 1; k < len(ws); k++ {
		prev := ws[k-1]
		if prev.Used+prev.Refused >= b.limit {
			u.late = append(u.late, ws[k].First.Sub(prev.Start.Add(b.window)))
		}
	}
	return u
}

// TestImportAtTheBudgetMeetsNo429: an import with several resolvers in
// parallel against a Mastodon that counts 30 requests a second, stamps
// resets with sub-second parts and answers out of order: the client paces
// itself so that the server never answers 429, and still uses the
// windows it waits for (none skipped, each nearly spent).
func TestImportAtTheBudgetMeetsNo429(t *testing.T) {
	b := newBudgetImport(t, 80, 30, time.Second)
	mustRun(t, 0, b.home, "", b.args()...)
	if got := reversed(b.bob.BookmarkURIs()); !slices.Equal(got, b.wantBookmarks) {
		t.Fatalf("bob has %d bookmarks, want the %d rows in order", len(got), len(b.wantBookmarks))
	}
	if n := b.dest.Responses(429); n != 0 {
		t.Errorf("the server answered 429 %d times", n)
	}
	u := b.use()
	t.Logf("%d windows, %.1f%% of the budget used, first request after a spent window: %v", u.windows, 100*u.used, u.late)
	if u.windows < 5 {
		t.Fatalf("the import spanned %d windows: not at the budget", u.windows)
	}
	// 95% and more on a quiet machine (BenchmarkImportAtTheBudget); a
	// client that skips windows or leaves a quarter of each unused fails.
	if u.used < 0.85 {
		t.Errorf("the import used %.0f%% of the budget of the windows it spanned", 100*u.used)
	}
	for _, l := range u.late {
		if l > 500*time.Millisecond {
			t.Errorf("a window's first request came %v after its start (waits: %v)", l, u.late)
			break
		}
	}
}

// BenchmarkImportAtTheBudget imports 300 rows into a Mastodon that allows
// 60 requests per window (Mastodon-style resets, answers out of order) and
// reports the 429 answers, the share of the budget used and how late the
// first request of a window came after a spent one (p50, max).
//
//	go test ./internal/cli -run '^$' -bench ImportAtTheBudget -benchtime 1x
func BenchmarkImportAtTheBudget(b *testing.B) {
	for _, window := range []time.Duration{2 * time.Second, 10 * time.Second} {
		b.Run(fmt.Sprintf("60per%v", window), func(b *testing.B) {
			var tooMany, windows int
			var used float64
			var late []time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				bi := newBudgetImport(b, 300, 60, window)
				b.StartTimer()
				if code, stderr := benchRun(bi.home, "", bi.args()...); code != 0 {
					b.Fatalf("import: exit %d: %s", code, stderr)
				}
				tooMany += bi.dest.Responses(429)
				u := bi.use()
				windows += u.windows
				used += u.used
				late = append(late, u.late...)
			}
			slices.Sort(late)
			b.ReportMetric(float64(tooMany)/float64(b.N), "429s/op")
			b.ReportMetric(100*used/float64(b.N), "budget-used-%")
			b.ReportMetric(float64(windows)/float64(b.N), "windows/op")
			if len(late) > 0 {
				b.ReportMetric(late[len(late)/2].Seconds(), "late-p50-s")
				b.ReportMetric(late[len(late)-1].Seconds(), "late-max-s")
			}
		})
	}
}

// TestImportOddRateLimitHeadersWarnOnce: a destination whose resets are
// no time at all: the import still brings every row in order, waiting
// growing times when the budget is spent, and says once on stderr what is
// odd about the server's headers.
func TestImportOddRateLimitHeadersWarnOnce(t *testing.T) {
	b := newBudgetImport(t, 12, 10, time.Second)
	b.dest.SetRateHeaders(mastodontest.ResetGarbage)
	// The growing waits pass on a fake clock, the server's too.
	r := newWaitGate(newTestClock(b.net)).at(t, 0, b.home, "", b.args()...)
	t.Logf("%d answers of 429; stderr:\n%s", b.dest.Responses(429), r.stderr)
	if got := reversed(b.bob.BookmarkURIs()); !slices.Equal(got, b.wantBookmarks) {
		t.Fatalf("bob has %d bookmarks, want the %d rows in order", len(got), len(b.wantBookmarks))
	}
	want := "Warning: " + b.dest.Host() + ` sends an odd rate-limit header X-RateLimit-Reset "soon" (not a time; pacing by growing waits instead)`
	if n := strings.Count(r.stderr, "odd rate-limit header"); n != 1 || !strings.Contains(r.stderr, want+"\n") {
		t.Errorf("stderr should say once %q:\n%s", want, r.stderr)
	}
}
