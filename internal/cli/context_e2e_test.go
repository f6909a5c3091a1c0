package cli

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	_ "modernc.org/sqlite"
)

// thread is one made-up conversation: q (by someone else) is answered by
// root (by the author), which the author continues with r1 and r2; o1 is
// another person's reply to root and x2 the author's answer to o1 (not
// part of the self-thread: someone else broke the chain).
type thread struct {
	q, root, r1, r2, o1, x2 *mastodontest.Status
}

func makeThread(author, other *mastodontest.Account) thread {
	var t thread
	t.q = other.Post(mastodontest.PostOptions{})
	t.root = t.q.Reply(author, mastodontest.PostOptions{})
	t.r1 = t.root.Reply(author, mastodontest.PostOptions{})
	t.o1 = t.root.Reply(other, mastodontest.PostOptions{})
	t.r2 = t.r1.Reply(author, mastodontest.PostOptions{})
	t.x2 = t.o1.Reply(author, mastodontest.PostOptions{})
	return t
}

func uriList(ss ...*mastodontest.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.URI()
	}
	return out
}

func threadURIs(t *testing.T, ar *sqlite.Archive, uri string) (anc, desc []string) {
	t.Helper()
	as, ds, err := ar.ThreadOf(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range as {
		anc = append(anc, s.URI)
	}
	for _, s := range ds {
		desc = append(desc, s.URI)
	}
	return anc, desc
}

// TestBackupContextStoresEachThreadOnce: 200 bookmarks, two in each of 100
// threads, backed up with --context against a server that allows 120
// requests a second, with a token that lacks read:statuses (as fedimarks'
// own login asks): every bookmark's self-thread is kept, each post stored
// once, one context request per bookmark, no 429; later runs ask only
// for new bookmarks' threads;
// --context all keeps everyone's replies.
func TestBackupContextStoresEachThreadOnce(t *testing.T) {
	f := newFediverse(t)
	author, other := f.a.AddAccount("writer"), f.a.AddAccount("chatty")
	var threads []thread
	for range 100 {
		th := makeThread(author, other)
		threads = append(threads, th)
		f.alice.Bookmark(th.root)
		f.alice.Bookmark(th.r2)
	}
	mustRun(t, 0, f.home, f.alice.Token("read:bookmarks", "write:bookmarks", "read:search", "profile")+"\n",
		"login", f.a.URL(), "--token-stdin")
	f.a.SetRateLimit(120, time.Second)
	f.a.ResetCounts()
	r := mustRun(t, 0, f.home, "", "backup", f.alice.Handle(), "--context")
	if !strings.Contains(r.stderr, "200 threads kept") {
		t.Errorf("backup does not say it kept 200 threads:\n%s", r.stderr)
	}
	if n := f.a.Responses(429); n != 0 {
		t.Errorf("the server answered 429 %d times", n)
	}
	// One with the token (403: no read:statuses), then one each without.
	if n := f.a.Requests("GET", "/api/v1/statuses/"); n != 201 {
		t.Errorf("%d context requests, want 201 (one per bookmark, plus the refused first)", n)
	}

	ar := openHomeArchive(t, f.home)
	defer ar.Close()
	for _, th := range threads[:3] {
		checkSelfThread(t, ar, th)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.home, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var statuses, links int
	db.QueryRow(`SELECT count(*) FROM statuses`).Scan(&statuses)
	db.QueryRow(`SELECT count(*) FROM thread_links`).Scan(&links)
	if statuses != 400 || links != 600 {
		t.Errorf("archive holds %d statuses and %d thread links, want 400 (q, root, r1, r2 of each thread, once) and 600", statuses, links)
	}

	// A second run fetches only the new bookmark's thread (each run's
	// first request learns again that the token lacks read:statuses).
	th := makeThread(author, other)
	f.alice.Bookmark(th.r1)
	// A new window: a new run knows nothing of the last one's budget, and
	// a 429 at the tail of the first run's window would be retried (and
	// counted) here.
	f.a.SetRateLimit(120, time.Second)
	f.a.ResetCounts()
	r = mustRun(t, 0, f.home, "", "backup", f.alice.Handle(), "--context")
	if n := f.a.Requests("GET", "/api/v1/statuses/"); n != 2 {
		t.Errorf("second run: %d context requests, want 2 (the new bookmark's, refused then anonymous)", n)
	}
	if !strings.Contains(r.stderr, "1 thread kept") {
		t.Errorf("second run does not say it kept 1 thread:\n%s", r.stderr)
	}
	if anc, desc := threadURIs(t, ar, th.r1.URI()); !slices.Equal(anc, uriList(th.q, th.root)) || !slices.Equal(desc, uriList(th.r2)) {
		t.Errorf("thread of the new bookmark: %v %v", anc, desc)
	}
	f.a.SetRateLimit(120, time.Second)
	f.a.ResetCounts()
	r = mustRun(t, 0, f.home, "", "backup", f.alice.Handle(), "--context")
	if n := f.a.Requests("GET", "/api/v1/statuses/"); n != 0 {
		t.Errorf("third run: %d context requests, want 0", n)
	}
	if strings.Contains(r.stderr, "0 threads") {
		t.Errorf("third run speaks of threads it had none to fetch:\n%s", r.stderr)
	}

	// Search covers thread posts, after the bookmarks, marked as context.
	qq := other.Post(mastodontest.PostOptions{Text: "<p>zanzibar question</p>"})
	rr := qq.Reply(author, mastodontest.PostOptions{Text: "<p>my zanzibar answer</p>"})
	f.alice.Bookmark(rr)
	mustRun(t, 0, f.home, "", "backup", f.alice.Handle(), "--context")
	lines := strings.Split(strings.TrimSpace(mustRun(t, 0, f.home, "", "search", "zanzibar", "--json").stdout), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"uri":"`+rr.URI()+`"`) || strings.Contains(lines[0], "context_of") ||
		!strings.Contains(lines[1], `"uri":"`+qq.URI()+`"`) || !strings.Contains(lines[1], `"context_of":"`+rr.URI()+`"`) {
		t.Errorf("search zanzibar --json: want the bookmark, then the question marked as its context:\n%s", strings.Join(lines, "\n"))
	}
	tsv := mustRun(t, 0, f.home, "", "search", "question", "zanzibar").stdout
	if !strings.Contains(tsv, "\t[context] ") || strings.Count(tsv, "\n") != 1 {
		t.Errorf("tab-separated search does not mark the thread post:\n%s", tsv)
	}

	// export --with-context: html and markdown show the kept threads.
	for _, format := range []string{"html", "markdown"} {
		plain := mustRun(t, 0, f.home, "", "export", f.alice.Handle(), "--offline", "--format", format).stdout
		with := mustRun(t, 0, f.home, "", "export", f.alice.Handle(), "--offline", "--format", format, "--with-context").stdout
		if strings.Contains(plain, threads[0].q.URL()) {
			t.Errorf("%s export without --with-context shows the thread", format)
		}
		// q is in no bookmark but in the threads of root and r2.
		if n := strings.Count(with, threads[0].q.URL()); n != 2 {
			t.Errorf("%s export --with-context shows the first thread's question %d times, want 2 (in root's and r2's threads)", format, n)
		}
		if format == "html" && !strings.Contains(with, `<details class="thread"><summary>Thread: 1 before, 2 after</summary>`) {
			t.Errorf("html export lacks root's thread fold")
		}
	}

	// --context all: everyone's replies.
	f.login(t, f.bob)
	th = makeThread(author, other)
	f.bob.Bookmark(th.root)
	mustRun(t, 0, f.home, "", "backup", f.bob.Handle(), "--context", "all")
	_, desc := threadURIs(t, ar, th.root.URI())
	if !slices.Equal(desc, uriList(th.r1, th.r2, th.o1, th.x2)) {
		t.Errorf("--context all: descendants %v", desc)
	}
}

// checkSelfThread checks the thread kept for th's root and for its
// author's reply r2 as --context keeps it: the post above, the author's
// own replies below, nothing else.
func checkSelfThread(t *testing.T, ar *sqlite.Archive, th thread) {
	t.Helper()
	anc, desc := threadURIs(t, ar, th.root.URI())
	if !slices.Equal(anc, uriList(th.q)) || !slices.Equal(desc, uriList(th.r1, th.r2)) {
		t.Errorf("thread of root: ancestors %v descendants %v", anc, desc)
	}
	anc, desc = threadURIs(t, ar, th.r2.URI())
	if !slices.Equal(anc, uriList(th.q, th.root, th.r1)) || len(desc) != 0 {
		t.Errorf("thread of r2: ancestors %v descendants %v", anc, desc)
	}
}
