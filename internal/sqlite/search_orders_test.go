package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// bob is the second account of the listing-order archives: it shares
// every third post of home's, listed in another order.
const bob = fedimarks.Handle("bob@other.example")

// orderPair is one archive file opened twice: ord answers the searches
// it can from listing orders (see listOrder), sql (NoOrders) answers
// every search in SQL alone, as before listing orders.
type orderPair struct {
	path     string
	ord, sql *sqlite.Archive
	posts    []post
}

// orderPost is post i of the listing-order archives: genPost's, some
// saying golang three times (bm25 ranks them apart from the rest, which
// tie), some with a #fedi hashtag, some about rust as well.
func orderPost(i int) post {
	p := genPost(i)
	if i%13 == 0 {
		p.extraHTML += " golang golang"
	}
	if i%17 == 0 {
		p.extraHTML += ` <a href="https://home.example/tags/fedi" class="mention hashtag" rel="tag">#<span>fedi</span></a>`
	}
	if i%23 == 0 {
		p.extraHTML += " rust"
	}
	return p
}

// saveRun saves pages as one backup run of h at at, and finishes it.
func saveRun(t testing.TB, a *sqlite.Archive, h fedimarks.Handle, full bool, at time.Time, pages ...[]fedimarks.Status) {
	t.Helper()
	ctx := context.Background()
	r, err := a.StartRun(ctx, h, full, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages {
		if err := a.SavePage(ctx, r, pg, "", at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.FinishRun(ctx, r, at); err != nil {
		t.Fatal(err)
	}
}

// buildOrderPair archives n posts (orderPost) as home's bookmarks in
// three runs: a full one, a full one that no longer finds every ninth
// post (i%9 == 4: removed), an incremental one that finds ten new posts
// and one of the removed again (13). bob bookmarks every third post,
// oldest first, and one of his own. home tags every 7th post "later"
// and every 11th "work", notes every 19th; bob tags every 6th "later"
// and notes post 0.
func buildOrderPair(t testing.TB, n int) *orderPair {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "archive.db")
	ord, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ord.Close() })
	p := &orderPair{path: path, ord: ord}
	var all, some, bobs []fedimarks.Status
	for i := range n {
		p.posts = append(p.posts, orderPost(i))
	}
	for i := n - 1; i >= 0; i-- {
		s := p.posts[i].status(t)
		all = append(all, s)
		if i%9 != 4 {
			some = append(some, s)
		}
	}
	for i := 0; i < n; i += 3 {
		bobs = append(bobs, p.posts[i].status(t))
	}
	own := genPost(5000)
	own.extraHTML = " bobword golang"
	bobs = append(bobs, own.status(t))
	saveRun(t, ord, home, true, base, all[:n/2], all[n/2:])
	saveRun(t, ord, home, true, base.Add(time.Hour), some)
	var fresh []fedimarks.Status
	for i := 1009; i >= 1000; i-- {
		fresh = append(fresh, orderPost(i).status(t))
	}
	saveRun(t, ord, home, false, base.Add(2*time.Hour), append(fresh, p.posts[13].status(t)))
	saveRun(t, ord, bob, true, base, bobs)
	for i, q := range p.posts {
		var tags []string
		if i%7 == 0 {
			tags = append(tags, "later")
		}
		if i%11 == 0 {
			tags = append(tags, "work")
		}
		if tags != nil {
			if err := ord.SetTags(ctx, home, q.uri(), tags); err != nil {
				t.Fatal(err)
			}
		}
		if i%6 == 0 {
			if err := ord.SetTags(ctx, bob, q.uri(), []string{"later"}); err != nil {
				t.Fatal(err)
			}
		}
		if i%19 == 0 {
			if err := ord.SetNote(ctx, home, q.uri(), "remember this one"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := ord.SetNote(ctx, bob, p.posts[0].uri(), "bob remembers"); err != nil {
		t.Fatal(err)
	}
	p.sql = p.reopen(t)
	sqlite.NoOrders(p.sql)
	return p
}

// reopen opens the pair's archive file once more, closed when the test
// ends.
// serving opens p's archive anew and readies it as serve does before it
// listens (KeepOrders).
func (p *orderPair) serving(t testing.TB) *sqlite.Archive {
	t.Helper()
	a := p.reopen(t)
	if err := a.KeepOrders(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

func (p *orderPair) reopen(t testing.TB) *sqlite.Archive {
	t.Helper()
	a, err := sqlite.Open(context.Background(), p.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// orderQueries are searches of every kind a listing order answers, and
// two it does not (ordered false): text whose words a note holds, and
// the timeline.
var orderQueries = []struct {
	query   string
	account fedimarks.Handle
	ordered bool
}{
	{"golang", home, true},
	{"rust", home, true},
	{"gol*", home, true},
	{"py*", home, true},
	{"golang -rust", home, true},
	{"post", home, true},
	{`"number 13 about"`, home, true},
	{"-golang -python", home, true},
	{"-golang tag:later", home, true},
	{"... tag:later", home, true}, // punctuation only, with a tag
	{"tag:later", home, true},
	{"tag:#later", home, true},
	{"tag:later tag:work", home, true},
	{"-tag:later -tag:work", home, true},
	{"golang -tag:later", home, true},
	{"has:note", home, true},
	{"golang has:note", home, true},
	{"has:note -tag:later", home, true},
	{"from:user7", home, true},
	{"from:user7@host1.example", home, true},
	{"from:@user3@home.example", home, true},
	{"from:user3 cats", home, true},
	{"#fedi", home, true},
	{"fedi", home, true},
	{"fedi tag:work", home, true},
	{"zzznothing", home, true},
	{"tag:nosuchtag", home, true},
	{"remember", home, true}, // a note says it
	{"remember tag:later", home, true},
	{"golang remember", home, true}, // in a post and its note
	{"remember -golang", home, true},
	{"", home, false},
	{"golang", bob, true},
	{"tag:later", bob, true},
	{"-tag:later", bob, true},
	{"has:note", bob, true},
	{"bobword", home, true},
	// The post's facts the order keeps from the search index.
	{"has:media", home, true},
	{"golang has:media", home, true},
	{"lang:en", home, true},
	{"lang:en-gb", home, true},
	{"lang:e", home, true}, // a prefix of "en", not a language of it
	{"lang:DE golang", home, true},
	{"before:2020-01-03", home, true},
	{"after:2020-01-03", home, true},
	{"rust after:2020-01-02 before:2020-01-04", home, true},
	{"after:2020-01-02T05:30:00Z -golang", home, true},
	{"has:media lang:fr -tag:later", home, true},
	{"before:1600-01-01", home, true},
	{"after:1600-01-01 before:9999-01-01 tag:later", home, true},
	{"has:media", bob, true},
}

// TestOrderedSearchMatchesSQL: every search a listing order answers
// gives exactly what the SQL alone gives (the same hits in the same
// order, scores, snippets and cursors, the same counts), ranked and by
// date, with and without removed bookmarks, every page of it by offset,
// by its older cursors and back by its newer ones as the web page pages.
func TestOrderedSearchMatchesSQL(t *testing.T) {
	p := buildOrderPair(t, 120)
	for i, tt := range orderQueries {
		// Every other search also with the removed bookmarks (each
		// search costs the test a tenth of a second).
		for _, removed := range []bool{false, true}[:1+(i+1)%2] {
			q, err := fedimarks.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q.Account, q.IncludeRemoved = tt.account, removed
			p.checkOrdered(t, "built", q, tt.ordered)
			p.checkSame(t, "built", q)
		}
	}
}

// checkOrdered fails unless a listing order answers q on p.ord when
// ordered says it should, and never on p.sql.
func (p *orderPair) checkOrdered(t *testing.T, stage string, q fedimarks.Query, ordered bool) {
	t.Helper()
	ctx := context.Background()
	got, err := sqlite.OrderedAnswers(ctx, p.ord, q)
	if err != nil {
		t.Fatal(err)
	}
	if got != ordered {
		t.Errorf("%s: %s %q: answered by a listing order: %v, want %v", stage, q.Account, q.String(), got, ordered)
	}
	if got, err := sqlite.OrderedAnswers(ctx, p.sql, q); err != nil || got {
		t.Errorf("%s: %q answered by a listing order with NoOrders (%v)", stage, q.String(), err)
	}
}

// checkSame compares q on both archives of p: ranked (when it has text)
// and by date, the whole listing, every page of 7 and of 20 by offset,
// every page of 7 by cursors forth and back, and its counts.
func (p *orderPair) checkSame(t *testing.T, stage string, q fedimarks.Query) {
	t.Helper()
	modes := []fedimarks.Query{q}
	if len(q.Terms()) > 0 {
		d := q
		d.ByDate = true
		modes = append(modes, d)
	}
	for _, m := range modes {
		what := fmt.Sprintf("%s: %s %q removed %v by date %v", stage, m.Account, m.String(), m.IncludeRemoved, m.ByDate || len(m.Terms()) == 0)
		whole := p.same(t, what, m)
		for _, size := range []int{7, 20} {
			for off := 0; off <= len(whole)+size; off += size {
				pg := m
				pg.Offset, pg.Limit = off, size
				got := p.same(t, what, pg)
				if want := whole[min(off, len(whole)):min(off+size, len(whole))]; !sameHits(got, want) {
					t.Errorf("%s: page at %d of %d is not that slice of the whole listing", what, off, size)
				}
			}
			if (m.ByDate || len(m.Terms()) == 0) && size == 7 {
				p.walkCursors(t, what, m, size, whole)
			}
		}
		p.sameCounts(t, what, m, len(whole), 0, 1, 7, 40, 501)
	}
}

// walkCursors pages m by date as the web page does (pages of size, one
// more asked to know there is a next, the page's offset given beside
// the cursor), by the older cursors to the end and back by the newer
// ones, comparing each page on both archives and with whole.
func (p *orderPair) walkCursors(t *testing.T, what string, m fedimarks.Query, size int, whole []fedimarks.Hit) {
	t.Helper()
	var pages [][]fedimarks.Hit
	cursor := ""
	for n := 1; ; n++ {
		pg := m
		pg.Limit, pg.Offset, pg.Cursor = size+1, (n-1)*size, cursor
		hits := p.same(t, what, pg)
		more := len(hits) > size
		hits = hits[:min(len(hits), size)]
		if want := whole[min((n-1)*size, len(whole)):min(n*size, len(whole))]; !sameHits(hits, want) {
			t.Errorf("%s: page %d of %d by older cursors: %v, want %v", what, n, size, numbers(hits), numbers(want))
			return
		}
		if len(hits) == 0 {
			break
		}
		pages = append(pages, hits)
		if !more {
			break
		}
		cursor = hits[len(hits)-1].OlderCursor
	}
	for n := len(pages); n >= 2; n-- {
		pg := m
		pg.Limit, pg.Offset, pg.Cursor = size+1, (n-2)*size, pages[n-1][0].NewerCursor
		hits := p.same(t, what, pg)
		if len(hits) > size {
			hits = hits[1:]
		}
		if !sameHits(hits, pages[n-2]) {
			t.Errorf("%s: page %d of %d back by its newer cursor: %v, want %v", what, n-1, size, numbers(hits), numbers(pages[n-2]))
		}
	}
}

// same searches q on both archives and fails unless they give the same
// hits; it returns them.
func (p *orderPair) same(t *testing.T, what string, q fedimarks.Query) []fedimarks.Hit {
	t.Helper()
	ctx := context.Background()
	got, err1 := p.ord.Search(ctx, q)
	want, err2 := p.sql.Search(ctx, q)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v / %v", what, err1, err2)
	}
	if !sameHits(got, want) {
		t.Errorf("%s offset %d limit %d cursor %q: listing order gives %d hits %v, SQL %d %v (%s)", what, q.Offset, q.Limit, q.Cursor,
			len(got), numbers(got), len(want), numbers(want), firstDiff(got, want))
	}
	return got
}

// sameCounts compares q's counts on both archives, up to each of maxes
// (0: in full), with n.
func (p *orderPair) sameCounts(t *testing.T, what string, q fedimarks.Query, n int, maxes ...int) {
	t.Helper()
	ctx := context.Background()
	for _, max := range maxes {
		got, err1 := p.ord.SearchCountAtMost(ctx, q, max)
		want, err2 := p.sql.SearchCountAtMost(ctx, q, max)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: count: %v / %v", what, err1, err2)
		}
		bound := n
		if max > 0 {
			bound = min(n, max)
		}
		if got != want || got != bound {
			t.Errorf("%s: SearchCountAtMost(%d) = %d by listing order, %d by SQL, want %d", what, max, got, want, bound)
		}
	}
	if got, err := p.ord.SearchCount(ctx, q); err != nil || got != n {
		t.Errorf("%s: SearchCount = %d, %v; want %d", what, got, err, n)
	}
	// The count past the ranking's limit (the page's "N match"): told
	// only from a listing order, and then all of them.
	ordered, err := sqlite.OrderedAnswers(ctx, p.ord, q)
	if err != nil {
		t.Fatal(err)
	}
	if got, known, err := p.ord.SearchTotal(ctx, q); err != nil || known != ordered || known && got != n {
		t.Errorf("%s: SearchTotal = %d, %v, %v; want %d, %v", what, got, known, err, n, ordered)
	}
	if got, known, err := p.sql.SearchTotal(ctx, q); err != nil || known {
		t.Errorf("%s: SearchTotal with NoOrders = %d, %v, %v; want it unknown", what, got, known, err)
	}
}

func sameHits(a, b []fedimarks.Hit) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// firstDiff says where hits a and b first differ.
func firstDiff(a, b []fedimarks.Hit) string {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			x, y := a[i], b[i]
			return fmt.Sprintf("hit %d: %s rank %v cursors %s %s snippet %q / %s rank %v cursors %s %s snippet %q", i,
				x.Bookmark.Status.URI, x.Rank, x.OlderCursor, x.NewerCursor, x.Snippet,
				y.Bookmark.Status.URI, y.Rank, y.OlderCursor, y.NewerCursor, y.Snippet)
		}
	}
	return fmt.Sprintf("lengths %d, %d", len(a), len(b))
}

// changeQueries are the searches checked after each change: a word (its
// ranking and its listing by date), tags, notes, an author.
var changeQueries = []string{"golang", "tag:later", "has:note", "golang -tag:later", "from:user7", "fedi"}

// checkQuick compares each of queries (of home, with and without the
// removed bookmarks) on both archives of p: ranked and by date, in full,
// a page by offset, one by a cursor, and the counts. It returns the
// cursors of every fourth hit of the listings by date, for
// checkCursors.
func (p *orderPair) checkQuick(t *testing.T, stage string, queries ...string) []fedimarks.Query {
	t.Helper()
	var cursors []fedimarks.Query
	for _, s := range queries {
		for _, removed := range []bool{false, true} {
			q, err := fedimarks.ParseQuery(s)
			if err != nil {
				t.Fatal(err)
			}
			q.Account, q.IncludeRemoved = home, removed
			modes := []fedimarks.Query{q}
			if len(q.Terms()) > 0 {
				d := q
				d.ByDate = true
				modes = append(modes, d)
			}
			for _, m := range modes {
				what := fmt.Sprintf("%s: %q removed %v by date %v", stage, m.String(), removed, m.ByDate || len(m.Terms()) == 0)
				whole := p.same(t, what, m)
				pg := m
				pg.Offset, pg.Limit = 3, 4
				p.same(t, what, pg)
				p.sameCounts(t, what, m, len(whole), 0, 7)
				if !m.ByDate && len(m.Terms()) > 0 {
					continue
				}
				for k := 0; k < len(whole); k += 4 {
					h := whole[k]
					for _, c := range []string{h.OlderCursor, h.NewerCursor} {
						cq := m
						cq.Cursor, cq.Limit = c, 3
						cursors = append(cursors, cq)
					}
				}
			}
		}
	}
	return cursors
}

// checkCursors pages each of cursors (read before some changes) on both
// archives: a cursor on a bookmark since moved or gone goes on from its
// place in the listing all the same.
func (p *orderPair) checkCursors(t *testing.T, stage string, cursors []fedimarks.Query) {
	t.Helper()
	for _, q := range cursors {
		p.same(t, fmt.Sprintf("%s: %q removed %v from an old cursor", stage, q.String(), q.IncludeRemoved), q)
	}
}

// expectOrdered fails unless a listing order answers "golang" on p.ord
// exactly when want says.
func (p *orderPair) expectOrdered(t *testing.T, stage string, want bool) {
	t.Helper()
	got, err := sqlite.OrderedAnswers(context.Background(), p.ord, fedimarks.Query{Account: home, Text: "golang"})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("%s: a listing order answers: %v, want %v", stage, got, want)
	}
}

// TestOrderedSearchAfterChanges: after every change, a search answered
// from a listing order gives what the SQL alone gives, cursors read
// before the change included. A change that moves the listing
// generation without a finished run (a run's page, a bookmark removed by
// a sync) leaves the stored order behind: the searches go to SQL until
// a run finishes and stores it again. A tag, a note or a post's index
// entry written again leave the order good but change the matches: the
// kept matches of a search are not served after them.
func TestOrderedSearchAfterChanges(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 80)
	cursors := p.checkQuick(t, "built", changeQueries...)
	p.expectOrdered(t, "built", true)

	// A run's first page, not finished.
	r, err := p.ord.StartRun(ctx, home, false, base.Add(5*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	fresh := orderPost(2000)
	fresh.extraHTML = " golang"
	if err := p.ord.SavePage(ctx, r, []fedimarks.Status{fresh.status(t), p.posts[4].status(t)}, "", base.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	p.expectOrdered(t, "a run's page", true) // moved on by the bookmarks logged as changed
	p.checkQuick(t, "a run's page", changeQueries...)
	p.checkCursors(t, "a run's page", cursors)
	if _, err := p.ord.FinishRun(ctx, r, base.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	p.expectOrdered(t, "the run finished", true)
	p.checkQuick(t, "the run finished", changeQueries...)

	// A run's page after more changes than an order follows (thousands
	// of tags): the searches go to SQL until the run stores the order.
	if err := p.ord.SetTags(ctx, home, p.posts[2].uri(), manyTags("t", 3000)); err != nil {
		t.Fatal(err)
	}
	r, err = p.ord.StartRun(ctx, home, false, base.Add(5*time.Hour+time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ord.SavePage(ctx, r, []fedimarks.Status{orderPost(2001).status(t)}, "", base.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	p.expectOrdered(t, "a run's page after thousands of tags", false)
	p.checkQuick(t, "a run's page after thousands of tags", changeQueries...)
	if _, err := p.ord.FinishRun(ctx, r, base.Add(5*time.Hour+time.Minute)); err != nil {
		t.Fatal(err)
	}
	p.expectOrdered(t, "that run finished", true)
	p.checkQuick(t, "that run finished", changeQueries...)

	// A bookmark removed, and one found again, by a sync (no run).
	direct := func(query string, args ...any) {
		t.Helper()
		db := openDB(t, p.path)
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	direct(`UPDATE bookmarks SET removed_at = '2020-03-01T00:00:00.000000000Z' WHERE account = ? AND status_id = (SELECT id FROM statuses WHERE uri = ?)`,
		string(home), p.posts[65].uri())
	direct(`UPDATE bookmarks SET removed_at = NULL WHERE account = ? AND status_id = (SELECT id FROM statuses WHERE uri = ?)`,
		string(home), p.posts[22].uri())
	p.expectOrdered(t, "a sync", true)
	p.checkQuick(t, "a sync", changeQueries...)
	p.checkCursors(t, "a sync", cursors)
	saveRun(t, p.ord, home, false, base.Add(6*time.Hour))
	p.expectOrdered(t, "an empty run after the sync", true)
	p.checkQuick(t, "an empty run after the sync", changeQueries...)

	// A full run that moves every bookmark and finds some gone: the
	// cursors read before point at places that moved or are gone.
	var some []fedimarks.Status
	for i := len(p.posts) - 1; i >= 0; i-- {
		if i%5 != 1 {
			some = append(some, p.posts[i].status(t))
		}
	}
	saveRun(t, p.ord, home, true, base.Add(7*time.Hour), some)
	p.checkQuick(t, "a full run", changeQueries...)
	p.checkCursors(t, "a full run", cursors)

	// Tags, notes and an edit: the order stays, the matches change.
	for _, st := range []struct {
		name   string
		change func() error
	}{
		{"a tag set", func() error { return p.ord.SetTags(ctx, home, p.posts[3].uri(), []string{"later"}) }},
		{"a tag taken off", func() error { return p.ord.SetTags(ctx, home, p.posts[14].uri(), nil) }},
		{"a tag added", func() error { return p.ord.EditTags(ctx, home, p.posts[8].uri(), []string{"later"}, nil) }},
		{"a note set", func() error { return p.ord.SetNote(ctx, home, p.posts[9].uri(), "something to read") }},
		{"a note taken off", func() error { return p.ord.SetNote(ctx, home, p.posts[19].uri(), "") }},
		{"a post edited to say golang (a thread's post)", func() error {
			e := p.posts[10]
			e.extraHTML = " golang"
			return p.ord.SaveThread(ctx, p.posts[11].uri(), "all", "home.example", []fedimarks.Status{e.status(t)}, nil, base.Add(8*time.Hour))
		}},
		{"a post with #fedi edited without it", func() error {
			e := p.posts[68] // #fedi
			e.extraHTML = ""
			return p.ord.SaveThread(ctx, p.posts[11].uri(), "all", "home.example", []fedimarks.Status{e.status(t)}, nil, base.Add(9*time.Hour))
		}},
	} {
		if err := st.change(); err != nil {
			t.Fatal(err)
		}
		p.expectOrdered(t, st.name, true)
		p.checkQuick(t, st.name, changeQueries...)
	}
	if n := sqlite.OrderBuilds(p.ord); n != 0 {
		t.Errorf("%d listing orders built from the bookmarks, want none: every run stored its own", n)
	}
}

// openDB opens the archive file at path with database/sql alone, as
// another program (or another fedimarks) writing to it.
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestKeptRankedMatchesFollowTheIndex: a ranked search's scores (bm25)
// depend on every post in the index, bookmarked or not: the posts of a
// thread kept by backup --context, which no account bookmarked, change
// them without logging a listing change. The kept matches of a ranked
// search must not keep the scores of before.
func TestKeptRankedMatchesFollowTheIndex(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 60)
	q := fedimarks.Query{Account: home, Text: "golang python"}
	p.same(t, "built", q)
	var thread []fedimarks.Status
	for i := range 30 {
		r := genPost(3000 + i)
		r.extraHTML = " golang golang golang golang golang golang golang golang golang golang golang golang"
		thread = append(thread, r.status(t))
	}
	if err := p.ord.SaveThread(ctx, p.posts[5].uri(), "all", "home.example", nil, thread, base.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	p.expectOrdered(t, "a thread saved", true)
	p.same(t, "a thread saved", q)
}

// TestKeepOrdersBuildsInBackground: a process that keeps orders (serve)
// reads the stored ones at KeepOrders, and follows the bookmarks logged
// as changed since; when the log cannot tell (more changes than it
// follows), a search builds the order again in the background, the
// searches using SQL meanwhile and the order once built; KeepOrders
// builds such an order before it returns.
func TestKeepOrdersBuildsInBackground(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 60)
	serve := p.serving(t)
	if n := sqlite.OrderBuilds(serve); n != 0 {
		t.Errorf("KeepOrders built %d orders, want none: the runs stored them", n)
	}
	s := &orderPair{path: p.path, ord: serve, sql: p.sql, posts: p.posts}
	s.expectOrdered(t, "stored", true)

	page := func(i int) {
		t.Helper()
		r, err := p.ord.StartRun(ctx, home, false, base.Add(time.Duration(5+i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.ord.SavePage(ctx, r, []fedimarks.Status{orderPost(2000 + i).status(t)}, "", base.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// A run's page: the kept order follows it.
	page(0)
	s.expectOrdered(t, "a run's page", true)
	s.checkQuick(t, "a run's page", "golang", "tag:later")
	if n := sqlite.OrderBuilds(serve); n != 0 {
		t.Errorf("a run's page: %d orders built, want none (followed)", n)
	}

	// Thousands of tags, then a page: built in the background.
	if err := p.ord.SetTags(ctx, home, p.posts[2].uri(), manyTags("t", 3000)); err != nil {
		t.Fatal(err)
	}
	page(1)
	s.checkQuick(t, "thousands of changes, the order behind", "golang", "tag:later")
	waitBuilds(t, serve, 1)
	s.expectOrdered(t, "built in the background", true)
	s.checkQuick(t, "built in the background", "golang", "tag:later")

	// A process that opens the archive with the order so far behind
	// builds it at KeepOrders.
	if err := p.ord.SetTags(ctx, home, p.posts[2].uri(), manyTags("u", 3000)); err != nil {
		t.Fatal(err)
	}
	page(2)
	late := p.serving(t)
	if n := sqlite.OrderBuilds(late); n != 1 {
		t.Errorf("KeepOrders with home's order far behind built %d orders, want 1", n)
	}
	l := &orderPair{path: p.path, ord: late, sql: p.sql, posts: p.posts}
	l.expectOrdered(t, "built at KeepOrders", true)
	l.checkQuick(t, "built at KeepOrders", "golang", "-tag:later")
}

// manyTags returns n tags named prefix0, prefix1...
func manyTags(prefix string, n int) []string {
	var tags []string
	for i := range n {
		tags = append(tags, fmt.Sprintf("%s%d", prefix, i))
	}
	return tags
}

// waitBuilds waits until a has built n listing orders in all, failing
// after a few seconds.
func waitBuilds(t *testing.T, a *sqlite.Archive, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for sqlite.OrderBuilds(a) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d listing orders built in the background, want %d", sqlite.OrderBuilds(a), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCorruptListingOrderNotTrusted: a stored listing order that is not
// as encode wrote it (cut short, garbage, a count that is not its
// entries', another format) is never used: the searches stay right.
func TestCorruptListingOrderNotTrusted(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 60)
	db := openDB(t, p.path)
	defer db.Close()
	var good []byte
	if err := db.QueryRowContext(ctx, `SELECT entries FROM listing_orders WHERE account = ?`, string(home)).Scan(&good); err != nil {
		t.Fatal(err)
	}
	format := sqlite.ListOrderFormat
	n, k := binary.Uvarint(good)
	recount := func(c uint64) []byte { return append(binary.AppendUvarint(nil, c), good[k:]...) }
	garbage := make([]byte, len(good))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for _, c := range []struct {
		name    string
		entries []byte
		format  int
	}{
		{"empty", []byte{}, format},
		{"cut by one byte", good[:len(good)-1], format},
		{"cut in half", good[:len(good)/2], format},
		{"a byte more", append(slices.Clone(good), 0), format},
		{"garbage", garbage, format},
		{"one entry more counted", recount(n + 1), format},
		{"one entry less counted", recount(n - 1), format},
		{"a huge count", recount(1 << 40), format},
		{"a count past 2^63", recount(1 << 63), format},
		{"another format", good, format + 1},
	} {
		if _, err := db.ExecContext(ctx, `UPDATE listing_orders SET entries = ?, format = ? WHERE account = ?`, c.entries, c.format, string(home)); err != nil {
			t.Fatal(err)
		}
		a := p.reopen(t)
		r := &orderPair{path: p.path, ord: a, sql: p.sql, posts: p.posts}
		r.expectOrdered(t, c.name, false)
		r.checkQuick(t, c.name, "golang", "tag:later")
	}
	if _, err := db.ExecContext(ctx, `UPDATE listing_orders SET entries = ?, format = ? WHERE account = ?`, good, format, string(home)); err != nil {
		t.Fatal(err)
	}
	r := &orderPair{path: p.path, ord: p.reopen(t), sql: p.sql, posts: p.posts}
	r.expectOrdered(t, "put back", true)
}

// TestOrderedSearchOddQueries: limits and offsets out of the ordinary,
// cursors that name no bookmark (past either end, negative, the largest
// int64, not a cursor at all), an account with no bookmarks and queries
// that differ only in where their words are (text or filters) give what
// the SQL alone gives.
func TestOrderedSearchOddQueries(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 60)
	var qs []fedimarks.Query
	for _, s := range []string{"golang", "tag:later", "-tag:later"} {
		q, err := fedimarks.ParseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		q.Account = home
		for _, lo := range [][2]int{{0, 0}, {-1, 0}, {0, -5}, {3, -5}, {-3, 4}, {1 << 40, 0}, {2, 1 << 40}, {1, 60}} {
			for _, byDate := range []bool{false, true} {
				v := q
				v.Limit, v.Offset, v.ByDate = lo[0], lo[1], byDate
				qs = append(qs, v)
			}
		}
		for _, c := range []string{"o:0.0", "n:0.0", "o:-5.-5", "n:-5.-5", "o:9223372036854775807.9223372036854775807",
			"n:9223372036854775807.9223372036854775807", "o:-9223372036854775808.-9223372036854775808", "n:-9223372036854775808.0"} {
			v := q
			v.Cursor, v.Limit, v.ByDate = c, 4, true
			qs = append(qs, v)
			v.Offset = 7
			qs = append(qs, v)
		}
	}
	for _, q := range qs {
		p.same(t, "odd", q)
	}
	for _, c := range []string{"x:1.2", "o:1", "o:a.b", "o:1.2.3"} {
		q := fedimarks.Query{Account: home, Text: "golang", ByDate: true, Cursor: c}
		_, err1 := p.ord.Search(ctx, q)
		_, err2 := p.sql.Search(ctx, q)
		if fedimarks.ErrorCode(err1) != fedimarks.EInvalid || fedimarks.ErrorCode(err2) != fedimarks.EInvalid {
			t.Errorf("cursor %q: %v by listing order, %v by SQL; want EInvalid", c, err1, err2)
		}
	}

	// An account that bookmarked nothing.
	nobody := fedimarks.Handle("nobody@home.example")
	for _, s := range []string{"golang", "tag:later", "-golang", "has:note"} {
		q, err := fedimarks.ParseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		q.Account = nobody
		p.same(t, "nobody", q)
		p.sameCounts(t, "nobody", q, 0, 0, 3)
	}

	// The same words as text and as filters: two searches, not one
	// kept twice.
	for _, pair := range [][2]fedimarks.Query{
		{{Account: home, Text: "golang", Tags: []string{"later"}}, {Account: home, Text: "golang tag:later"}},
		{{Account: home, Text: "rust", From: "user7"}, {Account: home, Text: "rust from:user7"}},
		{{Account: home, Text: "golang", NotTags: []string{"later"}}, {Account: home, Text: "golang -tag:later"}},
	} {
		for _, q := range pair {
			p.same(t, "words as text or as filters", q)
			for _, max := range []int{0, 3} {
				got, err1 := p.ord.SearchCountAtMost(ctx, q, max)
				want, err2 := p.sql.SearchCountAtMost(ctx, q, max)
				if err1 != nil || err2 != nil || got != want {
					t.Errorf("%+v: count up to %d: %d (%v) by listing order, %d (%v) by SQL", q, max, got, err1, want, err2)
				}
			}
		}
	}
}

// TestListingOrderHugeIDs: bookmark ids as large as SQLite's rowids go
// (2^62 and past) and negative ones, as an archive another tool wrote
// may hold (and every bookmark added after one of them), in a listing
// order stored by a run, read back or built, still name their bookmarks.
func TestListingOrderHugeIDs(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 60)
	var theirs []fedimarks.Status
	for i := range 4 {
		theirs = append(theirs, orderPost(6000+i).status(t))
	}
	saveRun(t, p.ord, bob, false, base.Add(4*time.Hour), theirs)
	db := openDB(t, p.path)
	for i, id := range []int64{-(1 << 62) - 9, -3, 1<<62 + 11, 1<<63 - 2} {
		if _, err := db.ExecContext(ctx, `INSERT INTO bookmarks (id, account, status_id, position, first_seen, last_seen, last_run)
			SELECT ?, ?, id, ?, '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', 0 FROM statuses WHERE uri = ?`,
			id, string(home), int64(4-i)<<32-int64(i), theirs[i].URI); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	// A run adds bookmarks (their ids past the largest) and stores the
	// order.
	var fresh []fedimarks.Status
	for i := range 3 {
		fresh = append(fresh, orderPost(7000+i).status(t))
	}
	saveRun(t, p.ord, home, false, base.Add(5*time.Hour), fresh)
	queries := []string{"golang", "post", "tag:later", "from:user9", "about"}
	r := &orderPair{path: p.path, ord: p.reopen(t), sql: p.sql, posts: p.posts}
	r.checkQuick(t, "huge ids", queries...)
	// serve builds the order and answers from it.
	serve := p.serving(t)
	s := &orderPair{path: p.path, ord: serve, sql: p.sql, posts: p.posts}
	s.expectOrdered(t, "huge ids, built", true)
	s.checkQuick(t, "huge ids, built", queries...)
}

// TestOrderedDatesNotAsStored: a post whose date is not stored as
// fedimarks writes it (another tool wrote the archive) makes the listing
// order unable to tell a date filter, which SQL then answers, the same;
// the other searches stay the order's.
func TestOrderedDatesNotAsStored(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 60)
	db := openDB(t, p.path)
	defer db.Close()
	for _, stmt := range []string{
		`UPDATE search_docs SET created_at = '2020-01-02 10:00:00' WHERE status_id = (SELECT min(status_id) FROM search_docs)`,
		`DELETE FROM listing_orders`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	a := p.serving(t)
	r := &orderPair{path: p.path, ord: a, sql: p.sql, posts: p.posts}
	for _, c := range []struct {
		query   string
		ordered bool
	}{{"before:2020-01-03", false}, {"golang after:2020-01-01", false}, {"golang", true}, {"has:media lang:en", true}} {
		q, err := fedimarks.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		q.Account = home
		r.checkOrdered(t, "a date not as stored", q, c.ordered)
		r.checkSame(t, "a date not as stored", q)
	}
}

// TestBackgroundBuildWaitsForStillBookmarks: a serve whose order a
// change outran does not read it again while the bookmarks keep moving
// (a full backup in another process moves them page by page, and stores
// the order itself at its end: every read meanwhile would be stale at
// once and cost the pages their CPU), only once the generation held still
// between two looks.
func TestBackgroundBuildWaitsForStillBookmarks(t *testing.T) {
	ctx := context.Background()
	p := buildOrderPair(t, 60)
	serve := p.serving(t)
	waits, release := make(chan struct{}), make(chan struct{})
	sqlite.SetOrderWait(serve, func(ctx context.Context) bool {
		waits <- struct{}{}
		select {
		case <-release:
			return true
		case <-ctx.Done():
			return false
		}
	})
	run, err := p.ord.StartRun(ctx, home, false, base.Add(5*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	page := func(i int) {
		t.Helper()
		if err := p.ord.SavePage(ctx, run, []fedimarks.Status{orderPost(3000 + i).status(t)}, "", base.Add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// Past what the log tells: the next search uses SQL and asks for a
	// read in the background, which first waits.
	if err := p.ord.SetTags(ctx, home, p.posts[2].uri(), manyTags("t", 3000)); err != nil {
		t.Fatal(err)
	}
	page(0)
	s := &orderPair{path: p.path, ord: serve, sql: p.sql, posts: p.posts}
	s.expectOrdered(t, "outrun", false)
	<-waits
	page(1) // the bookmarks moved during the wait
	release <- struct{}{}
	// So it waits again, having read nothing (a guard, not a timing:
	// a read returns at once and never waits again).
	select {
	case <-waits:
	case <-time.After(10 * time.Second):
		t.Fatalf("it did not wait again after the bookmarks moved (%d orders read)", sqlite.OrderBuilds(serve))
	}
	if n := sqlite.OrderBuilds(serve); n != 0 {
		t.Fatalf("%d orders read while the bookmarks moved, want 0", n)
	}
	release <- struct{}{} // still this time: it reads
	waitBuilds(t, serve, 1)
	s.expectOrdered(t, "read once still", true)
	s.checkQuick(t, "read once still", "golang", "tag:later")
}
