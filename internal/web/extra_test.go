package web_test

import (
	"context"
	"net/url"
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
