package mastodontest

import (
	"net/http"
	"slices"
	"testing"
)

// TestSnacListingHidesUnfollowedAuthors: with HideUnfollowed, a snac
// listing shows only the bookmarks of posts in the account's timeline (its
// own and those of authors it follows); the others stay bookmarked, as the
// post itself and a search say, and appear at their place once the author
// is followed. snac sends no X-RateLimit-* headers.
func TestSnacListingHidesUnfollowedAuthors(t *testing.T) {
	n := NewNetwork(t)
	home := n.NewInstance(InstanceOptions{Quirk: Snac, HideUnfollowed: true})
	other := n.NewInstance(InstanceOptions{})
	alice := home.AddAccount("alice")
	followed, stranger := other.AddAccount("fay"), other.AddAccount("sam")
	alice.Follow(followed)
	own := alice.Post(PostOptions{})
	var all []*Status
	for k := range 30 {
		var s *Status
		switch k % 3 {
		case 0:
			s = followed.Post(PostOptions{})
		case 1:
			s = stranger.Post(PostOptions{})
		default:
			s = own
			if k > 2 {
				s = followed.Post(PostOptions{})
			}
		}
		alice.Bookmark(s)
		all = append(all, s)
	}
	tok := alice.Token("read")
	got, pages := collect(t, home, tok, 7)
	var want, hidden []string
	for _, s := range slices.Backward(all) {
		if s.Author() == stranger {
			hidden = append(hidden, s.URI())
		} else {
			want = append(want, s.URI())
		}
	}
	if !slices.Equal(got, want) || !slices.Equal(alice.BookmarkURIs(), want) {
		t.Fatalf("listing shows %d, want the %d of alice and fay", len(got), len(want))
	}
	if len(alice.AllBookmarkURIs()) != len(all) {
		t.Errorf("AllBookmarkURIs has %d, want %d", len(alice.AllBookmarkURIs()), len(all))
	}
	for _, p := range pages {
		if h := p.header.Get("X-RateLimit-Limit") + p.header.Get("X-RateLimit-Remaining") + p.header.Get("X-RateLimit-Reset"); h != "" {
			t.Fatalf("snac sent rate-limit headers: %v", p.header)
		}
	}
	// A hidden bookmark is still one.
	id := home.LocalID(hidden[0])
	r := call(t, "GET", home.URL()+"/api/v1/statuses/"+id, tok, nil)
	var st wireStatus
	r.json(t, &st)
	if r.status != http.StatusOK || st.Bookmarked == nil || !*st.Bookmarked {
		t.Errorf("GET statuses/%s: %d %s", id, r.status, r.body)
	}
	if _, s := search(t, home, hidden[0], tok); len(s.Statuses) != 1 || !*s.Statuses[0].Bookmarked {
		t.Errorf("search of a hidden bookmark: %+v", s.Statuses)
	}
	if r := call(t, "POST", home.URL()+"/api/v1/statuses/"+id+"/bookmark", alice.Token(), nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bookmarking a hidden bookmark again: %d", r.status)
	}
	// Followed, the author's bookmarks appear at their places.
	alice.Follow(stranger)
	if got, _ := collect(t, home, tok, 7); !slices.Equal(got, alice.AllBookmarkURIs()) {
		t.Errorf("after the follow the listing has %d of %d", len(got), len(all))
	}
}
