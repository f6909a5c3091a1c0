package web_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/browsertest"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestBrowserNarrow loads zoe's timeline and a search in a real chromium
// at 1280 and 390 CSS pixels (a phone): the document never scrolls
// sideways (scrollWidth <= clientWidth) despite a very long URL, word and
// handle; no handle breaks inside its user or host (each is on one line;
// one too long for it is cut with an ellipsis); the lock and
// envelope marks load and have words; Arabic text is laid out from the
// right and English from the left. It saves a screenshot of each page at
// each width (kept with go test -artifacts, or in FEDIMARKS_SCREENSHOTS).
func TestBrowserNarrow(t *testing.T) {
	s, err := web.New(web.Options{Archive: newZoeFixture(t), Location: time.FixedZone(cet, 3600)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx := browsertest.New(t, 1280, 1000, 90*time.Second)

	pages := map[string]string{
		"timeline": "/",
		"search":   "/?account=" + url.QueryEscape(string(zoe)) + "&q=quokka",
	}
	for _, width := range []int64{1280, 390} {
		for _, name := range []string{"timeline", "search"} {
			at := fmt.Sprintf("%s at %d px", name, width)
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(srv.URL+pages[name]),
				chromedp.WaitVisible(chromedp.CSS(`article.post`)),
			)
			if err != nil {
				t.Fatalf("%s: %v", at, err)
			}
			// Open the content warnings: their text is laid out too.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('details').forEach(d => d.open = true), 0`)); err != nil {
				t.Fatal(err)
			}
			sw, cw, err := browsertest.NoSidewaysScroll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if sw > cw {
				t.Errorf("%s scrolls sideways: scrollWidth %d > clientWidth %d", at, sw, cw)
			}
			broken, err := browsertest.Broken(ctx, `.handle > span, nav.accounts a > span`)
			if err != nil {
				t.Fatal(err)
			}
			if len(broken) > 0 {
				t.Errorf("%s: handles broken inside a word: %q", at, broken)
			}
			marks, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('img.vis')]
				.filter(i => i.complete && i.naturalWidth > 0).map(i => i.alt)`))
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"timeline": 2, "search": 1}[name]; len(marks) != want {
				t.Errorf("%s: visibility marks loaded with words: %q, want %d", at, marks, want)
			}
			if name == "timeline" {
				bad, err := browsertest.CheckDirection(ctx, "مرحبا", "English paragraph")
				if err != nil {
					t.Fatal(err)
				}
				if bad != "" {
					t.Errorf("%s: %s", at, bad)
				}
			}
			browsertest.Screenshot(t, ctx, fmt.Sprintf("%s-%d.png", name, width))
		}
	}
}
