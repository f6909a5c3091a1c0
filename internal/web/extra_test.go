package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
)

// TestThreadTagsAndNote: the newest bookmark has local tags, a note and a
// kept thread (one post before it, one self-reply, one reply by someone
// else): the page shows the tags as searches, the note escaped, and the
// thread folded in <details>, others' replies in a fold of their own.
func TestThreadTagsAndNote(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	newest := f.posts[len(f.posts)-1]
	before := postSpec{i: 500, content: "<p>the question wombatquestion</p>", acct: "asker@far.example", profile: "https://far.example/@asker"}
	self := postSpec{i: 501, content: "<p>my own follow-up selfreplyword</p>", profile: newest.status(t).Account.URL}
	others := postSpec{i: 502, content: "<p>someone else chimes in otherreplyword</p>", acct: "other@far.example", profile: "https://far.example/@other"}
	if err := f.archive.EditTags(ctx, alice, newest.uri(), []string{"recipes"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.archive.SetNote(ctx, alice, newest.uri(), "<b>bold?</b> no"); err != nil {
		t.Fatal(err)
	}
	// The bookmarked status's row id: the only bookmark of alice with i=44.
	hits, err := f.archive.Search(ctx, fedimarks.Query{Account: alice, Limit: 1})
	if err != nil || len(hits) != 1 || hits[0].Bookmark.Status.URI != newest.uri() {
		t.Fatalf("newest bookmark: %v %v", hits, err)
	}
	if err := f.archive.SaveThread(ctx, newest.uri(), "all", "home.example",
		[]fedimarks.Status{before.status(t)}, []fedimarks.Status{self.status(t), others.status(t)}, t0); err != nil {
		t.Fatal(err)
	}
	body := get(t, start(t, f), "/?account="+url.QueryEscape(string(alice)), "").body
	i := strings.Index(body, `<details class="thread">`)
	if i < 0 {
		t.Fatalf("no thread on the page:\n%s", body)
	}
	thread := body[i:]
	thread = thread[:strings.Index(thread, "</article>")]
	for _, want := range []string{"Thread: 1 before, 1 by the author after", "wombatquestion", "selfreplyword",
		`<details class="others"><summary>1 reply by others</summary>`, "otherreplyword"} {
		if !strings.Contains(thread, want) {
			t.Errorf("thread lacks %q:\n%s", want, thread)
		}
	}
	if strings.Index(thread, "otherreplyword") < strings.Index(thread, `<details class="others">`) {
		t.Errorf("the other person's reply is not in the inner fold:\n%s", thread)
	}
	if !strings.Contains(body, `<a href="/?account=alice%40home.example&amp;q=tag%3Arecipes">recipes</a>`) {
		t.Errorf("tag link missing")
	}
	if !strings.Contains(body, `<p class="local-note">&lt;b&gt;bold?&lt;/b&gt; no</p>`) {
		t.Errorf("note missing or not escaped")
	}
}

// TestLabelFormRefusesCrossSite: the page's own form (its token, its
// Origin) changes the tags and note; the same POST from another site, or
// without the token, is refused and changes nothing.
func TestLabelFormRefusesCrossSite(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	base := start(t, f)
	page := get(t, base, "/?account="+url.QueryEscape(string(alice)), "").body
	m := regexp.MustCompile(`name="token" value="([0-9a-f]{64})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the page")
	}
	newest := f.posts[len(f.posts)-1]
	post := func(origin, token string) int {
		t.Helper()
		form := url.Values{"token": {token}, "account": {string(alice)}, "uri": {newest.uri()},
			"tags": {"Recipes, later"}, "note": {"from the form"}, "back": {"/?account=x"}}
		req, _ := http.NewRequest(http.MethodPost, base+"/labels", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	labels := func() ([]string, string) {
		hits, err := f.archive.Search(ctx, fedimarks.Query{Account: alice, Limit: 1})
		if err != nil || len(hits) != 1 {
			t.Fatal(hits, err)
		}
		return hits[0].Bookmark.Tags, hits[0].Bookmark.Note
	}
	for _, c := range []struct{ origin, token string }{
		{"https://evil.example", m[1]}, // another site with a stolen token
		{"", m[1]},                     // no Origin, no Referer
		{base, "0000"},                 // the right origin, a wrong token
	} {
		if code := post(c.origin, c.token); code != http.StatusForbidden {
			t.Errorf("POST origin %q token %q: %d, want 403", c.origin, c.token, code)
		}
	}
	if tags, note := labels(); len(tags) != 0 || note != "" {
		t.Fatalf("a refused POST changed the labels: %v %q", tags, note)
	}
	if code := post(base, m[1]); code != http.StatusSeeOther {
		t.Fatalf("the page's own POST: %d, want 303", code)
	}
	if tags, note := labels(); strings.Join(tags, " ") != "later recipes" || note != "from the form" {
		t.Errorf("after the form: %v %q", tags, note)
	}
}
