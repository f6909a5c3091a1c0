package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
)

// planPosts is how many posts planArchive holds.
const planPosts = 1200

// planWords are the words of post i of planArchive: kiwi in a third of
// the posts, mango in one in 25, quince in one in 300.
func planWords(i int) []string {
	var w []string
	if i%3 == 0 {
		w = append(w, "kiwi")
	}
	if i%25 == 0 {
		w = append(w, "mango")
	}
	if i%300 == 0 {
		w = append(w, "quince")
	}
	return w
}

// planStatus is post i of planArchive.
func planStatus(t testing.TB, i int) fedimarks.Status {
	t.Helper()
	text := strings.Join(append([]string{"post"}, planWords(i)...), " ")
	raw := fmt.Sprintf(`{"id":"%d","uri":"https://remote.example/users/ann/statuses/%d","url":"https://remote.example/@ann/%d",`+
		`"created_at":"2025-01-01T00:00:00.000Z","content":"<p>%s</p>","spoiler_text":"",`+
		`"visibility":"public","language":"en","account":{"id":"1","acct":"ann@remote.example","url":"https://remote.example/@ann","display_name":"Ann"}}`,
		i, i, i, text)
	s, err := fedimarks.ParseStatus([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// planArchive writes an archive where alice bookmarked planPosts posts
// (post planPosts−1 the newest), every 97th of them later removed by a
// full backup, with local tags of every size a search plan is chosen
// by: "big" on every 4th post but not every 12th (200: it was set on
// every 4th and taken off), "small" on every 40th (30), "tiny" on 3. The
// tags of the newest 300 posts are set before their posts are archived,
// as an import does. bob bookmarked every other post and tagged all of
// them "tiny": another account's tags must not count.
func planArchive(t testing.TB) *Archive {
	t.Helper()
	ctx := context.Background()
	a := openTest(t)
	tagsOf := func(i int) []string {
		var tags []string
		if i%4 == 0 {
			tags = append(tags, "big")
		}
		if i%40 == 0 {
			tags = append(tags, "small")
		}
		if i == 5 || i == 600 || i == 1111 {
			tags = append(tags, "tiny")
		}
		return tags
	}
	setTags := func(from, to int) {
		for i := from; i < to; i++ {
			if tags := tagsOf(i); len(tags) > 0 {
				if err := a.SetTags(ctx, alice, planStatus(t, i).URI, tags); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	setTags(planPosts-300, planPosts)
	save := func(h fedimarks.Handle, keep func(i int) bool) {
		run, err := a.StartRun(ctx, h, true, t0)
		if err != nil {
			t.Fatal(err)
		}
		var page []fedimarks.Status
		for i := planPosts - 1; i >= 0; i-- {
			if keep(i) {
				page = append(page, planStatus(t, i))
			}
			if len(page) == 200 || i == 0 {
				if err := a.SavePage(ctx, run, page, "", t0); err != nil {
					t.Fatal(err)
				}
				page = page[:0]
			}
		}
		if _, err := a.FinishRun(ctx, run, t0); err != nil {
			t.Fatal(err)
		}
	}
	save(alice, func(int) bool { return true })
	save(alice, func(i int) bool { return i%97 != 0 })
	setTags(0, planPosts-300)
	for i := 0; i < planPosts; i += 12 {
		if err := a.SetTags(ctx, alice, planStatus(t, i).URI, slices.DeleteFunc(tagsOf(i), func(s string) bool { return s == "big" })); err != nil {
			t.Fatal(err)
		}
	}
	save(bob, func(i int) bool { return i%2 == 0 })
	for i := 0; i < planPosts; i += 2 {
		if err := a.SetTags(ctx, bob, planStatus(t, i).URI, []string{"tiny", "small"}); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

const bob = fedimarks.Handle("bob@home.example")

// planReference is what a search of q must list in date order, worked
// out in Go from alice's whole timeline (removed bookmarks included) and
// planWords, without the index or tag_posts.
func planReference(t *testing.T, timeline []fedimarks.Bookmark, q fedimarks.Query) []string {
	t.Helper()
	var out []string
	for _, b := range timeline {
		var i int
		if _, err := fmt.Sscanf(b.Status.ID, "%d", &i); err != nil {
			t.Fatal(err)
		}
		words := planWords(i)
		ok := q.IncludeRemoved || b.RemovedAt == nil
		for _, w := range q.Terms() {
			ok = ok && slices.Contains(words, w)
		}
		for _, w := range q.Excluded() {
			ok = ok && !slices.Contains(words, w)
		}
		for _, tag := range q.Tags {
			ok = ok && slices.Contains(b.Tags, tag)
		}
		for _, tag := range q.NotTags {
			ok = ok && !slices.Contains(b.Tags, tag)
		}
		if ok {
			out = append(out, b.Status.URI)
		}
	}
	return out
}

// TestTagPlansSamePages: whichever plan a search of words and tags is
// given (the word's matches or the tag's posts first, a walk in date
// order or a sort, for rare and common words, small and large tags),
// every page is the same: the counts, every page typed by number, the
// pages reached by the older and newer links, and the whole listing,
// ranked or newest first, equal what Go works out from the timeline.
func TestTagPlansSamePages(t *testing.T) {
	ctx := context.Background()
	a := planArchive(t)
	timeline, err := a.Bookmarks(ctx, alice, ListOptions{IncludeRemoved: true})
	if err != nil {
		t.Fatal(err)
	}
	const size = 7
	for _, text := range []string{"", "kiwi", "mango", "quince", "kiwi -mango"} {
		for _, tags := range []string{"tag:big", "tag:small", "tag:tiny", "tag:big tag:small", "tag:big -tag:small", "-tag:big"} {
			for _, removed := range []bool{false, true} {
				for _, byDate := range []bool{false, true} {
					if text == "" && !byDate {
						continue // listed by date anyway
					}
					q, err := fedimarks.ParseQuery(strings.TrimSpace(text + " " + tags))
					if err != nil {
						t.Fatal(err)
					}
					q.Account, q.IncludeRemoved, q.ByDate = alice, removed, byDate
					name := fmt.Sprintf("%q removed=%v byDate=%v", q.String(), removed, byDate)
					want := planReference(t, timeline, q)
					checkPlanPages(t, a, name, q, want, size)
				}
			}
		}
	}
}

// checkPlanPages checks every way of reading q against want (in date
// order; a ranked search must list the same bookmarks, by rank and then
// newest first).
func checkPlanPages(t *testing.T, a *Archive, name string, q fedimarks.Query, want []string, size int) {
	t.Helper()
	ctx := context.Background()
	if n, err := a.SearchCount(ctx, q); err != nil || n != len(want) {
		t.Errorf("%s: count %d, %v; want %d", name, n, err, len(want))
	}
	if n, err := a.SearchCountAtMost(ctx, q, 3); err != nil || n != min(3, len(want)) {
		t.Errorf("%s: count up to 3: %d, %v; want %d", name, n, err, min(3, len(want)))
	}
	all, err := a.Search(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ranked := len(q.Terms()) > 0 && !q.ByDate
	if ranked {
		at := make(map[string]int, len(want))
		for i, u := range want {
			at[u] = i
		}
		byRank := slices.Clone(all)
		slices.SortStableFunc(byRank, func(x, y fedimarks.Hit) int {
			if x.Rank != y.Rank {
				if x.Rank < y.Rank {
					return -1
				}
				return 1
			}
			return at[x.Bookmark.Status.URI] - at[y.Bookmark.Status.URI]
		})
		got := uris(all)
		if !slices.Equal(got, uris(byRank)) {
			t.Errorf("%s: not in rank order, then newest first:\n%v", name, got)
		}
		slices.SortFunc(got, func(x, y string) int { return at[x] - at[y] })
		if !slices.Equal(got, want) {
			t.Errorf("%s: lists %d bookmarks, want %d:\n got %v\nwant %v", name, len(got), len(want), head(got), head(want))
		}
		want = uris(all) // the pages are slices of the ranked list
	} else if got := uris(all); !slices.Equal(got, want) {
		t.Errorf("%s: lists\n%v\nwant\n%v", name, head(got), head(want))
	}
	// Every page typed by number.
	for off := 0; off < len(want)+size; off += size {
		q := q
		q.Limit, q.Offset = size, off
		hits, err := a.Search(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, exp := uris(hits), want[min(off, len(want)):min(off+size, len(want))]; !slices.Equal(got, exp) {
			t.Errorf("%s: page at %d is %v, want %v", name, off, got, exp)
		}
	}
	if ranked {
		return
	}
	// The older links from the first page, and the newer link of each
	// page back.
	q.Limit = size
	var pages [][]fedimarks.Hit
	for off := 0; ; off += size {
		hits, err := a.Search(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, exp := uris(hits), want[min(off, len(want)):min(off+size, len(want))]; !slices.Equal(got, exp) {
			t.Errorf("%s: page at %d by the older links is %v, want %v", name, off, got, exp)
			return
		}
		if len(hits) == 0 {
			break
		}
		pages = append(pages, hits)
		q.Cursor = hits[len(hits)-1].OlderCursor
	}
	for p := 1; p < len(pages); p++ {
		q.Cursor = pages[p][0].NewerCursor
		hits, err := a.Search(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, exp := uris(hits), uris(pages[p-1]); !slices.Equal(got, exp) {
			t.Errorf("%s: page %d by the newer link is %v, want %v", name, p, got, exp)
		}
	}
}

func uris(hits []fedimarks.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Bookmark.Status.URI
	}
	return out
}

func head(s []string) []string { return s[:min(len(s), 8)] }

// TestTagPlans: which plan a search of tags and words gets, by size. A
// count or a ranked page of a word with a tag reads the word's matches
// once and the tag's posts from tag_posts' key (never a lookup in the
// index per tagged post, nor a tagged URI looked up in statuses); a page
// by date of a tag alone sorts the tag's posts when n×n×tagSortCost <
// want×total (for every match: n×tagSortCost < total), else walks the
// timeline.
func TestTagPlans(t *testing.T) {
	ctx := context.Background()
	a := planArchive(t)
	for _, text := range []string{"kiwi tag:small", "quince tag:big -tag:small", "kiwi tag:tiny"} {
		q, err := fedimarks.ParseQuery(text)
		if err != nil {
			t.Fatal(err)
		}
		q.Account = alice
		from, where, args, _ := searchSQL(q, matchJoin, false)
		plan := planOf(t, a, `SELECT b.id, `+bm25Score+` AS score FROM `+from+` WHERE `+where+` ORDER BY score LIMIT 21`, args...)
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, "SCAN f VIRTUAL TABLE INDEX 0:M") || strings.Contains(all, "VIRTUAL TABLE INDEX 0:=") {
			t.Errorf("%q: the index is not read once as a list of the word's matches:\n%s", text, all)
		}
		if !strings.Contains(all, "tag_posts USING PRIMARY KEY (account=? AND tag=?)") || strings.Contains(all, "statuses") {
			t.Errorf("%q: the tag's posts are not read from tag_posts' key:\n%s", text, all)
		}
	}

	// alice has 1,200 bookmarks: big is on 200 posts, small on 30, tiny
	// on 3.
	tx, err := a.r.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, c := range []struct {
		query string
		want  int
		mode  matchMode
	}{
		{"tag:tiny", 7, matchTagged},
		{"tag:small", 7, matchJoin},    // 30×30×10 = 9,000 >= 7×1,200
		{"tag:small", 8, matchTagged},  // 9,000 < 8×1,200
		{"tag:small", 0, matchTagged},  // 30×10 < 1,200
		{"tag:big", 21, matchJoin},     // 200×200×10 >= 21×1,200
		{"tag:big", 0, matchJoin},      // 200×10 >= 1,200
		{"tag:big", 1000, matchTagged}, // 400,000 < 1,000×1,200
		{"tag:big tag:tiny", 7, matchJoin},
		{"tag:tiny tag:big", 7, matchTagged},
		{"-tag:big", 7, matchJoin},
		{"kiwi tag:tiny", 7, matchList},
	} {
		q, err := fedimarks.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		q.Account, q.ByDate = alice, true
		mode, err := dateMode(ctx, tx, q, c.want, true)
		if err != nil || mode != c.mode {
			t.Errorf("%q for %d bookmarks: mode %d, %v; want %d", c.query, c.want, mode, err, c.mode)
		}
	}
}
