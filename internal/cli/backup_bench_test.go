package cli

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// BenchmarkBackup measures a first backup of 1,000 bookmarks through the
// whole tool (client, paging, archive) against the fake server with no
// rate limit; it reports bookmarks archived per second.
func BenchmarkBackup(b *testing.B) {
	net := mastodontest.NewNetwork(b)
	a := net.NewInstance(mastodontest.InstanceOptions{})
	alice := a.AddAccount("alice")
	bob := a.AddAccount("bob")
	for i := 0; i < 1000; i++ {
		alice.Bookmark(bob.Post(mastodontest.PostOptions{}))
	}
	tok := alice.Token()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		home := filepath.Join(b.TempDir(), strconv.Itoa(i))
		if r := runTool(b, nil, home, tok+"\n", "login", a.URL(), "--token-stdin"); r.code != 0 {
			b.Fatal(r.stderr)
		}
		b.StartTimer()
		if r := runTool(b, nil, home, "", "backup"); r.code != 0 {
			b.Fatal(r.stderr)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "bookmarks/s")
}
