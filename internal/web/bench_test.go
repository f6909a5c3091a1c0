package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
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
// has a content warning; each carries one of 50 hashtags (#topic0 to
// #topic49: 2 % each). Every 50th bookmark has the local tag "later"
// (2 %), every 1,000th also "keep" (0.1 %).
func benchArchive(b *testing.B, n int) *sqlite.Archive {
	return cachedBenchArchive(b, n, func(path string) *sqlite.Archive { return buildBenchArchive(b, n, path) })
}

// buildBenchArchive writes benchArchive's archive of n bookmarks at path.
func buildBenchArchive(b *testing.B, n int, path string) *sqlite.Archive {
	ctx := context.Background()
	a, err := sqlite.Open(ctx, path)
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
		p := postSpec{i: i, content: fmt.Sprintf(`<p>Post %d about <a href="https://example.org/%d">%s</a> and #topic%d</p>`, i, i, words, i%50)}
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
	for i := 0; i < n; i += 50 {
		tags := []string{"later"}
		if i%1000 == 0 {
			tags = append(tags, "keep")
		}
		if err := a.SetTags(ctx, alice, postSpec{i: i}.uri(), tags); err != nil {
			b.Fatal(err)
		}
	}
	return a
}

// BenchmarkTimelinePage asks for pages of the timeline and of searches
// over archives of benchSizes bookmarks, through the handler as a browser
// would, and reports the 50th and 95th percentile of the page times per
// kind of page. A page must cost about the same however large the
// archive: deep pages (typed as ?page=N, or reached by the older links,
// which carry a cursor) and searches included. The "-cold" kinds change
// the archive (a tag) before each request, so that nothing kept from the
// request before helps; "-after-backup" saves a new bookmark before each,
// through the same archive (a backup run from the page) or, for
// "-after-other-backup", through another (a scheduled one beside serve).
func BenchmarkTimelinePage(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			a := benchArchive(b, n)
			if err := a.KeepOrders(context.Background()); err != nil { // as serve does
				b.Fatal(err)
			}
			s, err := web.New(web.Options{Archive: a})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(s)
			defer srv.Close()
			deep := n / 20 * 4 / 5 // 80 % down: page 4,000 of 100,000
			touch := func(i int) {
				// A change to the archive between requests: a tag
				// set and taken off again.
				tags := []string{"later"}
				if i%2 == 0 {
					tags = append(tags, "bench")
				}
				if err := a.SetTags(context.Background(), alice, postSpec{i: 0}.uri(), tags); err != nil {
					b.Fatal(err)
				}
			}
			// Another process's archive (its own connections, nothing
			// kept in common): a scheduled backup beside serve.
			other, err := sqlite.Open(context.Background(), a.Path())
			if err != nil {
				b.Fatal(err)
			}
			defer other.Close()
			added := 0
			backup := func(a *sqlite.Archive) {
				// A backup between requests that finds one new
				// bookmark: every listing moves.
				run, err := a.StartRun(context.Background(), alice, false, t0)
				if err != nil {
					b.Fatal(err)
				}
				added++
				s := postSpec{i: n + added, content: "<p>a new one</p>"}.status(b)
				if err := a.SavePage(context.Background(), run, []fedimarks.Status{s}, "", t0); err != nil {
					b.Fatal(err)
				}
				if _, err := a.FinishRun(context.Background(), run, t0); err != nil {
					b.Fatal(err)
				}
			}
			for _, bc := range []struct {
				name, path    string
				cold, backups bool
				other         bool // the backups run in another process
			}{
				{"first", "/", false, false, false},
				{"deep-link", olderPage(b, srv.URL, "/?page="+strconv.Itoa(deep-1)), false, false, false},
				{"deep-typed", "/?page=" + strconv.Itoa(deep), false, false, false},
				{"deep-typed-cold", "/?page=" + strconv.Itoa(deep), true, false, false},
				{"deep-typed-after-backup", "/?page=" + strconv.Itoa(deep), false, true, false},
				{"search-rare", "/?q=zanzibar", false, false, false},
				{"search-1pc", "/?q=rust", false, false, false},
				{"search-common", "/?q=golang", false, false, false},
				{"search-common-cold", "/?q=golang", true, false, false},
				{"search-common-after-backup", "/?q=golang", false, true, false},
				{"search-common-deep-link", olderPage(b, srv.URL, "/?q=golang&page="+strconv.Itoa(deep/4-1)), false, false, false},
				{"search-common-deep-typed", "/?q=golang&page=" + strconv.Itoa(deep/4), false, false, false},
				{"search-common-deep-typed-cold", "/?q=golang&page=" + strconv.Itoa(deep/4), true, false, false},
				{"search-common-deep-typed-after-backup", "/?q=golang&page=" + strconv.Itoa(deep/4), false, true, false},
				{"hashtag", "/?q=%23topic7", false, false, false},
				{"hashtag-cold", "/?q=%23topic7", true, false, false},
				{"hashtag-after-backup", "/?q=%23topic7", false, true, false},
				{"search-common-after-other-backup", "/?q=golang", false, true, true},
				{"search-common-deep-typed-after-other-backup", "/?q=golang&page=" + strconv.Itoa(deep/4), false, true, true},
				{"hashtag-after-other-backup", "/?q=%23topic7", false, true, true},
				{"tag-filter", "/?q=tag:later", false, false, false},
				{"tag-filter-rare", "/?q=tag:keep", false, false, false},
				{"word-and-filter", "/?q=golang+tag:later", false, false, false},
			} {
				b.Run(bc.name, func(b *testing.B) {
					var times, cpu []time.Duration
					i := 0
					for b.Loop() {
						if bc.cold {
							touch(i)
						}
						switch {
						case bc.backups && bc.other:
							backup(other)
						case bc.backups:
							backup(a)
						}
						i++
						start, startCPU := time.Now(), cpuTime()
						resp, err := http.Get(srv.URL + bc.path)
						if err != nil {
							b.Fatal(err)
						}
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							b.Fatalf("GET %s: %d", bc.path, resp.StatusCode)
						}
						times, cpu = append(times, time.Since(start)), append(cpu, cpuTime()-startCPU)
					}
					reportPercentiles(b, times, "ms")
					reportPercentiles(b, cpu, "cpu-ms")
				})
			}
			// What one backup run that finds one new bookmark costs
			// the backup, its storing of the timeline's page anchors
			// included (migration 0087).
			b.Run("backup-run", func(b *testing.B) {
				var times []time.Duration
				for b.Loop() {
					start := time.Now()
					backup(a)
					times = append(times, time.Since(start))
				}
				reportPercentiles(b, times, "ms")
			})
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

// reportPercentiles reports the 50th and 95th percentile of times in ms,
// as unit-p50 and unit-p95.
func reportPercentiles(b *testing.B, times []time.Duration, unit string) {
	slices.Sort(times)
	at := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), unit+"-p50")
	b.ReportMetric(at(0.95), unit+"-p95")
}
