package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// BenchmarkImportDryRun100k runs `import --dry-run` of a 100,000-row
// Mastodon CSV (posts on another server, no visibility in the file, none
// of them in the archive) through the whole tool against the fake server,
// and reports rows per second and the megabytes allocated per run.
func BenchmarkImportDryRun100k(b *testing.B) {
	const rows = 100_000
	net := mastodontest.NewNetwork(b)
	dst := net.NewInstance(mastodontest.InstanceOptions{})
	bob := dst.AddAccount("bob")
	var sb strings.Builder
	for i := rows; i > 0; i-- { // newest bookmark first, as Mastodon writes it
		fmt.Fprintf(&sb, "https://elsewhere.example/users/u%d/statuses/%d\n", i%977, 100000000+i)
	}
	file := filepath.Join(b.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	home := filepath.Join(b.TempDir(), "home")
	if code, stderr := benchRun(home, bob.Token()+"\n", "login", dst.URL(), "--token-stdin"); code != 0 {
		b.Fatalf("login: %s", stderr)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if code, stderr := benchRun(home, "", "import", file, "--to", bob.Handle(), "--dry-run"); code != 0 {
			b.Fatalf("import --dry-run: exit %d: %s", code, stderr)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MB-alloc/op")
}
