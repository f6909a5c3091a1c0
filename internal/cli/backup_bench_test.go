package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// benchSizes are the archive sizes the scale benchmarks run at: 1,000 and
// 10,000 always, 100,000 only with FEDIMARKS_BENCH_LARGE=1 (it takes
// minutes to build on a small machine).
func benchSizes() []int {
	sizes := []int{1_000, 10_000}
	if os.Getenv("FEDIMARKS_BENCH_LARGE") != "" {
		sizes = append(sizes, 100_000)
	}
	return sizes
}

// sizeName is "1k", "10k", "100k".
func sizeName(n int) string { return strconv.Itoa(n/1000) + "k" }

// BenchmarkBackup measures a first backup through the whole tool (client,
// paging, backup engine, archive) against the fake server with no rate
// limit, at each of benchSizes; it reports bookmarks archived per second.
// A first backup must not slow down as the archive grows: each page costs
// the same at 100,000 bookmarks as at 1,000. It also reports bookmarks per
// second of CPU time used by the process (tool and fake server), which a
// busy machine does not skew.
func BenchmarkBackup(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(sizeName(n), func(b *testing.B) {
			net := mastodontest.NewNetwork(b)
			a := net.NewInstance(mastodontest.InstanceOptions{})
			alice := a.AddAccount("alice")
			bob := a.AddAccount("bob")
			for range n {
				alice.Bookmark(bob.Post(mastodontest.PostOptions{}))
			}
			tok := alice.Token()
			var cpu time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				home := filepath.Join(b.TempDir(), strconv.Itoa(i))
				if r := runTool(b, nil, home, tok+"\n", "login", a.URL(), "--token-stdin"); r.code != 0 {
					b.Fatal(r.stderr)
				}
				start := cpuTime()
				b.StartTimer()
				if r := runTool(b, nil, home, "", "backup"); r.code != 0 {
					b.Fatal(r.stderr)
				}
				b.StopTimer()
				cpu += cpuTime() - start
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "bookmarks/s")
			if cpu > 0 {
				// The tool and the fake server together: on a machine
				// shared with other work, wall time says more about the
				// others than about the backup.
				b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "bookmarks/cpu-s")
			}
		})
	}
}
