package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

const home = fedimarks.Handle("alice@home.example")

var topics = []string{"rust", "golang", "python", "cats", "dogs"}

// post describes one generated post; the tests compute what each filter
// should return from these fields, independently of the SQL.
type post struct {
	i         int
	user      int
	host      string // "" for an author local to home.example
	lang      string
	created   time.Time
	media     bool
	topic     string
	spoiler   string
	extraHTML string
	// mentions are the post's mentions[] (acct, url).
	mentions [][2]string
}

func (p post) uri() string { return fmt.Sprintf("https://home.example/users/x/statuses/%d", p.i) }

func (p post) handle() string {
	if p.host == "" {
		return fmt.Sprintf("user%d@home.example", p.user)
	}
	return fmt.Sprintf("user%d@%s", p.user, p.host)
}

var base = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// genPost makes post i of the test archive.
func genPost(i int) post {
	p := post{
		i:       i,
		user:    i % 50,
		lang:    []string{"en", "de", "en-GB", "fr"}[i%4],
		created: base.Add(time.Duration(i) * time.Hour),
		media:   i%7 == 0,
		topic:   topics[i%5],
	}
	if h := (i / 50) % 5; h > 0 {
		p.host = fmt.Sprintf("host%d.example", h)
	}
	switch i {
	case 1234:
		p.extraHTML = ` <a href="https://needle.example/some/path" rel="nofollow">link</a>`
	case 4321:
		p.spoiler = "spoilerword ahead"
	case 777:
		p.extraHTML = " rust rust rust rust rust"
	case 2468:
		p.mentions = [][2]string{{"dora@mention.example", "https://mention.example/@dora"}}
	case 1357:
		p.mentions = [][2]string{{"eve", "https://home.example/@eve"}} // local: no host in acct
	default:
		if i%500 == 3 {
			p.extraHTML = " hop🦘"
		}
	}
	return p
}

// status renders p as a Mastodon Status JSON, as the server would.
func (p post) status(t testing.TB) fedimarks.Status {
	t.Helper()
	acct := fmt.Sprintf("user%d", p.user)
	profileHost := "home.example"
	if p.host != "" {
		acct += "@" + p.host
		profileHost = p.host
	}
	name := fmt.Sprintf("User %d", p.user)
	if p.user == 7 {
		name = "Zed Zebra"
	}
	media := []map[string]any{}
	if p.media {
		media = append(media, map[string]any{"id": fmt.Sprint(p.i), "type": "image",
			"url": "https://files.example/" + fmt.Sprint(p.i) + ".png", "preview_url": nil, "remote_url": nil, "description": "a picture"})
	}
	m := map[string]any{
		"id":           fmt.Sprint(100000 + p.i),
		"uri":          p.uri(),
		"url":          fmt.Sprintf("https://home.example/@x/%d", p.i),
		"created_at":   p.created.Format(time.RFC3339Nano),
		"content":      fmt.Sprintf("<p>post number %d about %s%s</p>", p.i, p.topic, p.extraHTML),
		"spoiler_text": p.spoiler,
		"language":     p.lang,
		"visibility":   "public",
		"account": map[string]any{"id": fmt.Sprint(p.user), "username": fmt.Sprintf("user%d", p.user), "acct": acct,
			"display_name": name, "url": fmt.Sprintf("https://%s/@user%d", profileHost, p.user)},
		"media_attachments": media,
	}
	if p.mentions != nil {
		var ms []map[string]any
		for _, x := range p.mentions {
			user, _, _ := strings.Cut(x[0], "@")
			ms = append(ms, map[string]any{"id": "1", "username": user, "acct": x[0], "url": x[1]})
		}
		m["mentions"] = ms
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fedimarks.ParseStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// buildArchive saves n generated posts as h's bookmarks (newest bookmark =
// highest i) in a real archive file, then removes the ones with
// i%1000 == 999 by a second, full backup that does not list them.
func buildArchive(t testing.TB, n int) (*sqlite.Archive, []post) {
	t.Helper()
	ctx := context.Background()
	a := newArchive(t)
	posts := make([]post, n)
	statuses := make([]fedimarks.Status, n)
	for i := range n {
		posts[i] = genPost(i)
		statuses[n-1-i] = posts[i].status(t) // newest first
	}
	save := func(full bool, keep func(fedimarks.Status) bool, at time.Time) {
		run, err := a.StartRun(ctx, home, full, at)
		if err != nil {
			t.Fatal(err)
		}
		var page []fedimarks.Status
		for _, s := range statuses {
			if keep(s) {
				page = append(page, s)
			}
			if len(page) == 1000 {
				if err := a.SavePage(ctx, run, page, "", at); err != nil {
					t.Fatal(err)
				}
				page = page[:0]
			}
		}
		if err := a.SavePage(ctx, run, page, "", at); err != nil {
			t.Fatal(err)
		}
		if _, err := a.FinishRun(ctx, run, at); err != nil {
			t.Fatal(err)
		}
	}
	save(true, func(fedimarks.Status) bool { return true }, base)
	save(true, func(s fedimarks.Status) bool { return !strings.HasSuffix(s.URI, "999") }, base.Add(time.Hour))
	return a, posts
}

func removed(p post) bool { return p.i%1000 == 999 }

func head(s []string) []string { return s[:min(len(s), 5)] }

func uris(hits []fedimarks.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Bookmark.Status.URI
	}
	return out
}

func TestSearchFilters(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 10000)

	// A second account shares no bookmarks with alice except post 5.
	other := fedimarks.Handle("bob@other.example")
	run, err := a.StartRun(ctx, other, false, base)
	if err != nil {
		t.Fatal(err)
	}
	extra := genPost(20000)
	extra.extraHTML = " otheraccountword rust"
	if err := a.SavePage(ctx, run, []fedimarks.Status{extra.status(t), posts[5].status(t)}, "", base); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		query string
		q     fedimarks.Query // added to the parsed query
		want  func(p post) bool
	}{
		{query: "golang", want: func(p post) bool { return p.topic == "golang" }},
		{query: "GOLANG", want: func(p post) bool { return p.topic == "golang" }},
		{query: "gola*", want: func(p post) bool { return p.topic == "golang" }},
		{query: `"number 1234 about"`, want: func(p post) bool { return p.i == 1234 }},
		{query: `"about 1234"`, want: func(p post) bool { return false }},
		{query: "1234 golang", want: func(p post) bool { return false }},
		{query: "needle.example", want: func(p post) bool { return p.i == 1234 }},
		{query: "spoilerword", want: func(p post) bool { return p.i == 4321 }},
		{query: "zebra", want: func(p post) bool { return p.user == 7 }},
		{query: "user7@host2.example", want: func(p post) bool { return p.handle() == "user7@host2.example" }},
		// Mentioned accounts are found by full handle, local ones too.
		{query: "dora@mention.example", want: func(p post) bool { return p.i == 2468 }},
		{query: "@dora@mention.example", want: func(p post) bool { return p.i == 2468 }},
		{query: "eve@home.example", want: func(p post) bool { return p.i == 1357 }},
		{query: "otheraccountword", want: func(p post) bool { return false }},
		{query: "🎉", want: func(p post) bool { return false }},
		{query: "from:user7", want: func(p post) bool { return p.user == 7 }},
		{query: "from:User7@Host2.example", want: func(p post) bool { return p.handle() == "user7@host2.example" }},
		{query: "from:user0@home.example", want: func(p post) bool { return p.handle() == "user0@home.example" }},
		{query: "has:media", want: func(p post) bool { return p.media }},
		{query: "before:2020-01-05", want: func(p post) bool { return p.created.Before(base.AddDate(0, 0, 4)) }},
		{query: "after:2020-12-31", want: func(p post) bool { return !p.created.Before(base.AddDate(1, 0, 0)) }},
		{query: "after:2020-02-01 before:2020-02-03", want: func(p post) bool {
			return !p.created.Before(base.AddDate(0, 1, 1)) && p.created.Before(base.AddDate(0, 1, 2))
		}},
		{query: "lang:en", want: func(p post) bool { return p.lang == "en" || p.lang == "en-GB" }},
		{query: "lang:en-gb", want: func(p post) bool { return p.lang == "en-GB" }},
		{query: "lang:de", want: func(p post) bool { return p.lang == "de" }},
		{query: "cats has:media lang:fr from:user15", want: func(p post) bool {
			return p.topic == "cats" && p.media && p.lang == "fr" && p.user == 15
		}},
		{query: "", want: func(p post) bool { return true }},
		{query: "rust", want: func(p post) bool { return p.topic == "rust" || p.i == 777 }},
		{query: "rust", q: fedimarks.Query{IncludeRemoved: true}, want: func(p post) bool { return p.topic == "rust" || p.i == 777 }},
		{query: "", q: fedimarks.Query{IncludeRemoved: true}, want: func(p post) bool { return true }},
		// A leading minus excludes, with or without words to match.
		{query: "about -rust", want: func(p post) bool { return p.topic != "rust" && p.i != 777 }},
		{query: "-rust", want: func(p post) bool { return p.topic != "rust" && p.i != 777 }},
		{query: `-rust -"number 12"`, want: func(p post) bool { return p.topic != "rust" && p.i != 777 && p.i != 12 }},
		{query: "-rust has:media", want: func(p post) bool { return p.topic != "rust" && p.i != 777 && p.media }},
		{query: "golang -zzznothing", want: func(p post) bool { return p.topic == "golang" }},
		{query: "golang -gol*", want: func(p post) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := fedimarks.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q.Account = home
			q.IncludeRemoved = tt.q.IncludeRemoved
			// Bookmark order: the second backup's (every post but the
			// removed ones) newest first, then the removed ones, which
			// keep the first backup's lower positions.
			var active, gone []string
			for _, p := range slices.Backward(posts) {
				switch {
				case !tt.want(p):
				case !removed(p):
					active = append(active, p.uri())
				case q.IncludeRemoved:
					gone = append(gone, p.uri())
				}
			}
			want := append(active, gone...)
			hits, err := a.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got := uris(hits)
			if len(q.Terms()) == 0 {
				if !slices.Equal(got, want) {
					t.Fatalf("got %d hits %q..., want %d in bookmark order %q...", len(got), head(got), len(want), head(want))
				}
			} else {
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("got %d hits %q..., want %d: %q...", len(got), head(got), len(want), head(want))
				}
			}
			n, err := a.SearchCount(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(want) {
				t.Errorf("SearchCount = %d, want %d", n, len(want))
			}
		})
	}

	t.Run("bob sees his own", func(t *testing.T) {
		hits, err := a.Search(ctx, fedimarks.Query{Account: other, Text: "rust"})
		if err != nil {
			t.Fatal(err)
		}
		got := uris(hits)
		slices.Sort(got)
		if want := []string{extra.uri(), posts[5].uri()}; !slices.Equal(got, want) {
			t.Errorf("bob's rust = %q, want %q", got, want)
		}
	})
}

func TestSearchRankSnippetAndPaging(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 2000)

	hits, err := a.Search(ctx, fedimarks.Query{Account: home, Text: "rust", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 {
		t.Fatalf("got %d hits, want 3", len(hits))
	}
	if hits[0].Bookmark.Status.URI != posts[777].uri() {
		t.Errorf("best hit = %s, want post 777, which says rust six times", hits[0].Bookmark.Status.URI)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Rank < hits[i-1].Rank {
			t.Errorf("hits not in rank order: %v then %v", hits[i-1].Rank, hits[i].Rank)
		}
	}
	h := hits[1]
	frags := fedimarks.Fragments(h.Snippet)
	var matched []string
	for _, f := range frags {
		if f.Match {
			matched = append(matched, f.Text)
		}
	}
	if !slices.Equal(matched, []string{"rust"}) || !strings.Contains(h.PlainSnippet(), "about rust") {
		t.Errorf("snippet %q: matched %q, want [rust] in %q", h.Snippet, matched, "about rust")
	}
	if h.Bookmark.Status.ID == "" || h.Bookmark.FirstSeen.IsZero() || h.Bookmark.Account != string(home) {
		t.Errorf("hit bookmark not filled: %+v", h.Bookmark)
	}

	// Paging through ranked results gives every hit once.
	all, err := a.Search(ctx, fedimarks.Query{Account: home, Text: "cats"})
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for off := 0; ; off += 70 {
		page, err := a.Search(ctx, fedimarks.Query{Account: home, Text: "cats", Limit: 70, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, uris(page)...)
	}
	if !slices.Equal(paged, uris(all)) || len(all) == 0 {
		t.Errorf("paging gave %d hits, all at once %d, or a different order", len(paged), len(all))
	}

	// Without text, the snippet is the post's start, unmarked (1999 was
	// removed).
	tl, err := a.Search(ctx, fedimarks.Query{Account: home, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1 || tl[0].Snippet != "post number 1998 about cats" {
		t.Errorf("timeline head = %+v", tl)
	}

	if _, err := a.Search(ctx, fedimarks.Query{Text: "x"}); fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("search without account: %v, want EInvalid", err)
	}
}

func TestSearchFollowsUpdates(t *testing.T) {
	ctx := context.Background()
	a, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p := genPost(1)
	p.extraHTML = " oldword"
	run, _ := a.StartRun(ctx, home, false, base)
	if err := a.SavePage(ctx, run, []fedimarks.Status{p.status(t)}, "", base); err != nil {
		t.Fatal(err)
	}
	count := func(text string) int {
		t.Helper()
		n, err := a.SearchCount(ctx, fedimarks.Query{Account: home, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count("oldword") != 1 {
		t.Fatal("new post not found")
	}
	// The post is edited on the server; the next backup sees the new text.
	p.extraHTML = " newword \x02marked\x03"
	if err := a.SavePage(ctx, run, []fedimarks.Status{p.status(t)}, "", base); err != nil {
		t.Fatal(err)
	}
	if count("oldword") != 0 || count("newword") != 1 {
		t.Errorf("after an edit: oldword %d, newword %d; want 0, 1", count("oldword"), count("newword"))
	}
	hits, err := a.Search(ctx, fedimarks.Query{Account: home, Text: "newword"})
	if err != nil || len(hits) != 1 {
		t.Fatalf("search newword: %v %v", hits, err)
	}
	if n := strings.Count(hits[0].Snippet, fedimarks.HighlightStart); n != 1 {
		t.Errorf("snippet %q has %d highlight marks, want only the match's", hits[0].Snippet, n)
	}
	// Nothing pending any more.
	if n, err := a.IndexSearch(ctx); err != nil || n != 0 {
		t.Errorf("IndexSearch = %d, %v; want 0, nil", n, err)
	}
}

// TestSearchBackfill opens an archive made before search existed (only
// the first two migrations, one status in it) and finds that status.
func TestSearchBackfill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for v, name := range map[int]string{1: "0001_core", 2: "0002_import"} {
		b, err := os.ReadFile(filepath.Join("migrations", name+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, string(b)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, '2024-01-01T00:00:00.000000000Z')`, v, name); err != nil {
			t.Fatal(err)
		}
	}
	p := genPost(3)
	p.extraHTML = ` oldpost <a href="https://backfilled.example/">x</a>`
	s := p.status(t)
	res, err := db.ExecContext(ctx, `INSERT INTO statuses (uri, author_acct, plain_text, raw, fetched_at, host) VALUES (?, ?, ?, ?, ?, 'home.example')`,
		s.URI, s.Account.Acct, "post number 3 about golang oldpost", string(s.Raw), "2024-01-01T00:00:00.000000000Z")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	if _, err := db.ExecContext(ctx, `INSERT INTO bookmarks (account, status_id, position, first_seen, last_seen, last_run) VALUES (?, ?, 1, '2024-01-01T00:00:00.000000000Z', '2024-01-01T00:00:00.000000000Z', 1)`,
		string(home), id); err != nil {
		t.Fatal(err)
	}
	db.Close()

	a, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, text := range []string{"oldpost", "backfilled.example"} {
		hits, err := a.Search(ctx, fedimarks.Query{Account: home, Text: text, From: p.handle()})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].Bookmark.Status.URI != s.URI {
			t.Errorf("search %q in a migrated archive: %d hits, want the old post", text, len(hits))
		}
	}
}

// BenchmarkSearch searches archives of 1,000 and 10,000 posts (and
// 100,000 with FEDIMARKS_BENCH_LARGE=1): a page of 20 hits for words,
// phrases and filters, and every hit of a common word (a fifth of the
// archive) streamed as `fedimarks search golang | ...` does.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	sizes := []int{1_000, 10_000}
	if os.Getenv("FEDIMARKS_BENCH_LARGE") != "" {
		sizes = append(sizes, 100_000)
	}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("%dk", size/1000), func(b *testing.B) {
			a, _ := buildArchive(b, size)
			for _, bc := range []struct {
				name, query string
				limit       int
				byDate      bool
			}{
				{"word", "golang", 20, false},
				// What the search command and the page do past
				// fedimarks.RankLimit matches.
				{"word newest first", "golang", 20, true},
				{"rare word", "spoilerword", 20, false},
				{"phrase", `"number 123 about"`, 20, false},
				{"prefix", "py*", 20, false},
				{"emoji", "🦘", 20, false},
				{"filters only", "has:media lang:en", 20, false},
				{"word and filters", "rust from:user15 after:2020-03-01", 20, false},
				{"every hit of a word", "golang", 0, false},
				{"every hit of a word newest first", "golang", 0, true},
			} {
				q, err := fedimarks.ParseQuery(bc.query)
				if err != nil {
					b.Fatal(err)
				}
				q.Account, q.Limit, q.ByDate = home, bc.limit, bc.byDate
				b.Run(bc.name, func(b *testing.B) {
					var (
						n     int
						times []time.Duration
					)
					for b.Loop() {
						n = 0
						start := time.Now()
						if err := a.EachHit(ctx, q, func(fedimarks.Hit) error { n++; return nil }); err != nil {
							b.Fatal(err)
						}
						times = append(times, time.Since(start))
					}
					slices.Sort(times)
					b.ReportMetric(float64(n), "hits/op")
					b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-p50")
					b.ReportMetric(float64(times[min(len(times)-1, len(times)*95/100)].Microseconds())/1000, "ms-p95")
				})
			}
		})
	}
}

// TestSearchReindexesForMentions: an archive indexed before mentions were
// indexed is indexed again on opening, so its mentions are found.
func TestSearchReindexesForMentions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	a, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := genPost(2468)
	run, _ := a.StartRun(ctx, home, false, base)
	if err := a.SavePage(ctx, run, []fedimarks.Status{p.status(t)}, "", base); err != nil {
		t.Fatal(err)
	}
	if _, err := a.IndexSearch(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()
	// Make it look like an archive indexed by an older fedimarks: no
	// mention in the index, the reindexing migration not applied.
	a = reopenAfter(t, path, `UPDATE search_fts SET links = ''`, `DELETE FROM schema_migrations WHERE name = '0006_search_mentions'`)
	if n, err := a.SearchCount(ctx, fedimarks.Query{Account: home, Text: "dora@mention.example"}); err != nil || n != 1 {
		t.Errorf("mention after reopening: %d, %v; want 1", n, err)
	}
}

// TestSearchSnippetPrefersText: a post found by its author's name shows
// its text as the snippet, not the name; a match in the text is
// highlighted there.
func TestSearchSnippetPrefersText(t *testing.T) {
	ctx := context.Background()
	a, _ := buildArchive(t, 60)
	hits, err := a.Search(ctx, fedimarks.Query{Account: home, Text: "zebra"})
	if err != nil || len(hits) == 0 {
		t.Fatalf("search zebra: %d hits, %v", len(hits), err)
	}
	for _, h := range hits {
		if s := h.PlainSnippet(); !strings.HasPrefix(s, "post number ") || strings.Contains(s, "Zebra") {
			t.Errorf("snippet of a name match = %q, want the post's text", h.Snippet)
		}
	}
	hits, err = a.Search(ctx, fedimarks.Query{Account: home, Text: "zebra python"})
	if err != nil || len(hits) == 0 {
		t.Fatalf("search zebra python: %d hits, %v", len(hits), err)
	}
	if !strings.Contains(hits[0].Snippet, fedimarks.HighlightStart+"python"+fedimarks.HighlightEnd) {
		t.Errorf("snippet %q does not highlight the match in the text", hits[0].Snippet)
	}
}
