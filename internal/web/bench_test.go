package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// benchSizes are the archive sizes the page benchmarks run at: 1,000 and
// 10,000 always, 100,000 only with FEDIMARKS_BENCH_LARGE=1 (building it
// takes a minute or two).
func benchSizes() []int {
	sizes := []int{1_000, 10_000}
	if os.Getenv("FEDIMARKS_BENCH_LARGE") != "" {
		sizes = append(sizes, 100_000)
	}
	return sizes
}

// benchArchive writes an archive of n bookmarks as a backup does. Every
// fourth post says "golang" (a common word: a quarter of the archive
// matches), every hundredth "rust", one in 10,000 "zanzibar"; every tenth
// has a content warning.
func benchArchive(b *testing.B, n int) *sqlite.Archive {
	ctx := context.Background()
	a, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "archive.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	run, err := a.StartRun(ctx, alice, false, t0)
	if err != nil {
		b.Fatal(err)
	}
	var page []fedimarks.Status
	for i := n - 1; i >= 0; i-- { // newest first
		words := "things"
		if i%4 == 0 {
			words += " golang"
		}
		if i%100 == 0 {
			words += " rust"
		}
		if i%10_000 == 0 {
			words += " zanzibar"
		}
		p := postSpec{i: i, content: fmt.Sprintf(`<p>Post %d about <a href="https://example.org/%d">%s</a> and #tags</p>`, i, i, words)}
		if i%10 == 0 {
			p.spoiler = "a warning"
		}
		page = append(page, p.status(b))
		if len(page) == 1000 {
			if err := a.SavePage(ctx, run, page, "", t0); err != nil {
				b.Fatal(err)
			}
			page = page[:0]
		}
	}
	if _, err := a.FinishRun(ctx, run, t0); err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkTimelinePage asks for pages of the timeline and of searches
// over archives of benchSizes bookmarks, through the handler as a browser
// would, and reports the 50th and 95th percentile of the page times. A
// page must cost about the same however large the archive: deep pages
// (typed as ?page=N, or reached by the older links, which carry a cursor)
// and searches included.
func BenchmarkTimelinePage(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			a := benchArchive(b, n)
			s, err := web.New(web.Options{Archive: a})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(s)
			defer srv.Close()
			deep := n / 20 * 4 / 5 // 80 % down: page 4,000 of 100,000
			for _, bc := range []struct{ name, path string }{
				{"first", "/"},
				{"deep", "/?page=" + strconv.Itoa(deep)},
				{"deep-link", olderPage(b, srv.URL, "/?page="+strconv.Itoa(deep-1))},
				{"search-common", "/?q=golang"},
				{"search-common-deep", "/?q=golang&page=" + strconv.Itoa(deep/4)},
				{"search-common-deep-link", olderPage(b, srv.URL, "/?q=golang&page="+strconv.Itoa(deep/4-1))},
				{"search-rare", "/?q=rust"},
				{"search-filter", "/?q=rust+has:media"},
			} {
				b.Run(bc.name, func(b *testing.B) {
					var times []time.Duration
					for b.Loop() {
						start := time.Now()
						resp, err := http.Get(srv.URL + bc.path)
						if err != nil {
							b.Fatal(err)
						}
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							b.Fatalf("GET %s: %d", bc.path, resp.StatusCode)
						}
						times = append(times, time.Since(start))
					}
					reportPercentiles(b, times)
				})
			}
		})
	}
}

// olderPage returns the address of the page after path as its older link
// gives it (with the cursor a person following the links gets).
func olderPage(b *testing.B, base, path string) string {
	resp, err := http.Get(base + path)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	m := olderLink.FindSubmatch(body)
	if m == nil {
		b.Fatalf("GET %s: no older link", path)
	}
	return html.UnescapeString(string(m[1]))
}

// reportPercentiles reports the 50th and 95th percentile of times in ms.
func reportPercentiles(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	at := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "ms-p50")
	b.ReportMetric(at(0.95), "ms-p95")
}
