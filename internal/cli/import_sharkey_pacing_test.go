package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// sharkeyImport is an import of rows posts of a Mastodon server into
// mika's favorites on a Sharkey whose ap/show and notes/favorites/create
// are leaky buckets of size calls dripping one every drip, and which says
// so in X-RateLimit-Remaining and -Clear on every answer.
type sharkeyImport struct {
	dest       *mastodontest.Instance
	mika       *mastodontest.Account
	home, file string
	reports    string
	size       int
	drip       time.Duration
	want       []string
}

func newSharkeyImport(tb testing.TB, rows, size int, drip time.Duration) *sharkeyImport {
	tb.Helper()
	net := mastodontest.NewNetwork(tb)
	origin := net.NewInstance(mastodontest.InstanceOptions{})
	dest := net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Misskey, Software: "sharkey", Version: "2025.4.3"})
	s := &sharkeyImport{dest: dest, mika: dest.AddAccount("mika"), home: filepath.Join(tb.TempDir(), "home"),
		reports: tb.TempDir(), size: size, drip: drip}
	carol := origin.AddAccount("carol")
	var lines []string
	for range rows {
		p := carol.Post(mastodontest.PostOptions{})
		lines = append(lines, p.URI())
		s.want = append(s.want, p.URI())
	}
	slices.Reverse(lines)
	s.file = filepath.Join(tb.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(s.file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	if code, stderr := benchRun(s.home, s.mika.Token()+"\n", "login", dest.URL(), "--token-stdin"); code != 0 {
		tb.Fatalf("login: %s", stderr)
	}
	for _, ep := range []string{"ap/show", "notes/favorites/create"} {
		dest.SetEndpointLimit(ep, size, drip*time.Duration(size))
	}
	dest.SetAnswerJitter(10 * time.Millisecond)
	dest.ResetCounts()
	return s
}

func (s *sharkeyImport) args() []string {
	return []string{"import", s.file, "--to", s.mika.Handle(), "--report-dir", s.reports, "--yes"}
}

// used is the share of an endpoint's drips, from its first call taken to
// its last, that the calls beyond the first bucketful used.
func (s *sharkeyImport) used(endpoint string) float64 {
	taken := s.dest.SharkeyTaken(endpoint)
	if len(taken) <= s.size {
		return 0
	}
	span := taken[len(taken)-1].Sub(taken[0])
	return float64(len(taken)-s.size) * float64(s.drip) / float64(span)
}

// TestImportIntoSharkeyMeetsNo429: an import into Sharkey, whose
// endpoints are leaky buckets it tells of on every answer, with several
// resolvers in parallel: the client paces each endpoint by Sharkey's
// headers, so that no call meets a 429, and uses its drips.
func TestImportIntoSharkeyMeetsNo429(t *testing.T) {
	s := newSharkeyImport(t, 60, 20, 50*time.Millisecond)
	mustRun(t, 0, s.home, "", s.args()...)
	if got := s.mika.FavoriteURIs(); !slices.Equal(got, reversed(s.want)) {
		t.Fatalf("mika has %d favorites, want the %d rows in order", len(got), len(s.want))
	}
	if n := s.dest.Responses(429); n != 0 {
		t.Errorf("Sharkey answered 429 %d times", n)
	}
	for _, ep := range []string{"ap/show", "notes/favorites/create"} {
		u := s.used(ep)
		t.Logf("%s: %.1f%% of the drips used", ep, 100*u)
		// 95% and more on a quiet machine (BenchmarkImportAtSharkeyBudget).
		if u < 0.75 {
			t.Errorf("%s: the import used %.0f%% of the drips it spanned", ep, 100*u)
		}
	}
}

// BenchmarkImportAtSharkeyBudget imports 300 rows into a Sharkey whose
// ap/show and notes/favorites/create are buckets of 20 calls dripping one
// every 50 ms, and reports the 429 answers and the share of the drips
// each endpoint used after its first bucketful.
//
//	go test ./internal/cli -run '^$' -bench ImportAtSharkeyBudget -benchtime 1x
func BenchmarkImportAtSharkeyBudget(b *testing.B) {
	var tooMany int
	var apShow, create float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := newSharkeyImport(b, 300, 20, 50*time.Millisecond)
		b.StartTimer()
		if code, stderr := benchRun(s.home, "", s.args()...); code != 0 {
			b.Fatalf("import: exit %d: %s", code, stderr)
		}
		tooMany += s.dest.Responses(429)
		apShow += s.used("ap/show")
		create += s.used("notes/favorites/create")
	}
	b.ReportMetric(float64(tooMany)/float64(b.N), "429s/op")
	b.ReportMetric(100*apShow/float64(b.N), "ap/show-used-%")
	b.ReportMetric(100*create/float64(b.N), "create-used-%")
}
