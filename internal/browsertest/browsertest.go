// Package browsertest starts a real headless chromium for the tests of the
// pages fedimarks serves (internal/web) and writes (the html export). It
// is imported by tests only.
//
// Without a browser a test is skipped on a laptop and fails in CI (CI
// set), where .ci/run installs Debian's chromium.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium returns the path of the browser to drive, or skips t (fails it
// in CI) when there is none.
func Chromium(t testing.TB) string {
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
		t.Fatal("chromium is not installed (CI must run the browser tests: apt-get install chromium)")
	}
	t.Skip("chromium is not installed; skipping the browser test")
	return ""
}

// Skip skips t in -short mode, except in CI (CI set), which runs the
// browser tests always.
func Skip(t testing.TB) {
	t.Helper()
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("browser test skipped in -short mode")
	}
}

// New starts a headless chromium with a window of width x height CSS
// pixels and returns a context to drive its first tab; everything ends
// with the test, or after timeout. Pages may read local files (file://).
func New(t testing.TB, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	Skip(t)
	browser := Chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
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
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	return bctx
}

// Screenshot saves a full-page PNG of the current page as name in the
// folder FEDIMARKS_SCREENSHOTS names, else in the test's artifact
// directory (kept with go test -artifacts, else removed with the test),
// and returns its path.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("FEDIMARKS_SCREENSHOTS")
	if dir == "" {
		dir = t.ArtifactDir()
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// NoSidewaysScroll reports the document's scroll width and client width:
// a page that fits its window has scrollWidth <= clientWidth.
func NoSidewaysScroll(ctx context.Context) (scrollWidth, clientWidth int, err error) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}
