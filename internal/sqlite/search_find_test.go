package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// gtsStatus is a status as GoToSocial 0.20 returned it from
// GET /api/v1/bookmarks (../shared/servers), with its id, content and tags
// to fill in.
const gtsStatus = `{"id":"01M952QE48NAHT5RGAHHTRYT%02d","created_at":"2026-12-06T07:05:09.000Z","edited_at":null,` +
	`"in_reply_to_id":null,"in_reply_to_account_id":null,"sensitive":false,"spoiler_text":"","visibility":"public",` +
	`"language":"en","uri":"http://gts2.test/users/erin/statuses/01M952QF24A9F2NWQD0VA4FY%02d",` +
	`"url":"http://gts2.test/@erin/statuses/01M952QF24A9F2NWQD0VA4FY%02d","replies_count":0,"reblogs_count":0,` +
	`"favourites_count":0,"favourited":false,"reblogged":false,"muted":false,"bookmarked":true,"pinned":false,` +
	`"content":%s,"reblog":null,"account":{"id":"01M952QARAKRJ740P9ENPWZWKH","username":"erin",` +
	`"acct":"erin@gts2.test","display_name":"erin the Author \u2728","locked":true,"discoverable":false,"bot":false,` +
	`"created_at":"2026-12-06T07:04:27.000Z","note":"","url":"http://gts2.test/@erin","avatar":"","avatar_static":"",` +
	`"emojis":[],"fields":[],"group":false},"media_attachments":[],"mentions":[],"tags":%s,"emojis":[],"card":null}`

// gts returns post n with the given HTML content and hashtags.
func gts(t *testing.T, n int, content string, tags ...string) fedimarks.Status {
	t.Helper()
	c, _ := json.Marshal(content)
	tj := []map[string]string{}
	for _, tag := range tags {
		tj = append(tj, map[string]string{"name": tag, "url": "http://gts2.test/tags/" + tag})
	}
	tb, _ := json.Marshal(tj)
	s, err := fedimarks.ParseStatus([]byte(fmt.Sprintf(gtsStatus, n, n, n, c, tb)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newArchive opens a new archive file, closed when the test ends.
func newArchive(t testing.TB) *sqlite.Archive {
	t.Helper()
	a, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// savePosts archives ss for home in one page of a finished backup.
func savePosts(t *testing.T, ss ...fedimarks.Status) *sqlite.Archive {
	t.Helper()
	ctx := context.Background()
	a := newArchive(t)
	run, err := a.StartRun(ctx, home, true, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run, ss, "", base); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FinishRun(ctx, run, base); err != nil {
		t.Fatal(err)
	}
	return a
}

// found returns the numbers (as gts numbered them) of the posts text finds.
func found(t *testing.T, a *sqlite.Archive, text string) []int {
	t.Helper()
	q, err := fedimarks.ParseQuery(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	q.Account = home
	hits, err := a.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	var ns []int
	for _, h := range hits {
		var n int
		uri := h.Bookmark.Status.URI
		fmt.Sscanf(uri[strings.LastIndex(uri, "FY")+2:], "%d", &n)
		ns = append(ns, n)
	}
	return ns
}

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[int]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		if m[x]--; m[x] < 0 {
			return false
		}
	}
	return true
}

// TestSearchFindsEmoji: an emoji is found wherever it stands in a post:
// alone, touching a word, between other emoji, with a variation selector
// or a skin tone; a run of emoji is found as typed. (GoToSocial's real
// post "... 日本語 テスト 🦘🎉 emoji" was found by nothing.)
func TestSearchFindsEmoji(t *testing.T) {
	a := savePosts(t,
		gts(t, 1, "<p>erin post number 44: thinking about tessellate today. Ünïcödé ✓ 日本語 テスト 🦘🎉 emoji</p>"),
		gts(t, 2, "<p>a 🦘 in the garden</p>"),
		gts(t, 3, "<p>hopping today🦘</p>"),
		gts(t, 4, "<p>🦘🦘🦘</p>"),
		gts(t, 5, "<p>love it ❤️ and 👍🏽</p>"),
		gts(t, 6, "<p>no marsupial here, only a koala</p>"),
		gts(t, 7, "<p>flag 🇦🇺 waves</p>"),
	)
	for _, c := range []struct {
		query string
		want  []int
	}{
		{"🦘", []int{1, 2, 3, 4}},
		{"🦘🎉", []int{1}},
		{"🎉", []int{1}},
		{"today🦘", []int{3}},
		{"❤️", []int{5}},
		{"❤", []int{5}},
		{"👍", []int{5}},
		{"👍🏽", []int{5}},
		{"🇦🇺", []int{7}},
		{"✓", []int{1}},
		{"テスト", []int{1}},
		{"✨", []int{1, 2, 3, 4, 5, 6, 7}}, // in the author's display name
	} {
		if got := found(t, a, c.query); !sameSet(got, c.want) {
			t.Errorf("search %q found posts %v, want %v", c.query, got, c.want)
		}
	}
}

// TestSearchFindsHashtags: a hashtag is found with or without its #, in
// the text as Mastodon writes it (a link around #<span>tag</span>) and
// when the server lists it only in tags.
func TestSearchFindsHashtags(t *testing.T) {
	a := savePosts(t,
		gts(t, 1, `<p>Spotted one <a href="http://gts2.test/tags/kangaroo" class="mention hashtag" rel="tag">#<span>Kangaroo</span></a></p>`, "kangaroo"),
		gts(t, 2, `<p>a photo</p>`, "kangaroo"),
		gts(t, 3, `<p>kangaroo steak recipe</p>`),
		gts(t, 4, `<p>about <a href="http://gts2.test/tags/wallaby" class="mention hashtag" rel="tag">#<span>wallaby</span></a></p>`, "wallaby"),
	)
	for _, c := range []struct {
		query string
		want  []int
	}{
		{"#kangaroo", []int{1, 2, 3}},
		{"kangaroo", []int{1, 2, 3}},
		{"#Kangaroo", []int{1, 2, 3}},
		{"#wallaby", []int{4}},
		{"wallaby", []int{4}},
	} {
		if got := found(t, a, c.query); !sameSet(got, c.want) {
			t.Errorf("search %q found posts %v, want %v", c.query, got, c.want)
		}
	}
}

// TestSearchIndexCurrentAfterSavePage: the search index is written with
// each page of a backup, so that nothing is left for a search to index
// and what a page saved is found at once.
func TestSearchIndexCurrentAfterSavePage(t *testing.T) {
	ctx := context.Background()
	a := savePosts(t, gts(t, 1, "<p>first quokka</p>"), gts(t, 2, "<p>second wombat</p>"))
	if n, err := a.IndexSearch(ctx); err != nil || n != 0 {
		t.Errorf("IndexSearch after a backup indexed %d statuses (%v), want 0: the backup left the index behind", n, err)
	}
	// A status that changes on the server is indexed again by the next
	// backup that sees it.
	run, err := a.StartRun(ctx, home, true, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run, []fedimarks.Status{gts(t, 1, "<p>first platypus</p>")}, "", base); err != nil {
		t.Fatal(err)
	}
	if n, err := a.IndexSearch(ctx); err != nil || n != 0 {
		t.Errorf("IndexSearch after a changed status indexed %d (%v), want 0", n, err)
	}
	if got := found(t, a, "platypus"); !sameSet(got, []int{1}) {
		t.Errorf("platypus found %v, want [1]", got)
	}
	if got := found(t, a, "quokka"); len(got) != 0 {
		t.Errorf("quokka (edited away) found %v, want nothing", got)
	}
}

// TestSearchUpgradeReindexesEmoji: an archive indexed by an older
// fedimarks (whose tokenizer dropped emoji) is indexed again when opened,
// so that its emoji are found.
func TestSearchUpgradeReindexesEmoji(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	a, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := a.StartRun(ctx, home, false, base)
	if err := a.SavePage(ctx, run, []fedimarks.Status{gts(t, 1, "<p>a 🦘 here</p>")}, "", base); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = reopenAfter(t, path,
		`DROP TABLE search_fts`,
		`CREATE VIRTUAL TABLE search_fts USING fts5 (body, spoiler, author, links, tokenize = 'unicode61 remove_diacritics 2')`,
		`INSERT INTO search_fts (rowid, body, spoiler, author, links) SELECT id, plain_text, '', '', '' FROM statuses`,
		`DELETE FROM schema_migrations WHERE version = 12`)
	if got := found(t, a, "🦘"); !sameSet(got, []int{1}) {
		t.Errorf("🦘 after upgrading found %v, want [1]", got)
	}
}

// reopenAfter runs stmts on the closed archive at path, as an older
// fedimarks would have left it, and opens it again (running migrations).
func reopenAfter(t *testing.T, path string, stmts ...string) *sqlite.Archive {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	a, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestSearchByDateWithCursors: a listing in date order (the timeline, or
// a search ByDate) paged by cursors gives every match once, newest first,
// in the order of the whole listing; a page's NewerCursor gives back the
// page before it; the matches are those of the ranked search.
func TestSearchByDateWithCursors(t *testing.T) {
	ctx := context.Background()
	a, _ := buildArchive(t, 300)
	for _, q := range []fedimarks.Query{
		{Account: home},
		{Account: home, Text: "golang", ByDate: true},
		{Account: home, Text: "golang -user10", ByDate: true, HasMedia: true},
	} {
		whole, err := a.Search(ctx, q)
		if err != nil || len(whole) < 5 {
			t.Fatalf("%+v: %d hits, %v", q, len(whole), err)
		}
		if q.Text != "" {
			ranked, err := a.Search(ctx, fedimarks.Query{Account: q.Account, Text: q.Text, HasMedia: q.HasMedia})
			if err != nil || !sameStrings(uris(ranked), uris(whole)) {
				t.Errorf("%q by date finds other posts than ranked (%d, %d)", q.Text, len(whole), len(ranked))
			}
		}
		// From an offset (a page typed by number), the same order.
		byOffset, err := a.Search(ctx, fedimarks.Query{Account: q.Account, Text: q.Text, HasMedia: q.HasMedia, ByDate: q.ByDate, Offset: 2, Limit: 3})
		if err != nil || !slices.Equal(uris(byOffset), uris(whole[2:5])) {
			t.Errorf("%q from offset 2: %v (%v), want %v", q.Text, uris(byOffset), err, uris(whole[2:5]))
		}
		var paged []fedimarks.Hit
		var pages [][]fedimarks.Hit
		p := q
		p.Limit = 3
		for {
			hits, err := a.Search(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 {
				break
			}
			paged, pages = append(paged, hits...), append(pages, hits)
			p.Cursor = hits[len(hits)-1].OlderCursor
		}
		if !slices.Equal(uris(paged), uris(whole)) {
			t.Errorf("%q paged by cursors: %d hits, want the %d of the whole listing in its order", q.Text, len(paged), len(whole))
		}
		for i := 1; i < len(pages); i++ {
			p.Cursor = pages[i][0].NewerCursor
			back, err := a.Search(ctx, p)
			if err != nil || !slices.Equal(uris(back), uris(pages[i-1])) {
				t.Errorf("%q: newer than page %d gives %d hits (%v), want page %d", q.Text, i+1, len(back), err, i)
			}
		}
	}
	_, err := a.Search(ctx, fedimarks.Query{Account: home, Cursor: "o:12"})
	if fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("a bad cursor: %v, want EInvalid", err)
	}
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
