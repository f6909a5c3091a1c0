package cli

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/browsertest"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestCommandLineJobsOnThePage: an import run with `fedimarks import`
// (some rows followers-only, some of a server that is down) and a
// `fedimarks migrate` are listed on the jobs page with their accounts,
// time, state and counts, marked as started from the command line; the
// import's page shows its rows with the same filter, the report and the
// failures file, read-only (no Resume, Verify or Cancel), with a follow
// link for the not_visible authors; following them and retrying from the
// page brings every row in, the import still listed as the command's.
// A file name is shown escaped.
func TestCommandLineJobsOnThePage(t *testing.T) {
	browsertest.Skip(t)
	f := newFediverse(t)
	frank, erin := f.a.AddAccount("frank"), f.c.AddAccount("erin")
	f.alice.Follow(frank)
	var uris []string
	var private, down int
	for i := range 40 {
		var s *mastodontest.Status
		switch {
		case i%10 == 3:
			s, private = frank.Post(mastodontest.PostOptions{Visibility: "private"}), private+1
		case i%13 == 5:
			s, down = erin.Post(mastodontest.PostOptions{}), down+1
		default:
			s = f.alice.Post(mastodontest.PostOptions{})
		}
		f.alice.Bookmark(s)
		uris = append(uris, s.URI())
	}
	f.login(t, f.alice, f.bob)
	// The archive holds frank's followers-only posts: they end not_visible.
	mustRun(t, ExitOK, f.home, "", "backup", f.alice.Handle())
	var csv strings.Builder
	for i := len(uris) - 1; i >= 0; i-- {
		csv.WriteString(uris[i] + "\n")
	}
	file := writeFile(t, "<i>mine.csv", csv.String())
	f.c.SetDown(true)
	mustRun(t, ExitPartial, f.home, "", "import", file, "--to", f.bob.Handle())
	carol := f.c.AddAccount("carol")
	f.c.SetDown(false)
	f.login(t, carol)
	mustRun(t, ExitPartial, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", carol.Handle(), "--yes")
	f.c.SetDown(true)

	base, _ := serveForJobs(t, f.home, nil)
	ctx := browsertest.New(t, 1280, 1000, 2*time.Minute)
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/jobs"), chromedp.WaitVisible(chromedp.CSS(`ul.joblist li`))); err != nil {
		t.Fatal(err)
	}
	items := text(`[...document.querySelectorAll('ul.joblist li')].map(li => li.textContent.replace(/\s+/g, ' ').trim()).join('\n')`)
	wantImport := fmt.Sprintf(`Move bookmarks from \S*<i>mine.csv to %s done \d{4}-\d\d-\d\d \d\d:\d\d · command line · 40 rows · %d imported · %d not_visible · %d unreachable`,
		regexp.QuoteMeta(f.bob.Handle()), 40-private-down, private, down)
	wantMigrate := fmt.Sprintf(`Move bookmarks from archive of %s to %s done .* · command line · 40 rows · %d imported · %d not_visible`,
		regexp.QuoteMeta(f.alice.Handle()), regexp.QuoteMeta(carol.Handle()), 40-private, private)
	if !regexp.MustCompile(wantImport).MatchString(items) || !regexp.MustCompile(wantMigrate).MatchString(items) {
		t.Errorf("the job list:\n%s\nwant lines matching\n%s\n%s", items, wantImport, wantMigrate)
	}
	if n := text(`String(document.querySelectorAll('ul.joblist i').length)`); n != "0" {
		t.Errorf("a file name's markup is rendered (%s elements)", n)
	}
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`ul.joblist a[href^="/jobs/import-"]`)), // the newest first: the migrate
		chromedp.WaitVisible(chromedp.CSS(`#results`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(`ul.joblist li`))); err != nil {
		t.Fatal(err)
	}
	importHref := text(`[...document.querySelectorAll('ul.joblist a')].find(a => a.textContent.includes('mine')).getAttribute('href')`)
	if !regexp.MustCompile(`^/jobs/import-\d+$`).MatchString(importHref) {
		t.Fatalf("the import's link: %q", importHref)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+importHref), chromedp.WaitVisible(chromedp.CSS(`#results`))); err != nil {
		t.Fatal(err)
	}
	page := text(`document.querySelector('main').textContent`)
	if !strings.Contains(page, "Started from the command line") || !strings.Contains(page, "read-only") {
		t.Errorf("the page does not say the job is the command's, read-only:\n%s", page)
	}
	if n := text(`String(document.querySelectorAll('form[action$="/resume"], form[action$="/verify"], form[action$="/cancel"], form[action$="/run"]').length)`); n != "0" {
		t.Errorf("%s actions a command-line job does not have", n)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav.filters a[href*="outcome=unreachable"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.filters a[aria-current][href*="unreachable"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if shown := text(`[...document.querySelectorAll('#results ol.rows .outcome')].map(o => o.textContent).join(' ')`); shown != strings.TrimSpace(strings.Repeat("unreachable ", down)) {
		t.Errorf("the unreachable filter shows %q", shown)
	}
	failures := text(`fetch(document.querySelector('a[href$="/failures.csv"]').href).then(r => r.text())`)
	if n := len(strings.Fields(failures)); n != private+down {
		t.Errorf("failures file: %d lines, want %d:\n%s", n, private+down, failures)
	}
	report := text(`fetch(document.querySelector('a[href$="/report.csv"]').href).then(r => r.text())`)
	if n := strings.Count(report, "\n"); n != 41 {
		t.Errorf("report: %d lines, want a header and 40 rows:\n%s", n, report)
	}
	follow := text(`[...document.querySelectorAll('ul.follow a')].map(a => a.href).join(' ')`)
	if want := f.b.URL() + "/authorize_interaction?uri=" + url.QueryEscape(frank.Handle()); follow != want {
		t.Errorf("follow links %q, want %s", follow, want)
	}
	shot := func(name string) {
		t.Helper()
		for _, w := range []int64{1280, 390} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 1400)); err != nil {
				t.Fatal(err)
			}
			if sw, cw, err := browsertest.NoSidewaysScroll(ctx); err != nil || sw > cw {
				t.Errorf("%s at %d px scrolls sideways (%d > %d, %v)", name, w, sw, cw, err)
			}
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			saveShot(t, fmt.Sprintf("cmdline-%s-%d.png", name, w), png)
		}
		chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000))
	}
	shot("import")

	// Follow as the page advises, the server is back: retry from the page.
	f.bob.Follow(frank)
	f.c.SetDown(false)
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="`+importHref+`/retry"] button`)))
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		done, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`/^\/jobs\/\d+$/.test(location.pathname) && document.readyState === 'complete' && !!document.querySelector('#live .state-done, #live .state-failed')`))
		if done {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the retry did not end: %s", text(`document.body.textContent`))
		}
	}
	if s := text(`document.querySelector('#live .state-line').textContent`); !strings.Contains(s, "done") || !strings.Contains(s, "40 imported") {
		t.Errorf("the retry's state: %q", s)
	}
	if n := len(f.bob.BookmarkURIs()); n != 40 {
		t.Errorf("bob has %d bookmarks after the retry, want 40", n)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+importHref), chromedp.WaitVisible(chromedp.CSS(`#results`))); err != nil {
		t.Fatal(err)
	}
	if s := text(`document.querySelector('#live .state-line').textContent`); !strings.Contains(s, "40 imported") {
		t.Errorf("the command's job after the page's retry: %q", s)
	}
	shot("retried")
}
