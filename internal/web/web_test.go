package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/web"
)

// start serves the fixture on 127.0.0.1 and returns the base URL.
func start(t *testing.T, f *fixture) string {
	t.Helper()
	s, err := web.New(web.Options{Archive: f.archive, Media: f.media, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

type response struct {
	code   int
	header http.Header
	body   string
}

// get fetches path from base, with the Host header host if not "".
func get(t *testing.T, base, path, host string) response {
	t.Helper()
	return do(t, http.MethodGet, base, path, host)
}

func do(t *testing.T, method, base, path, host string) response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func TestSecurityHeaders(t *testing.T) {
	base := start(t, newFixture(t))
	for _, path := range []string{"/", "/static/style.css", "/nope", "/?q=before:bad", "/?page=99"} {
		r := get(t, base, path, "")
		if got := r.header.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
			t.Errorf("%s: CSP %q", path, got)
		}
		for _, must := range []string{"default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'",
			"frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(r.header.Get("Content-Security-Policy"), must) {
				t.Errorf("%s: CSP lacks %s", path, must)
			}
		}
		if strings.Contains(r.header.Get("Content-Security-Policy"), "script-src") {
			t.Errorf("%s: CSP allows scripts", path)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, r.header)
		}
	}
}

func TestHostHeader(t *testing.T) {
	base := start(t, newFixture(t))
	u, _ := url.Parse(base)
	_, port, _ := net.SplitHostPort(u.Host)
	tests := []struct {
		host string
		code int
	}{
		{"127.0.0.1:" + port, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LOCALHOST:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"evil.example:" + port, http.StatusMisdirectedRequest},
		{"evil.example", http.StatusMisdirectedRequest},
		{"127.0.0.1", http.StatusMisdirectedRequest},
		{"127.0.0.1:1", http.StatusMisdirectedRequest},
		{"localhost.evil.example:" + port, http.StatusMisdirectedRequest},
		{"192.168.1.10:" + port, http.StatusMisdirectedRequest},
		{"0.0.0.0:" + port, http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		r := get(t, base, "/", tt.host)
		if r.code != tt.code {
			t.Errorf("Host %q: %d, want %d", tt.host, r.code, tt.code)
		}
		if r.code != http.StatusOK && strings.Contains(r.body, "alice@home.example") {
			t.Errorf("Host %q: refused page leaks the archive", tt.host)
		}
		if r.header.Get("Content-Security-Policy") == "" {
			t.Errorf("Host %q: no CSP", tt.host)
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	base := start(t, newFixture(t))
	for _, path := range []string{"/nope", "/index.html", "/static/nope.css", "/?account=carol@nowhere.example",
		"/?account=not-a-handle", "/?page=99", "/local?status=x&url=y", "/local",
		"/local?status=" + url.QueryEscape(testPosts()[42].uri()) + "&url=" + url.QueryEscape("https://far.example/media/42.png")} {
		if r := get(t, base, path, ""); r.code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.code)
		}
	}
	if r := do(t, http.MethodPost, base, "/", ""); r.code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", r.code)
	}
	if r := do(t, http.MethodHead, base, "/", ""); r.code != http.StatusOK {
		t.Errorf("HEAD /: %d, want 200", r.code)
	}
}

func TestTimelineAndSearch(t *testing.T) {
	f := newFixture(t)
	base := start(t, f)

	r := get(t, base, "/", "")
	if r.code != http.StatusOK {
		t.Fatalf("GET /: %d", r.code)
	}
	for _, want := range []string{
		"45 bookmarks, newest first", "page 1 of 5", // counts and paging
		"alice@home.example", "bob@other.example", // account switching
		"Picture kept locally", "Dangerous", // newest posts on page 1
		`<details class="cw">`, // content warning collapsed
		`href="https://home.example/@x/44"`,
		`<img class="avatar" src="/local?status=`, // local avatar copy (author 0: post 40)
		`<span class="avatar placeholder"`,        // no local copy: placeholder
		`<img src="/local?status=`,                // local media copy
		`href="https://far.example/media/42.png"`, // not downloaded: a link
		`Attachment (not downloaded): remote only`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if strings.Contains(r.body, "Ordinary post number 34 ") {
		t.Error("page 1 shows post 34, which belongs on page 2")
	}
	// The payloads are shown as text (escaped) or dropped, never markup.
	for _, bad := range []string{"<script", "<img src=x", "<svg", `onerror="`, "onload=", "javascript:", `src="https://`, `src="http://`} {
		if strings.Contains(r.body, bad) {
			t.Errorf("page 1 contains %q", bad)
		}
	}
	if !strings.Contains(r.body, "Mallory &lt;script&gt;window.xss=1&lt;/script&gt;") {
		t.Error("the display name is not shown as escaped text")
	}

	r = get(t, base, "/?account=alice%40home.example&page=2", "")
	if !strings.Contains(r.body, "Ordinary post number 34 ") || strings.Contains(r.body, "Ordinary post number 35 ") ||
		!strings.Contains(r.body, "page 2 of 5") {
		t.Error("page 2 does not hold posts 34 to 25")
	}

	r = get(t, base, "/?account=alice%40home.example&q=quokka", "")
	if !strings.Contains(r.body, "1 bookmark matches") || !strings.Contains(r.body, "The <mark>quokka</mark> is a small marsupial") {
		t.Errorf("search quokka: %d\n%s", r.code, r.body)
	}
	r = get(t, base, "/?account=alice%40home.example&q="+url.QueryEscape("has:media"), "")
	if !strings.Contains(r.body, "5 bookmarks match") {
		t.Error("has:media does not find the five posts with attachments")
	}
	r = get(t, base, "/?account=alice%40home.example&q="+url.QueryEscape("wiki* before:2024-01-01"), "")
	if !strings.Contains(r.body, "0 bookmarks match") || !strings.Contains(r.body, "Nothing matches") {
		t.Error("before: does not filter")
	}
	r = get(t, base, "/?q="+url.QueryEscape("after:tomorrow"), "")
	if r.code != http.StatusBadRequest || !strings.Contains(r.body, "&#34;tomorrow&#34; is not a date") {
		t.Errorf("bad date: %d, %s", r.code, r.body)
	}
	r = get(t, base, "/?account=bob%40other.example&q=wombats", "")
	if !strings.Contains(r.body, "1 bookmark matches") || strings.Contains(r.body, "quokka") {
		t.Error("bob's search is not scoped to bob")
	}
}

func TestLocalMedia(t *testing.T) {
	f := newFixture(t)
	base := start(t, f)
	path := "/local?" + url.Values{"status": {f.posts[43].uri()}, "url": {"https://far.example/media/43.png"}}.Encode()
	r := get(t, base, path, "")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "image/png" || r.body != string(redPNG) {
		t.Errorf("local image: %d %q, %d bytes", r.code, r.header.Get("Content-Type"), len(r.body))
	}
	// A listed file of another type is a download, never a page.
	path = "/local?" + url.Values{"status": {f.posts[10].uri()}, "url": {"https://far.example/x.html"}}.Encode()
	r = get(t, base, path, "")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "application/octet-stream" ||
		r.header.Get("Content-Disposition") != "attachment" {
		t.Errorf("non-media file: %d %v", r.code, r.header)
	}
	// The file of one post is not served under another's.
	path = "/local?" + url.Values{"status": {f.posts[41].uri()}, "url": {"https://far.example/media/43.png"}}.Encode()
	if r := get(t, base, path, ""); r.code != http.StatusNotFound {
		t.Errorf("file under the wrong post: %d", r.code)
	}
}

func TestEmptyArchiveAndNoMedia(t *testing.T) {
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive}) // no MediaSource
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	r := get(t, srv.URL, "/", "")
	if r.code != http.StatusOK || strings.Contains(r.body, "/local?") || !strings.Contains(r.body, `href="https://far.example/media/43.png"`) {
		t.Errorf("without media: %d, local links or no remote link", r.code)
	}

	empty, err := web.New(web.Options{Archive: emptyArchive{}})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(empty)
	defer srv2.Close()
	if r := get(t, srv2.URL, "/", ""); r.code != http.StatusOK || !strings.Contains(r.body, "fedimarks backup") {
		t.Errorf("empty archive: %d %s", r.code, r.body)
	}
}

type emptyArchive struct{}

func (emptyArchive) ArchivedAccounts(context.Context) ([]fedimarks.Handle, error) { return nil, nil }
func (emptyArchive) Search(context.Context, fedimarks.Query) ([]fedimarks.Hit, error) {
	return nil, nil
}
func (emptyArchive) SearchCountAtMost(context.Context, fedimarks.Query, int) (int, error) {
	return 0, nil
}

func TestCheckAddr(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.2:1", "localhost:0", "[::1]:8080"} {
		if err := web.CheckAddr(addr); err != nil {
			t.Errorf("CheckAddr(%q) = %v", addr, err)
		}
	}
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:80", "192.168.1.2:80", "example.com:80", "127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000"} {
		err := web.CheckAddr(addr)
		if fedimarks.ErrorCode(err) != fedimarks.EInvalid {
			t.Errorf("CheckAddr(%q) = %v, want EInvalid", addr, err)
		}
	}
	if err := web.CheckAddr("0.0.0.0:8080"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("refusal does not say why: %v", err)
	}
}

func TestServeShutsDown(t *testing.T) {
	f := newFixture(t)
	s, err := web.New(web.Options{Archive: f.archive})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := web.Listen(ctx, "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); host != "127.0.0.1" {
		t.Errorf("localhost bound as %s", host)
	}
	done := make(chan error, 1)
	go func() { done <- web.Serve(ctx, ln, s) }()
	if r := get(t, "http://"+ln.Addr().String(), "/", ""); r.code != http.StatusOK {
		t.Errorf("served page: %d", r.code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("still listening after shutdown")
	}
	if _, err := web.Listen(context.Background(), "0.0.0.0:0"); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("Listen on all interfaces: %v", err)
	}
}

// TestServeFinishesRequestsInFlight: a request running when the context
// ends completes, its own context not cancelled by the shutdown.
func TestServeFinishesRequestsInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		if err := r.Context().Err(); err != nil {
			http.Error(w, "request cancelled: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := web.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- web.Serve(ctx, ln, h) }()
	got := make(chan response, 1)
	fail := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			fail <- err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			fail <- err
			return
		}
		got <- response{code: resp.StatusCode, body: string(b)}
	}()
	<-started
	cancel()
	close(release)
	select {
	case r := <-got:
		if r.code != http.StatusOK || r.body != "finished" {
			t.Errorf("request in flight at shutdown: %d %q", r.code, r.body)
		}
	case err := <-fail:
		t.Errorf("request in flight at shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestContentWarningHidesSnippet: a search hit's snippet is shown inside
// the collapsed content warning, never above it.
func TestContentWarningHidesSnippet(t *testing.T) {
	base := start(t, newFixture(t))
	r := get(t, base, "/?account=alice%40home.example&q=platypus", "")
	if !strings.Contains(r.body, "1 bookmark matches") {
		t.Fatalf("search platypus: %d\n%s", r.code, r.body)
	}
	cw := strings.Index(r.body, `<details class="cw">`)
	mark := strings.Index(r.body, "<mark>platypus</mark>")
	if cw < 0 || mark < 0 || mark < cw {
		t.Fatalf("the snippet (at %d) is not inside the content warning (at %d):\n%s", mark, cw, r.body)
	}
	if after := r.body[cw:]; mark-cw > strings.Index(after, "</details>") {
		t.Errorf("the snippet is after the content warning's end:\n%s", r.body)
	}
}

// TestSensitiveMedia: the media of a post marked sensitive are behind a
// collapsed "Sensitive media" details, as Mastodon hides them; others not.
func TestSensitiveMedia(t *testing.T) {
	base := start(t, newFixture(t))
	r := get(t, base, "/", "")
	sens := strings.Index(r.body, `<details class="sensitive"><summary>Sensitive media</summary>`)
	link := strings.Index(r.body, `href="https://far.example/media/42.png"`)
	if sens < 0 || link < sens || link > sens+strings.Index(r.body[sens:], "</details>") {
		t.Errorf("the sensitive post's media are not inside a Sensitive media details (details at %d, media at %d)", sens, link)
	}
	if n := strings.Count(r.body, `<details class="sensitive">`); n != 1 {
		t.Errorf("%d sensitive media blocks on page 1, want 1 (post 42 only)", n)
	}
}

// TestLinksAvatarsAndVideo: links to the original are the first http(s)
// of url and uri (of url, remote_url, preview_url for attachments); an
// SVG avatar is never shown; a gifv loops muted like Mastodon's; a video
// shown by its preview says it is a video.
func TestLinksAvatarsAndVideo(t *testing.T) {
	f := newFixture(t)
	base := start(t, f)
	r := get(t, base, "/", "")
	if !strings.Contains(r.body, `href="`+f.posts[41].uri()+`"`) {
		t.Error("post 41 (javascript: url) has no link to its uri")
	}
	if strings.Contains(r.body, "javascript:") {
		t.Error("page 1 contains javascript:")
	}
	if !strings.Contains(r.body, `href="https://far.example/media/42.png"`) {
		t.Error("attachment 42 (javascript: url) does not link its remote_url")
	}
	// Page 1 is posts 44 to 35: authors 0 (40, 35) have a PNG avatar,
	// authors 1 (41, 36) an SVG one, shown as the placeholder.
	if n := strings.Count(r.body, `<img class="avatar"`); n != 2 {
		t.Errorf("%d avatars shown on page 1, want 2 (the SVG ones are not images)", n)
	}
	if !strings.Contains(r.body, `<span class="handle" title="@carol@home.example"><span>@carol</span><wbr><span>@home.example</span></span>`) {
		t.Error("a local author is not shown as user@host of the archived server")
	}
	if !strings.Contains(r.body, `autoplay muted loop playsinline`) {
		t.Error("the gifv does not loop muted")
	}
	if !strings.Contains(r.body, "Video (only its preview is kept)") || !strings.Contains(r.body, `href="https://far.example/media/38.mp4"`) {
		t.Error("a video shown by its preview does not say so and link the video")
	}
}

// TestStaticNoListing: /static/ serves files, never a directory listing.
func TestStaticNoListing(t *testing.T) {
	base := start(t, newFixture(t))
	for _, path := range []string{"/static/", "/static"} {
		if r := get(t, base, path, ""); r.code != http.StatusNotFound || strings.Contains(r.body, `href="style.css"`) {
			t.Errorf("GET %s: %d, lists files: %v", path, r.code, strings.Contains(r.body, `href="style.css"`))
		}
	}
	if r := get(t, base, "/static/style.css", ""); r.code != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %q", r.code, r.header.Get("Content-Type"))
	}
}

// TestLargeCountsReadAsNumbers: counts and page numbers past 999 are
// written with a comma between each group of three digits, as the rest of
// fedimarks writes them.
func TestLargeCountsReadAsNumbers(t *testing.T) {
	s, err := web.New(web.Options{Archive: bigCountArchive{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	r := get(t, srv.URL, "/?page=1250", "")
	for _, want := range []string{"123,456 bookmarks, newest first", "page 1,250 of 6,173", `<span class="count">123,456</span>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page 1,250 of 123,456 bookmarks: %d, no %q in\n%s", r.code, want, summaryOf(r.body))
		}
	}
}

// bigCountArchive has one account of 123,456 bookmarks, each page of
// which lists one.
type bigCountArchive struct{}

func (bigCountArchive) ArchivedAccounts(context.Context) ([]fedimarks.Handle, error) {
	return []fedimarks.Handle{alice}, nil
}
func (bigCountArchive) Search(context.Context, fedimarks.Query) ([]fedimarks.Hit, error) {
	st, err := fedimarks.ParseStatus([]byte(`{"id":"1","uri":"https://home.example/1","url":"https://home.example/1",
		"created_at":"2024-05-01T10:00:00Z","content":"<p>one</p>","account":{"acct":"bo","url":"https://home.example/@bo"}}`))
	return []fedimarks.Hit{{Bookmark: fedimarks.Bookmark{Account: string(alice), Status: st}}}, err
}
func (bigCountArchive) SearchCountAtMost(context.Context, fedimarks.Query, int) (int, error) {
	return 123_456, nil
}
