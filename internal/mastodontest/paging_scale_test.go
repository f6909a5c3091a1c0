package mastodontest

import (
	"net/url"
	"slices"
	"strconv"
	"testing"
)

// TestNewestBelowAgreesWithCursors: the quick page of a Mastodon-style
// listing by max_id is the page byIDCursors picks from the shown
// bookmarks, with hidden, deleted and unbookmarked posts among them.
func TestNewestBelowAgreesWithCursors(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{HideEvery: 4})
	alice := i.AddAccount("alice")
	bob := i.AddAccount("bob")
	var posts []*Status
	for range 60 {
		s := bob.Post(PostOptions{})
		posts = append(posts, s)
		alice.Bookmark(s)
	}
	posts[7].Delete()
	posts[30].Delete()
	alice.Unbookmark(posts[12])
	_, shown := i.listed(alice)
	maxSeq := alice.bookmarks[len(alice.bookmarks)-1].seq
	for maxID := int64(0); maxID <= maxSeq+2; maxID++ {
		for _, limit := range []int{1, 5, 40} {
			q := url.Values{}
			if maxID > 0 {
				q.Set("max_id", strconv.FormatInt(maxID, 10))
			}
			want := byIDCursors(shown, q, limit)
			if got := i.newestBelow(alice, maxID, limit); !slices.Equal(got, want) {
				t.Fatalf("max_id %d limit %d: %d bookmarks, want %d", maxID, limit, len(got), len(want))
			}
		}
	}
}
