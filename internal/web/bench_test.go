package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// BenchmarkTimelinePage renders pages of the timeline and of a search
// over a real archive of 10,000 bookmarks, through the handler as a
// browser would ask (Host header included).
func BenchmarkTimelinePage(b *testing.B) {
	ctx := context.Background()
	a, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "archive.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	const n = 10_000
	run, err := a.StartRun(ctx, alice, false, t0)
	if err != nil {
		b.Fatal(err)
	}
	var page []fedimarks.Status
	for i := n - 1; i >= 0; i-- { // newest first
		p := postSpec{i: i, content: fmt.Sprintf(`<p>Post %d about <a href="https://example.org/%d">things</a> and #tags</p>`, i, i)}
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
	if _, err := a.IndexSearch(ctx); err != nil {
		b.Fatal(err)
	}
	s, err := web.New(web.Options{Archive: a})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, bc := range []struct{ name, path string }{
		{"first", "/"},
		{"page250", "/?page=250"},
		{"search", "/?q=things"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(srv.URL + bc.path)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d", bc.path, resp.StatusCode)
				}
			}
		})
	}
}
