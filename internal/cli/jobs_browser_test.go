package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/browsertest"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// serveForJobs runs `fedimarks serve` on home (startServe), with the IO
// changed by tweak (when not nil), until the test ends or the returned
// stop is called, and returns the page's address.
func serveForJobs(t *testing.T, home string, tweak func(*IO)) (base string, stop func()) {
	t.Helper()
	srv := startServe(t, home, tweak)
	return strings.TrimSuffix(srv.url, "/"), func() { srv.stop() }
}

// TestJobsFromThePage drives the page as a person does: add two accounts
// through the real OAuth redirect (the accounts page), back up an
// account, dry-run then run a move of 300 bookmarks (an uploaded file)
// whose rows include followers-only posts and posts of a server that is
// down, close the tab mid-run and reopen it (the job went on), stop and
// restart fedimarks mid-run (the job is shown interrupted and resumes),
// filter the results, follow the not_visible authors as the page advises
// and retry, download the failures file; a cross-site POST is refused.
// Screenshots at 1280 and 390 px are kept.
func TestJobsFromThePage(t *testing.T) {
	browsertest.Skip(t)
	f := newFediverse(t)
	frank, erin := f.a.AddAccount("frank"), f.c.AddAccount("erin")
	f.alice.Follow(frank)
	var uris []string
	var private, down []string
	for i := 0; i < 300; i++ {
		var s *mastodontest.Status
		switch {
		case i%50 == 7:
			s = frank.Post(mastodontest.PostOptions{Visibility: "private"})
			private = append(private, s.URI())
		case i%60 == 11:
			s = erin.Post(mastodontest.PostOptions{})
			down = append(down, s.URI())
		default:
			s = f.alice.Post(mastodontest.PostOptions{})
		}
		f.alice.Bookmark(s)
		uris = append(uris, s.URI())
	}
	// Both accounts are added on the page, through the real OAuth
	// redirect (the accounts page's sign-in).
	f.a.SetAuthorizingUser(f.alice)
	f.b.SetAuthorizingUser(f.bob)
	// Newest first, as Mastodon exports them.
	var csv strings.Builder
	for i := len(uris) - 1; i >= 0; i-- {
		csv.WriteString(uris[i] + "\n")
	}
	file := writeFile(t, "bookmarks.csv", csv.String())
	// bob's server paces the run: the page shows the waits. The servers
	// and the tool share a fake clock, and the tool's waits pass a gate:
	// held, the run stops at its next wait for bob's budget, so that the
	// tab is closed and fedimarks stopped mid-run for certain; released,
	// the waits take no real time.
	f.b.SetRateLimit(80, 2*time.Second)
	f.c.SetDown(true)
	clock := newTestClock(f.net)
	gate := newWaitGate(clock)
	tool := func(args ...string) run { t.Helper(); return gate.at(t, ExitOK, f.home, "", args...) }

	began := time.Now()
	base, stop := serveForJobs(t, f.home, gate.tweak)
	bctx := browsertest.New(t, 1280, 1000, 4*time.Minute)
	// wait polls js until it is true: across the reloads the page's
	// script makes when a job ends.
	wait := func(ctx context.Context, js string, what string) {
		t.Helper()
		var err error
		for end := time.Now().Add(90 * time.Second); time.Now().Before(end); time.Sleep(25 * time.Millisecond) {
			var ok bool
			if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return
			}
		}
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: not so after 90s (%v)\n%s", what, err, body)
	}
	stateIs := func(ctx context.Context, state string) {
		t.Helper()
		wait(ctx, fmt.Sprintf(`document.readyState === 'complete' && !!document.querySelector('#live .state-%s')`, state), "state "+state)
	}
	shot := func(ctx context.Context, name string) {
		t.Helper()
		for _, w := range []int64{1280, 390} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 1400)); err != nil {
				t.Fatal(err)
			}
			if sw, cw, err := browsertest.NoSidewaysScroll(ctx); err != nil || sw > cw {
				wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')]
					.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
					.map(e => e.tagName + '.' + e.className).slice(0, 8)`))
				t.Errorf("%s at %d px: scrolls sideways (%d > %d, %v): %q", name, w, sw, cw, err, wide)
			}
			// The window's height, not the whole page: what a person
			// sees first (the results list 100 rows).
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			saveShot(t, fmt.Sprintf("jobs-%s-%d.png", name, w), png)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	jobID := func(ctx context.Context) string {
		t.Helper()
		u, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		if err != nil || !regexp.MustCompile(`^/jobs/\d+$`).MatchString(u) {
			t.Fatalf("not on a job page: %q %v", u, err)
		}
		return u
	}

	// press clicks the button of the form whose action ends with action
	// and waits for the page of the job it starts.
	press := func(ctx context.Context, action string) string {
		t.Helper()
		from, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action$="`+action+`"] button`))); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		wait(ctx, fmt.Sprintf(`location.pathname !== %q && /^\/jobs\/\d+$/.test(location.pathname) && document.readyState === 'complete'`, from), action+" opens its job")
		t.Logf("%s: %s (%s)", action, jobID(ctx), time.Since(began).Round(time.Millisecond))
		return jobID(ctx)
	}
	for _, acc := range []*mastodontest.Account{f.alice, f.bob} {
		err := chromedp.Do(bctx,
			chromedp.Navigate(base+"/accounts"),
			chromedp.WaitVisible(chromedp.CSS(`#instance`)),
			chromedp.SetValue(chromedp.CSS(`#instance`), acc.Instance().URL()),
			chromedp.Click(chromedp.CSS(`form.add button`)),
		)
		if err != nil {
			t.Fatalf("add %s: %v", acc.Handle(), err)
		}
		wait(bctx, `!!document.querySelector('section.notice')`, "signed in as "+acc.Handle())
		if n, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`section.notice`))); !strings.Contains(n, "Logged in as "+acc.Handle()) {
			t.Fatalf("adding %s: %q", acc.Handle(), n)
		}
	}

	// Back up alice: the archive then holds frank's followers-only posts.
	err := chromedp.Do(bctx,
		chromedp.Navigate(base+"/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`#backup-account`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot(bctx, "start")
	err = chromedp.Do(bctx,
		chromedp.SetValue(chromedp.CSS(`#backup-account`), f.alice.Handle()),
		chromedp.Click(chromedp.CSS(`form[action="/jobs/start"] button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	stateIs(bctx, "done")
	if s, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.summary-line`))); !strings.Contains(s, "300 new") {
		t.Errorf("backup summary %q", s)
	}
	shot(bctx, "backup")

	// The move: upload the file, dry run.
	tab, closeTab := chromedp.NewContext(bctx)
	err = chromedp.Do(tab,
		chromedp.Navigate(base+"/jobs"),
		chromedp.WaitVisible(chromedp.CSS(`#move-file`)),
		chromedp.SetValue(chromedp.CSS(`#move-from`), "file"),
		chromedp.SetUploadFiles(chromedp.CSS(`#move-file`), []string{file}),
		chromedp.SetValue(chromedp.CSS(`#move-to`), f.bob.Handle()),
		chromedp.Click(chromedp.CSS(`form[enctype] button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	stateIs(tab, "done")
	est, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`dl.estimate`)))
	if !regexp.MustCompile(`to bookmark\s+300\s`).MatchString(est) {
		t.Errorf("dry run estimate: %q", est)
	}
	if len(f.bob.BookmarkURIs()) != 0 {
		t.Fatal("the dry run bookmarked")
	}
	// The same figures as import --dry-run.
	cli := tool("import", file, "--to", f.bob.Handle(), "--dry-run", "--json")
	var dry struct{ Estimate estimateSummary }
	if err := json.Unmarshal([]byte(cli.stdout), &dry); err != nil || dry.Estimate.ToWrite != 300 {
		t.Fatalf("import --dry-run --json: %v\n%s", err, cli.stdout)
	}
	// The time depends on the budget left when each asked: a few
	// seconds apart at most.
	m := regexp.MustCompile(`requests\s+(\d+)\s+time the rate limit needs\s+(\S+)`).FindStringSubmatch(est)
	if m == nil {
		t.Fatalf("dry run estimate: %q", est)
	}
	needs, err := time.ParseDuration(m[2])
	if m[1] != fmt.Sprint(dry.Estimate.Requests) || err != nil || (needs-durationOf(dry.Estimate.Seconds)).Abs() > 10*time.Second {
		t.Errorf("the page's estimate (%s requests, %s) is not import --dry-run's (%d, %.0fs)", m[1], m[2], dry.Estimate.Requests, dry.Estimate.Seconds)
	}
	shot(tab, "dryrun")

	// Run it; the progress moves in place (the script), rows show.
	gate.hold()
	run := press(tab, "/run")
	stateIs(tab, "running")
	wait(tab, `document.querySelectorAll('#live ol.rows li').length > 0`, "finished rows shown live")
	shot(tab, "running")

	// Close the tab mid-run, reopen it: the job went on.
	before := len(f.bob.BookmarkURIs())
	if before >= 250 {
		t.Fatalf("the run was too fast to close the tab mid-run: %d rows done", before)
	}
	closeTab()
	st := tool("status")
	if !strings.Contains(st.stdout, "import into "+f.bob.Handle()) {
		t.Errorf("status does not see the page's import:\n%s%s", st.stdout, st.stderr)
	}
	// The job goes on while no tab shows it: a few more waits pass.
	for end := time.Now().Add(90 * time.Second); len(f.bob.BookmarkURIs()) <= before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the job did not go on: %d rows", before)
		}
		if gate.waiting() > 0 {
			gate.allow(1)
		}
	}
	tab, closeTab = chromedp.NewContext(bctx)
	if err := chromedp.Do(tab, chromedp.Navigate(base+run)); err != nil {
		t.Fatal(err)
	}
	// The reopened page shows the rows written since, as they come.
	wait(tab, fmt.Sprintf(`(m => m && +m[1] > %d)(document.querySelector('#live .state-line')?.textContent.match(/(\d+) imported/))`, before),
		"the reopened page shows the job going on")
	if after := len(f.bob.BookmarkURIs()); after <= before {
		t.Errorf("the job did not go on while the tab was closed: %d rows, then %d", before, after)
	}

	// Stop fedimarks mid-run and start it again: the job is shown
	// interrupted, with Resume, which goes on with the same import job.
	stop()
	mid := len(f.bob.BookmarkURIs())
	if mid >= 300-len(private)-len(down) {
		t.Fatalf("the run ended before fedimarks was stopped (%d rows)", mid)
	}
	gate.release()
	base, _ = serveForJobs(t, f.home, gate.tweak)
	if err := chromedp.Do(tab, chromedp.Navigate(base+run)); err != nil {
		t.Fatal(err)
	}
	stateIs(tab, "interrupted")
	shot(tab, "interrupted")
	resumed := press(tab, "/resume")
	wait(tab, `!!document.querySelector('#live .state-done') || !!document.querySelector('#live .state-failed')`, "the resumed run ends")
	stateIs(tab, "done")
	_ = resumed
	shot(tab, "results")
	// The move ended: its upload is deleted (Retry and Verify below read
	// the journal).
	// (The job's end is recorded, then its uploads swept: a moment later.)
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left, _ := filepath.Glob(filepath.Join(f.home, "uploads", "*"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(end) {
			t.Errorf("the upload is kept after its move ended: %v", left)
			break
		}
	}

	// Results: every row has its outcome; filter the not_visible ones.
	counts := map[string]string{}
	links, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('nav.filters a')].map(a => a.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if f := strings.Fields(l); len(f) == 2 {
			counts[f[0]] = f[1]
		}
	}
	want := map[string]string{"all": "300", "not_visible": fmt.Sprint(len(private)), "unreachable": fmt.Sprint(len(down)),
		"imported": fmt.Sprint(300 - len(private) - len(down))}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("filter %s counts %q, want %s (all: %q)", k, counts[k], v, links)
		}
	}
	err = chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`nav.filters a[href*="outcome=not_visible"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.filters a[aria-current][href*="not_visible"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#results ol.rows .outcome')].map(o => o.textContent)`))
	if err != nil || len(shown) != len(private) {
		t.Errorf("not_visible filter shows %q (%v)", shown, err)
	}
	for _, o := range shown {
		if o != "not_visible" {
			t.Errorf("not_visible filter shows a %s row", o)
		}
	}
	follow, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('ul.follow a')].map(a => a.href)`))
	if wantURL := f.b.URL() + "/authorize_interaction?uri=" + url.QueryEscape(frank.Handle()); err != nil || len(follow) != 1 || follow[0] != wantURL {
		t.Errorf("follow links %q (%v), want one: %s", follow, err, wantURL)
	}

	// The failures file, in Mastodon's format: one URI a line, newest first.
	failures, err := chromedp.Run(tab, chromedp.Evaluate[string](`fetch(document.querySelector('a[href$="/failures.csv"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(failures), "\n")
	if len(lines) != len(private)+len(down) || lines[0] != private[len(private)-1] && lines[0] != down[len(down)-1] {
		t.Errorf("failures file: %d lines, want %d:\n%s", len(lines), len(private)+len(down), failures)
	}

	// Follow as the page advises, the down server comes back: retry.
	f.bob.Follow(frank)
	f.c.SetDown(false)
	press(tab, "/retry")
	wait(tab, `!!document.querySelector('#live .state-done') || !!document.querySelector('#live .state-failed')`, "the retry ends")
	stateIs(tab, "done")
	if got := f.bob.BookmarkURIs(); len(got) != 300 {
		t.Errorf("after the retry bob has %d bookmarks, want 300", len(got))
	}
	if n, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('a[href$="/failures.csv"]').length`)); n != 0 {
		t.Errorf("a failures file is still offered after every row made it")
	}
	shot(tab, "retried")

	// Verify from the page.
	press(tab, "/verify")
	wait(tab, `!!document.querySelector('#live .state-done') || !!document.querySelector('#live .state-failed')`, "verify ends")
	stateIs(tab, "done")
	if s, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`.summary-line`))); !strings.Contains(s, "300 bookmarked") || !strings.Contains(s, "0 missing") {
		t.Errorf("verify says %q", s)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/jobs"), chromedp.WaitVisible(chromedp.CSS(`ul.joblist li`))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('ul.joblist li').length`)); n != 6 {
		t.Errorf("the job list shows %d jobs, want 6", n)
	}
	shot(tab, "list")
	closeTab()

	// A cross-site POST is refused, and so is one without the token.
	post := func(origin string, form url.Values) int {
		req, _ := http.NewRequest("POST", base+"/jobs/start", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	form := url.Values{"kind": {"backup"}, "account": {f.alice.Handle()}}
	if code := post("http://evil.example", form); code != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", code)
	}
	if code := post(base, form); code != http.StatusForbidden {
		t.Errorf("POST without the token: %d", code)
	}
}

// saveShot keeps a screenshot where browsertest.Screenshot keeps them:
// in FEDIMARKS_SCREENSHOTS (else FEDIMARKS_ARTIFACTS) when set, else in
// the test's artifact directory.
func saveShot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := cmp.Or(os.Getenv("FEDIMARKS_SCREENSHOTS"), os.Getenv("FEDIMARKS_ARTIFACTS"))
	if dir == "" {
		dir = t.ArtifactDir()
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o600); err != nil {
		t.Fatal(err)
	}
}
