package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// BenchmarkFreshServePage measures the first page a freshly started
// `serve` shows: each iteration opens the archive anew (nothing kept in
// memory: no page anchors, no counts; the file's pages may be in the
// operating system's cache, as they are for a person who ran a backup
// before), readies it as `serve` does before it listens (the search
// index brought up to date, the listing orders read: start-ms), and
// times its first request of one kind of page.
func BenchmarkFreshServePage(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			path := benchArchive(b, n).Path()
			deep := n / 20 * 4 / 5
			for _, bc := range []struct{ name, path string }{
				{"first", "/"},
				{"deep-typed", "/?page=" + strconv.Itoa(deep)},
				{"search-common", "/?q=golang"},
				{"search-common-deep-typed", "/?q=golang&page=" + strconv.Itoa(deep/4)},
				{"hashtag", "/?q=%23topic7"},
				{"word-and-filter", "/?q=golang+tag:later"},
				{"word-and-date-deep-typed", "/?q=golang+after:2000-01-01&page=" + strconv.Itoa(deep/4)},
				{"date-deep-typed", "/?q=after:2000-01-01&page=" + strconv.Itoa(deep)},
			} {
				b.Run(bc.name, func(b *testing.B) {
					var times, cpu, starts []time.Duration
					for b.Loop() {
						ready := time.Now()
						a, err := sqlite.Open(context.Background(), path)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := a.IndexSearch(context.Background()); err != nil {
							b.Fatal(err)
						}
						if err := a.KeepOrders(context.Background()); err != nil {
							b.Fatal(err)
						}
						starts = append(starts, time.Since(ready))
						s, err := web.New(web.Options{Archive: a})
						if err != nil {
							b.Fatal(err)
						}
						srv := httptest.NewServer(s)
						start, startCPU := time.Now(), cpuTime()
						resp, err := http.Get(srv.URL + bc.path)
						if err != nil {
							b.Fatal(err)
						}
						resp.Body.Close()
						times, cpu = append(times, time.Since(start)), append(cpu, cpuTime()-startCPU)
						srv.Close()
						a.Close()
						if resp.StatusCode != http.StatusOK {
							b.Fatalf("GET %s: %d", bc.path, resp.StatusCode)
						}
					}
					reportPercentiles(b, times, "ms")
					reportPercentiles(b, cpu, "cpu-ms")
					reportPercentiles(b, starts, "start-ms")
				})
			}
		})
	}
}
