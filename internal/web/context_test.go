package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
)

// TestSearchListsThreadPosts: a search matching a post kept only as the
// thread of a bookmark (backup --context) lists it after the bookmarks,
// marked as context, with a link to the bookmarked post, whose page shows
// that bookmark alone with its thread open; the timeline and a search
// without words list no thread post.
func TestSearchListsThreadPosts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	newest := f.posts[len(f.posts)-1]
	before := postSpec{i: 600, content: "<p>the question quokkaquestion</p>", acct: "asker@far.example", profile: "https://far.example/@asker"}
	if err := f.archive.SaveThread(ctx, newest.uri(), "self", "home.example", []fedimarks.Status{before.status(t)}, nil, t0); err != nil {
		t.Fatal(err)
	}
	base := start(t, f)
	page := func(q string) string {
		t.Helper()
		v := url.Values{"account": {string(alice)}}
		if q != "" {
			v.Set("q", q)
		}
		return get(t, base, "/?"+v.Encode(), "").body
	}
	body := page("quokkaquestion")
	i := strings.Index(body, `<section class="context-hits"`)
	if i < 0 {
		t.Fatalf("no thread post listed for a search that matches one:\n%s", body)
	}
	sec := body[i:]
	for _, want := range []string{"In the threads of bookmarks: 1 post matches", `<article class="post context">`, "Context · in the thread of",
		"<mark>quokkaquestion</mark>"} {
		if !strings.Contains(sec, want) {
			t.Errorf("the context section lacks %q:\n%s", want, sec)
		}
	}
	if !strings.Contains(body, "No bookmark matches.") {
		t.Errorf("the page does not say no bookmark matches")
	}
	m := regexp.MustCompile(`in the thread of <a href="([^"]+)">`).FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("no link to the bookmarked post:\n%s", sec)
	}
	link := html.UnescapeString(m[1])
	if u, err := url.Parse(link); err != nil || u.Query().Get("post") != newest.uri() {
		t.Fatalf("link %q does not name the bookmarked post %s", link, newest.uri())
	}
	one := get(t, base, link, "")
	if one.code != http.StatusOK || strings.Count(one.body, `<article class="post`) != 1 ||
		!strings.Contains(one.body, `<details class="thread" open>`) || !strings.Contains(one.body, "quokkaquestion") {
		t.Errorf("the bookmarked post's page (%d):\n%s", one.code, one.body)
	}
	if strings.Contains(page(""), "context-hits") || strings.Contains(page("has:media"), "context-hits") {
		t.Errorf("a listing without words shows thread posts")
	}
	if r := get(t, base, "/?account="+url.QueryEscape(string(alice))+"&post="+url.QueryEscape("https://nowhere.example/1"), ""); r.code != http.StatusNotFound {
		t.Errorf("page of a post not bookmarked: %d, want 404", r.code)
	}
}
