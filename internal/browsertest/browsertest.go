// Package browsertest starts a real headless chromium for the tests of the
// pages fedimarks serves (internal/web) and writes (the html export). It
// is imported by tests only.
//
// Without a browser a test is skipped on a laptop and fails in CI (CI
// set), where .ci/run installs Debian's chromium.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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

// shared is the one headless chromium the tests of a test binary drive,
// started by the first New (a start costs a second or two of CPU) and
// ended by Close; each test gets a browser context of its own in it, as
// isolated as a fresh profile (cookies, storage, cache).
var shared struct {
	mu     sync.Mutex
	ctx    context.Context // the browser's first tab
	cancel func()
	dir    string // its user data directory
	err    error
}

// New returns a context to drive a new tab of the package's headless
// chromium (started on the first call), in a browser context of its own
// (no cookie or storage of another test), with a window of width x
// height CSS pixels; the tab ends with the test, or after timeout. Pages
// may read local files (file://). A package whose tests call New calls
// Close from its TestMain.
func New(t testing.TB, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	Skip(t)
	browser := Chromium(t)
	parent, err := start(browser)
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tab, cancelTab := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// start starts the shared chromium unless it runs, and returns its first
// tab's context.
func start(browser string) (context.Context, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.ctx != nil || shared.err != nil {
		return shared.ctx, shared.err
	}
	shared.dir, shared.err = os.MkdirTemp("", "browsertest-")
	if shared.err != nil {
		return nil, shared.err
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
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
		chromedp.UserDataDir(shared.dir),
		chromedp.WindowSize(1280, 1000),
	)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	shared.cancel = func() { cancelBrowser(); cancelAlloc() }
	if shared.err = chromedp.Do(ctx); shared.err != nil {
		shared.cancel()
		return nil, shared.err
	}
	shared.ctx = ctx
	return ctx, nil
}

// Close ends the shared chromium, if a test started it, and removes its
// profile. TestMain calls it after the tests ran.
func Close() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	shared.ctx, shared.cancel, shared.dir = nil, nil, ""
}

// Screenshot saves a full-page PNG of the current page as name in the
// folder FEDIMARKS_SCREENSHOTS (else FEDIMARKS_ARTIFACTS) names, else in
// the test's artifact directory (kept with go test -artifacts, else
// removed with the test), and returns its path.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("FEDIMARKS_SCREENSHOTS")
	if dir == "" {
		dir = os.Getenv("FEDIMARKS_ARTIFACTS")
	}
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

// CheckDirection finds the paragraphs (.content p) holding rtl and ltr,
// and says how they are laid out unless each flows from its own side: the
// right-to-left text flush with its paragraph's right edge (and not its
// left), the left-to-right text flush with its left. It returns "" when
// they are.
func CheckDirection(ctx context.Context, rtl, ltr string) (string, error) {
	js := fmt.Sprintf(`(() => {
		const ps = [...document.querySelectorAll('.content p')];
		const r = ps.find(p => p.textContent.includes(%q));
		const l = ps.find(p => p.textContent.includes(%q));
		if (!r || !l) return [-1, -1, -1];
		const text = x => { const g = document.createRange(); g.selectNodeContents(x); return g.getBoundingClientRect(); };
		const box = x => x.getBoundingClientRect();
		return [box(r).right - text(r).right, text(r).left - box(r).left, text(l).left - box(l).left];
	})()`, rtl, ltr)
	gaps, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](js))
	if err != nil {
		return "", err
	}
	if gaps[0] < 0 {
		return "the paragraphs are not on the page", nil
	}
	if gaps[0] > 2 || gaps[1] < 20 || gaps[2] > 2 {
		return fmt.Sprintf("right-to-left text ends %.0f px from the right (starts %.0f px from the left), left-to-right text starts %.0f px from the left",
			gaps[0], gaps[1], gaps[2]), nil
	}
	return "", nil
}

// Broken returns the text of the elements matching the CSS selector sel
// that the page lays out on more than one line.
func Broken(ctx context.Context, sel string) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll(%q)]
		.filter(s => new Set([...s.getClientRects()].map(r => Math.round(r.top))).size !== 1).map(s => s.textContent)`, sel)))
}
