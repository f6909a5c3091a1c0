package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

// zoe's archive holds what narrow screens and sharing get wrong: a very
// long URL and a very long handle, a followers-only and a direct post,
// a post in Arabic then English, and bookmarks found by a second backup
// (when they were bookmarked is then known within a backup's span).
const zoe = fedimarks.Handle("zoe@narrow.example")

const (
	longURL    = "https://example.org/a/very/long/path/that/goes/on/and/on/without/any/break/at/all/" + "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
	longUser   = "averyveryveryverylongusername"
	longHost   = "a.very.long.instance.host.name.example"
	cet        = "CET"
	firstRunAt = "2024-03-02T12:00:00Z"
	laterRunAt = "2024-03-05T12:00:00Z"
)

// zoePosts are zoe's bookmarks, oldest first; the second backup found
// the last two.
func zoePosts() []postSpec {
	return []postSpec{
		{i: 200, content: `<p>A long link: <a href="` + longURL + `">` + longURL + `</a> and a long word ` + strings.Repeat("x", 90) + `</p>`, visibility: "public"},
		{i: 201, content: "<p>For my followers only: quokka</p>", visibility: "private"},
		{i: 202, content: "<p>A direct message</p>", visibility: "direct"},
		{i: 203, content: "<p>Bookmarked later, by a long handle. The quokka again, quokka!</p>", acct: longUser + "@" + longHost,
			name: "Someone With A Rather Long Display Name Indeed", visibility: "public"},
		{i: 204, content: "<p>مرحبا بالعالم</p><p>An English paragraph.</p>", language: "ar", name: "نور", visibility: "public",
			spoiler: "quokka warning"},
	}
}

// newZoeFixture is a real archive of zoe's bookmarks: a first backup
// (finished firstRunAt) and a later one (laterRunAt) that found two more.
func newZoeFixture(t testing.TB) *sqlite.Archive {
	t.Helper()
	ctx := context.Background()
	a, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ps := zoePosts()
	first, _ := time.Parse(time.RFC3339, firstRunAt)
	later, _ := time.Parse(time.RFC3339, laterRunAt)
	for _, run := range []struct {
		at    time.Time
		posts []postSpec
	}{{first, ps[:3]}, {later, ps[3:]}} {
		r, err := a.StartRun(ctx, zoe, false, run.at)
		if err != nil {
			t.Fatal(err)
		}
		var page []fedimarks.Status
		for i := len(run.posts) - 1; i >= 0; i-- {
			page = append(page, run.posts[i].status(t))
		}
		if err := a.SavePage(ctx, r, page, "", run.at); err != nil {
			t.Fatal(err)
		}
		if _, err := a.FinishRun(ctx, r, run.at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.IndexSearch(ctx); err != nil {
		t.Fatal(err)
	}
	return a
}

// startZoe serves zoe's archive, showing times in CET (UTC+1).
func startZoe(t *testing.T) string {
	t.Helper()
	s, err := web.New(web.Options{Archive: newZoeFixture(t), Location: time.FixedZone(cet, 3600)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestPageMarksAndTimes: followers-only and direct posts carry a lock or
// an envelope with words for screen readers; times say their zone; the
// bookmarks a later backup found say by when they were bookmarked, the
// first backup's do not (they could be of any time before it).
func TestPageMarksAndTimes(t *testing.T) {
	base := startZoe(t)
	r := get(t, base, "/", "")
	if r.code != http.StatusOK {
		t.Fatalf("GET /: %d", r.code)
	}
	for want, n := range map[string]int{
		`<img class="vis" src="/static/lock.svg" alt="Followers only" title="Followers only" width="14" height="14">`:     1,
		`<img class="vis" src="/static/envelope.svg" alt="Direct message" title="Direct message" width="14" height="14">`: 1,
		// post 200 was written at t0 + 200 h = 2024-03-09 20:00 UTC.
		`<time datetime="2024-03-09T20:00:00Z">2024-03-09 21:00 CET</time>`:                   1,
		`Bookmarked before <time datetime="2024-03-05T12:00:00Z">2024-03-05 13:00 CET</time>`: 2,
	} {
		if got := strings.Count(r.body, want); got != n {
			t.Errorf("page holds %d of %q, want %d", got, want, n)
		}
	}
	if strings.Contains(r.body, `2024-03-02 13:00 CET`) {
		t.Error("a bookmark of the first backup claims a bookmark date")
	}
	for _, icon := range []string{"/static/lock.svg", "/static/envelope.svg"} {
		r := get(t, base, icon, "")
		if r.code != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" || strings.Contains(r.body, "<script") {
			t.Errorf("%s: %d %q", icon, r.code, r.header.Get("Content-Type"))
		}
	}
}

// TestPageHandlesAndDirection: a handle breaks only between user and
// host (never inside either), and text, names and content warnings flow
// in their own direction.
func TestPageHandlesAndDirection(t *testing.T) {
	base := startZoe(t)
	r := get(t, base, "/", "")
	for _, want := range []string{
		`<span class="handle" title="@` + longUser + `@` + longHost + `"><span>@` + longUser + `</span><wbr><span>@` + longHost + `</span></span>`,
		`<div class="content" dir="auto">`,
		`<summary><span class="cw-label">Content warning:</span> <bdi>quokka warning</bdi></summary>`,
		`<a class="name" href="https://far.example/@u" rel="noopener noreferrer nofollow" target="_blank" dir="auto">نور</a>`,
		`<li class="current"><a href="/?account=zoe%40narrow.example" title="zoe@narrow.example" aria-current="page"><span>zoe</span><wbr><span>@narrow.example</span></a>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestSearchShowsTextOnce: a search result shows the post once, with the
// matched words marked in it (under its content warning when it has one),
// not an extract and then the same text again.
func TestSearchShowsTextOnce(t *testing.T) {
	base := startZoe(t)
	r := get(t, base, "/?account="+url.QueryEscape(string(zoe))+"&q=quokka", "")
	if !strings.Contains(r.body, "3 bookmarks match") {
		t.Fatalf("search quokka:\n%s", r.body)
	}
	if strings.Contains(r.body, `class="snippet"`) {
		t.Error("a result shows an extract as well as the text")
	}
	for want, n := range map[string]int{
		"The <mark>quokka</mark> again, <mark>quokka</mark>!":         1,
		"For my followers only: <mark>quokka</mark>":                  1,
		`<bdi><mark>quokka</mark> warning</bdi>`:                      1,
		"Bookmarked later, by a long handle. The <mark>quokka</mark>": 1,
	} {
		if got := strings.Count(r.body, want); got != n {
			t.Errorf("%d of %q, want %d", got, want, n)
		}
	}
	// A match in the author only: the post, no extract of its start.
	r = get(t, base, "/?account="+url.QueryEscape(string(zoe))+"&q="+url.QueryEscape("rather"), "")
	if !strings.Contains(r.body, "1 bookmark matches") || strings.Contains(r.body, `class="snippet"`) ||
		strings.Count(r.body, "Bookmarked later, by a long handle") != 1 {
		t.Errorf("an author match shows the text more than once:\n%s", r.body)
	}
}
