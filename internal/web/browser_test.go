package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/web"
)

// findChromium returns the browser to drive. Without one the test is
// skipped locally but fails in CI, where .ci/run installs Debian's
// chromium.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (CI must run the browser test: apt-get install chromium)")
	}
	t.Skip("chromium is not installed; skipping the browser test")
	return ""
}

// TestBrowser loads the page in a real headless chromium: the timeline
// shows, a search finds a known post, paging works, the XSS payloads
// stored in a post, its content warning and its author's name do not
// run, and a screenshot is saved.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browser := findChromium(t)
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive, Media: f.media, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s) // 127.0.0.1
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1400),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	// noXSS checks that nothing of the payloads ran or became an element.
	noXSS := func(when string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			xssType, err := chromedp.Evaluate[string](`typeof window.xss`)(ctx, tg)
			if err != nil {
				return err
			}
			scripts, err := chromedp.Evaluate[int](`document.querySelectorAll('script').length`)(ctx, tg)
			if err != nil {
				return err
			}
			injected, err := chromedp.Evaluate[int](`document.querySelectorAll('img[src="x"], svg, [onerror], [onload], a[href^="javascript"]').length`)(ctx, tg)
			if err != nil {
				return err
			}
			if xssType != "undefined" || scripts != 0 || injected != 0 {
				t.Errorf("%s: typeof window.xss = %q, %d script elements, %d injected elements", when, xssType, scripts, injected)
			}
			return nil
		})
	}
	text := func(sel string) (string, error) { return chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel))) }

	// Page 1: the timeline, the XSS post on it; open its content warning.
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`article.post`)),
		noXSS("page 1"),
		chromedp.Click(chromedp.CSS(`details.cw summary`)),
		chromedp.WaitVisible(chromedp.CSS(`details.cw[open] .content`)),
		noXSS("content warning opened"),
	)
	if err != nil {
		t.Fatalf("page 1: %v", err)
	}
	if summary, err := text(`#summary`); err != nil || !strings.Contains(summary, "45 bookmarks") {
		t.Errorf("summary %q (%v) does not count 45 bookmarks", summary, err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir, err := os.MkdirTemp("", "fedimarks-web-")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "page1.png")
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	// Search from the box for a known post.
	err = chromedp.Do(bctx,
		chromedp.SetValue(chromedp.CSS(`#q`), "quokka"),
		chromedp.Click(chromedp.CSS(`form.search button`)),
		chromedp.WaitVisible(chromedp.CSS(`mark`)),
		noXSS("search"),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	summary, _ := text(`#summary`)
	matched, _ := text(`mark`)
	article, _ := text(`article.post`)
	if !strings.Contains(summary, "1 bookmark matches") || !strings.EqualFold(matched, "quokka") ||
		!strings.Contains(article, "The quokka is a small marsupial") {
		t.Errorf("search: summary %q, highlighted %q, post %q", summary, matched, article)
	}

	// Page to page 2 of the timeline with the pager.
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#older`)),
		chromedp.Click(chromedp.CSS(`#older`)),
		chromedp.WaitVisible(chromedp.CSS(`#newer`)),
		noXSS("page 2"),
	)
	if err != nil {
		t.Fatalf("page 2: %v", err)
	}
	page2, _ := text(`main`)
	if !strings.Contains(page2, "page 2 of 5") || !strings.Contains(page2, "Ordinary post number 34 ") ||
		strings.Contains(page2, "Dangerous") {
		t.Errorf("page 2 does not show the second ten posts:\n%s", page2)
	}
}
