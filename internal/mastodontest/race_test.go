package mastodontest

import (
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"
)

// searchAll runs one resolving search per post, all at once, and returns
// how many came back empty.
func searchAll(t *testing.T, dest *Instance, tok string, posts []*Status) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	empty := 0
	for _, s := range posts {
		wg.Go(func() {
			r, err := try("GET", dest.URL()+"/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(s.URI()), tok, nil)
			if err != nil || r.status != 200 {
				t.Errorf("search: %v %d", err, r.status)
				return
			}
			var res wireSearch
			r.json(t, &res)
			mu.Lock()
			defer mu.Unlock()
			if len(res.Statuses) == 0 {
				empty++
			}
		})
	}
	wg.Wait()
	return empty
}

// TestSnacSearchRace: searches at once lose the race (200, nothing found)
// for posts that exist; the same searches one at a time find them all.
func TestSnacSearchRace(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{})
	dest := n.NewInstance(InstanceOptions{Quirk: Snac})
	alice := origin.AddAccount("alice")
	tok := dest.AddAccount("bob").Token()
	// Held until a concurrent search loses, so that they surely overlap.
	dest.SetRaces(Races{Searches: true, Hold: 5 * time.Second})
	var posts []*Status
	for range 4 {
		posts = append(posts, alice.Post(PostOptions{}))
	}
	if empty := searchAll(t, dest, tok, posts); empty == 0 || empty != dest.Raced() {
		t.Fatalf("%d of 4 concurrent searches empty, %d raced; want some, the same", empty, dest.Raced())
	}
	dest.SetRaces(Races{Searches: true})
	for _, s := range posts {
		if _, res := search(t, dest, s.URI(), tok); len(res.Statuses) != 1 {
			t.Errorf("one at a time, %s was not found", s.URI())
		}
	}
}

// TestSnacBookmarkRace: a bookmark POST while a search fetches answers
// 404, but the bookmark is stored.
func TestSnacBookmarkRace(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{})
	dest := n.NewInstance(InstanceOptions{Quirk: Snac})
	alice := origin.AddAccount("alice")
	bob := dest.AddAccount("bob")
	tok := bob.Token()
	a, b := alice.Post(PostOptions{}), alice.Post(PostOptions{})
	id := dest.Federate(a)
	dest.SetRaces(Races{Bookmarks: true})
	var wg sync.WaitGroup
	wg.Go(func() { search(t, dest, b.URI(), tok) })
	for dest.searchingNow() == 0 {
		runtime.Gosched()
	}
	r := call(t, "POST", dest.URL()+"/api/v1/statuses/"+id+"/bookmark", tok, nil)
	wg.Wait()
	if r.status != 404 || dest.Raced() != 1 {
		t.Fatalf("bookmark during a search: %d (raced %d), want 404", r.status, dest.Raced())
	}
	if got := bob.BookmarkURIs(); len(got) != 1 || got[0] != a.URI() {
		t.Fatalf("bookmark not stored: %v", got)
	}
	c := alice.Post(PostOptions{})
	if r := call(t, "POST", dest.URL()+"/api/v1/statuses/"+dest.Federate(c)+"/bookmark", tok, nil); r.status != 200 {
		t.Errorf("bookmark with no search in flight: %d", r.status)
	}
}

// TestHandshakeRace: the origin fails concurrent fetches from an instance
// whose key it has not met; the fetching GoToSocial answers its user's
// searches with nothing. Once one fetch went through, all succeed, and
// unsigned fetches never race.
func TestHandshakeRace(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{Quirk: GoToSocial})
	dest := n.NewInstance(InstanceOptions{Quirk: GoToSocial})
	carol := origin.AddAccount("carol")
	tok := dest.AddAccount("bob").Token()
	origin.SetRaces(Races{Handshake: true, Hold: 5 * time.Second})
	var posts []*Status
	for range 5 {
		posts = append(posts, carol.Post(PostOptions{}))
	}
	empty := searchAll(t, dest, tok, posts)
	if empty == 0 || empty != origin.Raced() || origin.Responses(500) != empty {
		t.Fatalf("%d of 5 searches empty, origin raced %d, answered 500 %d times", empty, origin.Raced(), origin.Responses(500))
	}
	for _, s := range posts {
		if st, _ := fetchObject(t, s.URI()); st != 401 {
			t.Errorf("unsigned fetch of GoToSocial: %d, want 401", st)
		}
	}
	if origin.Raced() != empty {
		t.Errorf("unsigned fetches raced")
	}
	more := []*Status{carol.Post(PostOptions{}), carol.Post(PostOptions{}), carol.Post(PostOptions{})}
	if empty := searchAll(t, dest, tok, append(posts, more...)); empty != 0 {
		t.Errorf("%d searches empty once the key was known", empty)
	}
}
