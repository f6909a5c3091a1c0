package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestVerifySnacChecksPostsItsListingHides: snac's listing leaves out the
// bookmarks of authors the account does not follow (24 of 26 "missing"
// were there). verify looks each post the listing did not show up on the
// destination, one at a time, and calls missing only those not bookmarked
// there, saying which check decided and what it cost.
func TestVerifySnacChecksPostsItsListingHides(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	a := net.NewInstance(mastodontest.InstanceOptions{})
	d := net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Snac, HideUnfollowed: true})
	fay, sam := a.AddAccount("fay"), a.AddAccount("sam")
	bob := d.AddAccount("bob")
	bob.Follow(fay)
	var uris []string
	for k := 0; k < 26; k++ {
		author := sam
		if k < 2 {
			author = fay
		}
		s := author.Post(mastodontest.PostOptions{})
		uris = append(uris, s.URI())
		switch {
		case k < 24:
			bob.Bookmark(s)
		case k == 25:
			s.Delete()
		}
	}
	if n := len(bob.BookmarkURIs()); n != 2 {
		t.Fatalf("the listing shows %d bookmarks, want fay's 2", n)
	}
	home := newHome(t)
	mustRun(t, 0, home, bob.Token()+"\n", "login", d.URL(), "--token-stdin")
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	out := filepath.Join(t.TempDir(), "missing.csv")
	d.ResetCounts()
	r := mustRun(t, ExitPartial, home, "", "verify", file, "--to", bob.Handle(), "-o", out)
	b, _ := os.ReadFile(out)
	if string(b) != uris[25]+"\n"+uris[24]+"\n" {
		t.Errorf("missing.csv = %q, want the deleted post and the one not bookmarked", b)
	}
	for _, s := range []string{
		"of 26 source rows 24 present, 2 missing",
		"decided by the listing: 2 present, 0 missing; by a post check: 22 present, 2 missing\n",
		"post check: snac leaves bookmarks of authors the account does not follow out of its listing; 24 posts looked up one at a time (24 requests)\n",
		"missing (post check: " + d.Host() + " finds no such post): " + uris[25] + "\n",
		"missing (post check: " + d.Host() + " has the post, not bookmarked): " + uris[24] + "\n",
		fmt.Sprintf("%d requests to %s\n", d.Requests("", ""), d.Host()),
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	// Cost: one search for each post the listing did not show (its status
	// says whether the post is bookmarked).
	if n := d.Requests("GET", "/api/v2/search"); n != 24 {
		t.Errorf("%d searches for the 24 posts not in the listing", n)
	}
	if n := d.Requests("GET", "/api/v1/statuses/"); n != 0 {
		t.Errorf("%d status looks, want 0", n)
	}
	if n := d.Requests("POST", ""); n != 0 {
		t.Errorf("verify made %d POST requests", n)
	}
}

// TestVerifyChecksPostsAnImportBookmarked: the destination's listing
// (Mastodon, hiding some bookmarks as it does for muted authors) lacks
// posts that fedimarks' import bookmarked there: those are checked by
// one search each (the token has no read:statuses, as fedimarks' login
// asks for none), and a post unbookmarked since is missing.
func TestVerifyChecksPostsAnImportBookmarked(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	a := net.NewInstance(mastodontest.InstanceOptions{})
	d := net.NewInstance(mastodontest.InstanceOptions{HideEvery: 3})
	carol := a.AddAccount("carol")
	bob := d.AddAccount("bob")
	var posts []*mastodontest.Status
	var uris []string
	for k := 0; k < 9; k++ {
		s := carol.Post(mastodontest.PostOptions{})
		posts, uris = append(posts, s), append(uris, s.URI())
	}
	home := newHome(t)
	tok := bob.Token("read:bookmarks", "write:bookmarks", "read:search", "read:accounts")
	mustRun(t, 0, home, tok+"\n", "login", d.URL(), "--token-stdin")
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	mustRun(t, 0, home, "", "import", file, "--to", bob.Handle(), "--report-dir", t.TempDir())
	if n := len(bob.BookmarkURIs()); n != 6 {
		t.Fatalf("the listing shows %d of the 9 imported, want 6", n)
	}
	bob.Unbookmark(posts[0]) // by hand, after the import
	d.ResetCounts()
	r := mustRun(t, ExitPartial, home, "", "verify", file, "--to", bob.Handle())
	if r.stdout != uris[0]+"\n" {
		t.Errorf("missing: %q, want only the unbookmarked post", r.stdout)
	}
	for _, s := range []string{
		"of 9 source rows 8 present, 1 missing",
		"decided by the listing: 5 present, 0 missing; by a post check: 3 present, 1 missing\n",
		"post check: 4 posts that fedimarks imported are not in its listing; 4 posts looked up one at a time (4 requests)\n",
		"missing (post check: " + d.Host() + " has the post, not bookmarked): " + uris[0] + "\n",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if n, s := d.Requests("GET", "/api/v1/statuses/"), d.Requests("GET", "/api/v2/search"); n != 0 || s != 4 {
		t.Errorf("%d status looks and %d searches, want 0 and 4", n, s)
	}
}

// TestVerifyTrustsAFullListing: a listing that shows everything fedimarks
// imported, on a server not known to hide bookmarks, decides alone: no
// post is looked up.
func TestVerifyTrustsAFullListing(t *testing.T) {
	f := newFediverse(t)
	file, posts := bookmarksFile(t, f.a, 4)
	f.login(t, f.bob)
	imported := writeFile(t, "one.csv", posts[0].URI()+"\n")
	mustRun(t, 0, f.home, "", "import", imported, "--to", f.bob.Handle(), "--report-dir", f.reports)
	f.bob.Bookmark(posts[1])
	f.b.ResetCounts()
	r := mustRun(t, ExitPartial, f.home, "", "verify", file, "--to", f.bob.Handle())
	if !strings.Contains(r.stderr, "decided by the listing: 2 present, 2 missing\n") || strings.Contains(r.stderr, "post check") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if n := f.b.Requests("", "/api/v2/search") + f.b.Requests("", "/api/v1/statuses/"); n != 0 {
		t.Errorf("%d posts looked up", n)
	}
}

// TestImportIntoSnacThatHidesBookmarks: the import's own reading of a
// snac listing misses the bookmarks it hides; those rows still end
// already (the search says the post is bookmarked), never imported, and
// cost no bookmark request. The dry run says its count of rows already
// there may be short, and why.
func TestImportIntoSnacThatHidesBookmarks(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	a := net.NewInstance(mastodontest.InstanceOptions{})
	d := net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Snac, HideUnfollowed: true})
	fay, sam := a.AddAccount("fay"), a.AddAccount("sam")
	bob := d.AddAccount("bob")
	bob.Follow(fay)
	want := map[string]string{}
	var uris []string
	for k := 0; k < 7; k++ {
		author := sam
		if k >= 5 {
			author = fay
		}
		s := author.Post(mastodontest.PostOptions{})
		uris = append(uris, s.URI())
		want[s.URI()] = "imported"
		if k < 3 || k == 5 {
			bob.Bookmark(s)
			want[s.URI()] = "already"
		}
	}
	home, reports := newHome(t), t.TempDir()
	mustRun(t, 0, home, bob.Token()+"\n", "login", d.URL(), "--token-stdin")
	file := writeFile(t, "bookmarks.csv", strings.Join(reversed(uris), "\n")+"\n")
	r := mustRun(t, 0, home, "", "import", file, "--to", bob.Handle(), "--dry-run")
	if !strings.Contains(r.stderr, "snac leaves bookmarks of authors the account does not follow out of its listing") {
		t.Errorf("dry run does not say its count of rows already there may be short:\n%s", r.stderr)
	}
	d.ResetCounts()
	mustRun(t, 0, home, "", "import", file, "--to", bob.Handle(), "--report-dir", reports)
	f := &fediverse{reports: reports}
	got, _ := f.report(t)
	for u, o := range want {
		if got[u] != o {
			t.Errorf("%s: %s, want %s", u, got[u], o)
		}
	}
	if n := d.Requests("POST", ""); n != 3 {
		t.Errorf("%d bookmark requests, want 3", n)
	}
	mustRun(t, 0, home, "", "verify", file, "--to", bob.Handle())
}

// TestVerifyStagedPostChecks: on a server not known to hide bookmarks, the
// posts fedimarks imported that the listing lacks are looked up first.
// None still bookmarked: the listing is right, and decides the other rows
// at no cost. One still bookmarked: the listing hides bookmarks, and every
// other row it lacks is looked up too.
func TestVerifyStagedPostChecks(t *testing.T) {
	t.Run("the listing is right", func(t *testing.T) {
		f := newFediverse(t)
		file, posts := bookmarksFile(t, f.a, 8)
		f.login(t, f.bob)
		var three []string
		for _, p := range posts[:3] {
			three = append(three, p.URI())
		}
		mustRun(t, 0, f.home, "", "import", writeFile(t, "three.csv", strings.Join(reversed(three), "\n")+"\n"), "--to", f.bob.Handle(), "--report-dir", f.reports)
		f.bob.Unbookmark(posts[1])
		f.b.ResetCounts()
		r := mustRun(t, ExitPartial, f.home, "", "verify", file, "--to", f.bob.Handle())
		for _, s := range []string{
			"of 8 source rows 2 present, 6 missing",
			"decided by the listing: 2 present, 5 missing; by a post check: 0 present, 1 missing\n",
			"post check: 1 post that fedimarks imported is not in its listing, and none is bookmarked there now: the listing is right, and decided the other 5; 1 post looked up one at a time (1 request)\n",
		} {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
			}
		}
		if n := f.b.Requests("GET", "/api/v2/search"); n != 1 {
			t.Errorf("%d searches, want 1", n)
		}
		if got := strings.Count(r.stdout, "\n"); got != 6 {
			t.Errorf("%d posts listed missing, want 6:\n%s", got, r.stdout)
		}
	})
	t.Run("the listing hides", func(t *testing.T) {
		net := mastodontest.NewNetwork(t)
		a := net.NewInstance(mastodontest.InstanceOptions{})
		d := net.NewInstance(mastodontest.InstanceOptions{HideEvery: 2})
		carol, bob := a.AddAccount("carol"), d.AddAccount("bob")
		var uris []string
		for k := 0; k < 5; k++ {
			s := carol.Post(mastodontest.PostOptions{})
			uris = append(uris, s.URI())
			if k < 2 {
				bob.Bookmark(s) // by hand: bookmarks 1 (listed) and 2 (hidden)
			}
		}
		home := newHome(t)
		mustRun(t, 0, home, bob.Token()+"\n", "login", d.URL(), "--token-stdin")
		imported := writeFile(t, "two.csv", uris[3]+"\n"+uris[2]+"\n") // bookmarks 3 (listed) and 4 (hidden)
		mustRun(t, 0, home, "", "import", imported, "--to", bob.Handle(), "--report-dir", t.TempDir())
		d.ResetCounts()
		r := mustRun(t, ExitPartial, home, "", "verify", writeFile(t, "all.csv", strings.Join(reversed(uris), "\n")+"\n"), "--to", bob.Handle())
		if r.stdout != uris[4]+"\n" {
			t.Errorf("missing: %q, want only the post never bookmarked", r.stdout)
		}
		for _, s := range []string{
			"decided by the listing: 2 present, 0 missing; by a post check: 2 present, 1 missing\n",
			"post check: 1 post that fedimarks imported is not in its listing, and 1 is bookmarked there: the listing hides bookmarks, so the others not in it were looked up too; 3 posts looked up one at a time (3 requests)\n",
		} {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
			}
		}
	})
}

// TestVerifyPostChecksRefused: a token that may read bookmarks but not
// search gets its first post check refused; the other posts are not
// looked up (one request, not one per post), none is called missing, and
// the message says which scope to grant and how.
func TestVerifyPostChecksRefused(t *testing.T) {
	net := mastodontest.NewNetwork(t)
	a := net.NewInstance(mastodontest.InstanceOptions{})
	d := net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Snac, HideUnfollowed: true})
	sam, bob := a.AddAccount("sam"), d.AddAccount("bob")
	var uris []string
	for k := 0; k < 3; k++ {
		s := sam.Post(mastodontest.PostOptions{})
		bob.Bookmark(s)
		uris = append(uris, s.URI())
	}
	home := newHome(t)
	mustRun(t, 0, home, bob.Token("read:bookmarks", "read:accounts")+"\n", "login", d.URL(), "--token-stdin")
	d.ResetCounts()
	r := mustRun(t, ExitPartial, home, "", "verify", writeFile(t, "b.csv", strings.Join(uris, "\n")+"\n"), "--to", bob.Handle())
	for _, s := range []string{
		"of 3 source rows 0 present, 0 missing, 3 unknown",
		"0 posts are missing on " + bob.Handle() + ", 3 posts could not be checked",
		"read:search",
		"fedimarks login",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if n := d.Requests("GET", "/api/v2/search"); n != 1 {
		t.Errorf("%d searches, want 1", n)
	}
	if strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("the list should hold the 3 unchecked posts:\n%s", r.stdout)
	}
}
