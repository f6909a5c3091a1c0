package transfer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// TestVerifyCountsImportedPostsOnce: the posts earlier imports recorded
// come once per job (an import rerun with another file, a sync's checks,
// the post's URI in one job and its URL in another). Their number, set
// against the listing's to tell a listing that hides bookmarks, counts
// each post once: a listing that shows every post fedimarks imported
// decides the missing rows itself, with no post check and no claim that
// it shows fewer than were imported (it said "fewer than the 27 posts
// fedimarks imported there" of an account that had 8, 7 of them imported).
func TestVerifyCountsImportedPostsOnce(t *testing.T) {
	d := newFakeDest(destHost)
	var imported []fedimarks.ListedBookmark
	var uris []string
	for i := 0; i < 3; i++ {
		uri := fmt.Sprintf("https://a.example/users/a/statuses/%d", i)
		url := fmt.Sprintf("https://a.example/@a/%d", i)
		p := d.add(&post{uri: uri, url: url})
		d.bookmarked[p.localID] = true
		d.bookmarks = append(d.bookmarks, p.localID)
		uris = append(uris, uri)
		// Three jobs recorded it: by URI, by URL, and by both.
		imported = append(imported,
			fedimarks.ListedBookmark{ID: p.localID, Addrs: []string{uri}},
			fedimarks.ListedBookmark{Addrs: []string{url}},
			fedimarks.ListedBookmark{ID: p.localID, Addrs: []string{uri, url}})
	}
	gone := "https://a.example/users/a/statuses/99"
	l := &lookup{resolve: func(string) (*fedimarks.Status, error) { return nil, nil }}
	req := VerifyRequest{Items: itemsOf(append(uris, gone)...), Lister: d, Posts: l,
		Server: "https://" + destHost, Imported: imported}
	v, err := Verify(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if v.Present != 3 || len(v.Missing) != 1 || v.Missing[0].URI != gone {
		t.Fatalf("present %d, missing %+v", v.Present, v.Missing)
	}
	if v.Missing[0].Check == ByPostCheck || l.resolves != 0 || v.CheckRequests != 0 {
		t.Errorf("the listing shows all 3 imported posts, yet the missing row was decided by %v with %d searches (%d requests counted)",
			v.Missing[0].Check, l.resolves, v.CheckRequests)
	}
	if strings.Contains(v.CheckReason, "fewer than") {
		t.Errorf("check reason %q: the listing holds every post fedimarks imported", v.CheckReason)
	}

	// One of the three, not among the rows, unbookmarked since (or
	// hidden): the listing shows 2 of the 3 posts imported, and says so
	// with those figures.
	d.bookmarks = d.bookmarks[1:]
	req.Items = itemsOf(uris[1], uris[2], gone)
	v, err = Verify(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.CheckReason, "shows 2 bookmarks, fewer than the 3 posts") {
		t.Errorf("check reason %q, want the listing's 2 against the 3 posts imported", v.CheckReason)
	}
}
