package mastodon

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkBookmarksPage fetches and decodes a full page of 40 statuses
// from a local server; it reports the cost of one page round trip.
func BenchmarkBookmarksPage(b *testing.B) {
	var parts []string
	for i := 0; i < 40; i++ {
		parts = append(parts, statusJSON(fmt.Sprint(1000-i)))
	}
	body := "[" + strings.Join(parts, ",") + "]"
	srv := newServerB(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<http://`+r.Host+`/api/v1/bookmarks?limit=40&max_id=1>; rel="next"`)
		fmt.Fprint(w, body)
	})
	c := New(Options{Server: srv, Token: testToken})
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := c.BookmarksPage(ctx, "")
		if err != nil || len(p.Statuses) != 40 {
			b.Fatalf("page: %d statuses, %v", len(p.Statuses), err)
		}
	}
}
