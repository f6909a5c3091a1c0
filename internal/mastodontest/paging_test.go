package mastodontest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// collect pages through alice's bookmarks as a careful client does.
func collect(t *testing.T, i *Instance, tok string, limit int) (uris []string, pages []result) {
	t.Helper()
	base := i.URL() + "/api/v1/bookmarks?limit=" + strconv.Itoa(limit)
	next := base
	seenNext := map[string]bool{}
	for next != "" {
		if len(pages) > 2000 {
			t.Fatal("paging does not end")
		}
		r := call(t, "GET", next, tok, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.status, r.body)
		}
		pages = append(pages, r)
		var page []wireStatus
		r.json(t, &page)
		for _, s := range page {
			if s.Bookmarked == nil || !*s.Bookmarked {
				t.Fatalf("status %s not marked bookmarked", s.ID)
			}
			uris = append(uris, s.URI)
		}
		if i.Quirk() == Snac {
			if r.header.Get("Link") != "" {
				t.Fatalf("snac sent a Link header: %s", r.header.Get("Link"))
			}
			if len(page) == 0 {
				break
			}
			next = base + "&max_id=" + page[len(page)-1].ID
			continue
		}
		next = nextLink(r.header)
		if seenNext[next] {
			t.Fatalf("next link repeats: %s", next)
		}
		seenNext[next] = true
	}
	return uris, pages
}

func TestPagingEveryQuirk(t *testing.T) {
	for _, q := range []Quirk{Mastodon, GoToSocial, Pixelfed, Snac} {
		t.Run(q.String(), func(t *testing.T) {
			n := NewNetwork(t)
			opts := InstanceOptions{Quirk: q}
			if q == GoToSocial {
				opts.HideEvery = 7
			}
			home := n.NewInstance(opts)
			other := n.NewInstance(InstanceOptions{})
			alice, carol := home.AddAccount("alice"), home.AddAccount("carol")
			bob := other.AddAccount("bob")
			for k := range 1000 {
				author := carol
				if k%3 == 0 {
					author = bob
				}
				alice.Bookmark(author.Post(PostOptions{}))
			}
			want := alice.BookmarkURIs()
			if all := alice.AllBookmarkURIs(); len(all) != 1000 || (q == GoToSocial) == (len(all) == len(want)) {
				t.Fatalf("AllBookmarkURIs has %d, BookmarkURIs %d", len(all), len(want))
			}
			if q == GoToSocial {
				if len(want) >= 1000 || len(want) < 800 {
					t.Fatalf("HideEvery=7 left %d of 1000", len(want))
				}
			} else if len(want) != 1000 {
				t.Fatalf("listed %d", len(want))
			}
			got, pages := collect(t, home, alice.Token("read:bookmarks"), 40)
			if !slices.Equal(got, want) {
				t.Fatalf("collected %d bookmarks, want %d in order (first got %q want %q)", len(got), len(want), got[:min(1, len(got))], want[:1])
			}
			last := pages[len(pages)-1]
			switch q {
			case Mastodon:
				if len(pages) != 26 {
					t.Errorf("mastodon took %d pages, want 25 full and 1 empty", len(pages))
				}
				link := pages[0].header.Get("Link")
				if !strings.Contains(link, "max_id=") || !strings.Contains(link, `rel="prev"`) || !strings.Contains(link, "min_id=") {
					t.Errorf("mastodon Link: %s", link)
				}
				if last.header.Get("Link") != "" {
					t.Errorf("empty last page has Link %s", last.header.Get("Link"))
				}
			case GoToSocial:
				short := 0
				for _, p := range pages[:len(pages)-1] {
					var page []wireStatus
					p.json(t, &page)
					if len(page) < 40 {
						short++
					}
				}
				if short == 0 {
					t.Error("gotosocial never sent a short page with next")
				}
				if nextLink(last.header) != "" || string(last.body) != "[]" {
					t.Errorf("gotosocial end: Link %q body %s", last.header.Get("Link"), last.body)
				}
			case Pixelfed:
				link := pages[0].header.Get("Link")
				if !strings.Contains(link, "cursor=") || strings.Contains(link, "max_id") {
					t.Errorf("pixelfed Link: %s", link)
				}
				if len(pages) != 25 {
					t.Errorf("pixelfed took %d pages, want 25 (it knows the last page)", len(pages))
				}
			}
		})
	}
}

func TestPagingLimitsAndPrev(t *testing.T) {
	n := NewNetwork(t)
	for _, c := range []struct {
		q            Quirk
		def, capped  int
		askBig, gets int
	}{
		{Mastodon, 20, 40, 100, 40},
		{GoToSocial, 30, 0, 100, 100},
		{Pixelfed, 20, 40, 100, 40},
		{Snac, 20, 0, 100, 100},
	} {
		i := n.NewInstance(InstanceOptions{Quirk: c.q})
		a := i.AddAccount("alice")
		for range 150 {
			a.Bookmark(a.Post(PostOptions{}))
		}
		tok := a.Token()
		var page []wireStatus
		call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil).json(t, &page)
		if len(page) != c.def {
			t.Errorf("%v: default limit gave %d, want %d", c.q, len(page), c.def)
		}
		call(t, "GET", i.URL()+"/api/v1/bookmarks?limit=100", tok, nil).json(t, &page)
		if len(page) != c.gets {
			t.Errorf("%v: limit=100 gave %d, want %d", c.q, len(page), c.gets)
		}
	}

	// The short last page: Mastodon and Pixelfed end there, GoToSocial
	// still sends next (only its empty page ends).
	for _, c := range []struct {
		q     Quirk
		pages int
	}{{Mastodon, 4}, {Pixelfed, 4}, {GoToSocial, 5}, {Snac, 5}} {
		i := n.NewInstance(InstanceOptions{Quirk: c.q})
		a := i.AddAccount("alice")
		for range 150 {
			a.Bookmark(a.Post(PostOptions{}))
		}
		got, pages := collect(t, i, a.Token(), 40)
		if len(got) != 150 || len(pages) != c.pages {
			t.Errorf("%v: %d bookmarks in %d pages, want 150 in %d", c.q, len(got), len(pages), c.pages)
		}
	}

	// Mastodon's prev link (min_id) brings bookmarks made after the page.
	i := n.NewInstance(InstanceOptions{})
	a := i.AddAccount("alice")
	for range 5 {
		a.Bookmark(a.Post(PostOptions{}))
	}
	tok := a.Token()
	r := call(t, "GET", i.URL()+"/api/v1/bookmarks?limit=2", tok, nil)
	prev := prevLink(r.header)
	if prev == "" {
		t.Fatal("no prev link")
	}
	var newer []*Status
	for range 3 {
		s := a.Post(PostOptions{})
		a.Bookmark(s)
		newer = append(newer, s)
	}
	var page []wireStatus
	call(t, "GET", prev, tok, nil).json(t, &page)
	// min_id gives the 2 bookmarks just after the cursor, newest first.
	if len(page) != 2 || page[0].URI != newer[1].URI() || page[1].URI != newer[0].URI() {
		t.Fatalf("prev page: %+v", page)
	}
	call(t, "GET", i.URL()+"/api/v1/bookmarks?since_id=0&limit=2", tok, nil).json(t, &page)
	if len(page) != 2 || page[0].URI != newer[2].URI() {
		t.Fatalf("newest page: %+v", page)
	}
}

func TestDeletedAndUnbookmarkedLeaveListings(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	a := i.AddAccount("alice")
	s1, s2, s3 := a.Post(PostOptions{}), a.Post(PostOptions{}), a.Post(PostOptions{})
	a.Bookmark(s1)
	a.Bookmark(s2)
	a.Bookmark(s3)
	a.Bookmark(s1) // no change: s1 stays the oldest
	s2.Delete()
	if got := a.BookmarkURIs(); !slices.Equal(got, []string{s3.URI(), s1.URI()}) {
		t.Fatalf("BookmarkURIs = %v", got)
	}
	a.Unbookmark(s3)
	got, _ := collect(t, i, a.Token(), 40)
	if !slices.Equal(got, []string{s1.URI()}) {
		t.Fatalf("listed %v", got)
	}
}
