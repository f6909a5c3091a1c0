package mastodontest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestListingFaults(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	alice := i.AddAccount("alice")
	bob := i.AddAccount("bob")
	for range 45 {
		alice.Bookmark(bob.Post(PostOptions{}))
	}
	tok := alice.Token()
	first := i.URL() + "/api/v1/bookmarks?limit=40"

	t.Run("link host", func(t *testing.T) {
		i.SetLinkHost("http://localhost:3000")
		next := nextLink(call(t, "GET", first, tok, nil).header)
		if !strings.HasPrefix(next, "http://localhost:3000/api/v1/bookmarks?") || !strings.Contains(next, "max_id=") {
			t.Fatalf("next link %q: want the same page on http://localhost:3000", next)
		}
		i.SetLinkHost("")
		if next := nextLink(call(t, "GET", first, tok, nil).header); !strings.HasPrefix(next, i.URL()+"/") {
			t.Fatalf("restored next link %q is not on %s", next, i.URL())
		}
	})

	t.Run("redirect", func(t *testing.T) {
		f := n.NewForeignHost()
		i.RedirectBookmarks(f.URL())
		r := call(t, "GET", first, tok, nil)
		if r.status != http.StatusFound || r.header.Get("Location") != f.URL()+"/api/v1/bookmarks?limit=40" {
			t.Fatalf("redirect: %d to %q", r.status, r.header.Get("Location"))
		}
		r = call(t, "GET", r.header.Get("Location"), "", nil)
		if r.status != http.StatusOK || string(r.body) != "[]" || f.Requests() != 1 || f.Authorized() != 0 {
			t.Fatalf("foreign host: %d %s, %d requests", r.status, r.body, f.Requests())
		}
		call(t, "GET", f.URL()+"/x", tok, nil)
		if f.Authorized() != 1 {
			t.Fatalf("foreign host counted %d requests with a token, want 1", f.Authorized())
		}
		i.RedirectBookmarks("")
		if r := call(t, "GET", first, tok, nil); r.status != http.StatusOK {
			t.Fatalf("after the redirect stopped: %d", r.status)
		}
	})

	t.Run("hidden then shown below the top", func(t *testing.T) {
		i.SetHideEvery(10)
		shown := alice.BookmarkURIs()
		if len(shown) != 41 {
			t.Fatalf("hiding every 10th of 45 shows %d", len(shown))
		}
		var listed []string
		r := call(t, "GET", first, tok, nil)
		var page []wireStatus
		r.json(t, &page)
		for _, s := range page {
			listed = append(listed, s.URI)
		}
		if !slices.Equal(listed, shown[:40]) {
			t.Fatal("the listing does not hide what BookmarkURIs hides")
		}
		i.SetHideEvery(0)
		all := alice.BookmarkURIs()
		if len(all) != 45 || all[0] != shown[0] || slices.Index(all, shown[10]) <= 10 {
			t.Fatalf("shown again: %d bookmarks; the revealed ones must sit below the top", len(all))
		}
	})
}
