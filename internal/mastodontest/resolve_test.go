package mastodontest

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

func TestResolve(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{})
	dest := n.NewInstance(InstanceOptions{})
	alice := origin.AddAccount("alice")
	bob, carol := dest.AddAccount("bob"), dest.AddAccount("carol")
	tok := bob.Token("read:search")

	s := alice.Post(PostOptions{})
	r, res := search(t, dest, s.URI(), tok)
	if r.status != 200 || len(res.Statuses) != 1 {
		t.Fatalf("resolve: %d %s", r.status, r.body)
	}
	got := res.Statuses[0]
	if got.ID == s.ID() || got.URI != s.URI() || got.URL != s.URL() || got.Account.Acct != "alice@"+origin.Host() {
		t.Fatalf("local copy: %+v (origin id %s)", got, s.ID())
	}
	if got.Account.ID == alice.ID() {
		t.Errorf("remote account kept its origin id %s", got.Account.ID)
	}
	if dest.LocalID(s.URI()) != got.ID || dest.LocalID(s.URL()) != got.ID {
		t.Fatalf("LocalID = %q, want %q", dest.LocalID(s.URI()), got.ID)
	}
	if f := origin.Requests("GET", "/users/alice/statuses/"); f != 1 {
		t.Fatalf("origin saw %d fetches, want 1", f)
	}
	// Again: the same copy, no new fetch.
	_, res = search(t, dest, s.URI(), tok)
	if len(res.Statuses) != 1 || res.Statuses[0].ID != got.ID || origin.Requests("GET", "/users/") != 1 {
		t.Fatalf("second resolve: %+v, %d fetches", res.Statuses, origin.Requests("GET", "/users/"))
	}
	if r := call(t, "GET", dest.URL()+"/api/v1/statuses/"+got.ID, "", nil); r.status != 200 {
		t.Fatalf("GET local copy: %d", r.status)
	}

	// By web URL.
	s2 := alice.Post(PostOptions{})
	if _, res := search(t, dest, s2.URL(), tok); len(res.Statuses) != 1 || res.Statuses[0].URI != s2.URI() {
		t.Fatalf("resolve by URL: %+v", res.Statuses)
	}

	// App tokens and anonymous callers do not resolve, but find known copies.
	s3 := alice.Post(PostOptions{})
	for _, who := range []string{bob.AppToken(), ""} {
		if _, res := search(t, dest, s3.URI(), who); len(res.Statuses) != 0 {
			t.Fatalf("resolved without a user: %+v", res.Statuses)
		}
		if _, res := search(t, dest, s.URI(), who); len(res.Statuses) != 1 {
			t.Fatalf("known copy not found without a user")
		}
	}
	if dest.LocalID(s3.URI()) != "" {
		t.Fatal("a copy was made without a user")
	}
	// Without resolve=true nothing is fetched.
	r = call(t, "GET", dest.URL()+"/api/v2/search?type=statuses&q="+url.QueryEscape(s3.URI()), tok, nil)
	var plain wireSearch
	r.json(t, &plain)
	if len(plain.Statuses) != 0 {
		t.Fatal("resolved without resolve=true")
	}

	// Unknown and deleted posts.
	if _, res := search(t, dest, origin.URL()+"/users/alice/statuses/1", tok); len(res.Statuses) != 0 {
		t.Fatal("unknown URI found")
	}
	gone := alice.Post(PostOptions{})
	gone.Delete()
	if _, res := search(t, dest, gone.URI(), tok); len(res.Statuses) != 0 {
		t.Fatal("deleted post found")
	}
	if r := call(t, "GET", origin.URL()+"/api/v1/statuses/"+gone.ID(), "", nil); r.status != 404 || r.errorMessage(t) != "Record not found" {
		t.Fatalf("deleted post on origin: %d %s", r.status, r.body)
	}
	s.Delete() // already copied: gone there too
	if _, res := search(t, dest, s.URI(), tok); len(res.Statuses) != 0 {
		t.Fatal("deleted copy found")
	}
	if r := call(t, "GET", dest.URL()+"/api/v1/statuses/"+got.ID, "", nil); r.status != 404 {
		t.Fatalf("deleted copy: %d", r.status)
	}

	// Followers-only: only once bob follows alice; direct: only if mentioned.
	priv := alice.Post(PostOptions{Visibility: "private"})
	if _, res := search(t, dest, priv.URI(), tok); len(res.Statuses) != 0 {
		t.Fatal("private post found without a follow")
	}
	bob.Follow(alice)
	if _, res := search(t, dest, priv.URI(), tok); len(res.Statuses) != 1 || res.Statuses[0].Visibility != "private" {
		t.Fatal("private post not found after a follow")
	}
	if _, res := search(t, dest, priv.URI(), carol.Token()); len(res.Statuses) != 0 {
		t.Fatal("private post shown to a non-follower once copied")
	}
	dm := alice.Post(PostOptions{Visibility: "direct", Mentions: []*Account{carol}})
	if _, res := search(t, dest, dm.URI(), tok); len(res.Statuses) != 0 {
		t.Fatal("direct post found by someone not mentioned")
	}
	if _, res := search(t, dest, dm.URI(), carol.Token()); len(res.Statuses) != 1 {
		t.Fatal("direct post not found by the mentioned account")
	}

	// Local posts need no fetch.
	local := bob.Post(PostOptions{})
	dest.ResetCounts()
	if _, res := search(t, dest, local.URL(), bob.AppToken()); len(res.Statuses) != 1 || res.Statuses[0].ID != local.ID() {
		t.Fatalf("local post: %+v", res.Statuses)
	}
}

func TestResolveOriginDown(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{Quirk: Pixelfed})
	masto := n.NewInstance(InstanceOptions{})
	gts := n.NewInstance(InstanceOptions{Quirk: GoToSocial})
	alice := origin.AddAccount("alice")
	s := alice.Post(PostOptions{})
	mt, gt := masto.AddAccount("bob").Token(), gts.AddAccount("bob").Token()

	origin.SetDown(true)
	r, _ := search(t, masto, s.URI(), mt)
	if r.status != http.StatusServiceUnavailable || r.errorMessage(t) != "Remote data could not be fetched" {
		t.Fatalf("mastodon with origin down: %d %s", r.status, r.body)
	}
	if r, res := search(t, gts, s.URI(), gt); r.status != 200 || len(res.Statuses) != 0 {
		t.Fatalf("gotosocial with origin down: %d %s", r.status, r.body)
	}
	origin.SetDown(false)
	if _, res := search(t, masto, s.URI(), mt); len(res.Statuses) != 1 {
		t.Fatal("not found once the origin is back")
	}
	if _, res := search(t, gts, s.URI(), gt); len(res.Statuses) != 1 || len(res.Statuses[0].ID) != 26 {
		t.Fatalf("gotosocial copy: %+v", res.Statuses)
	}
}

func TestBookmarkEndpoints(t *testing.T) {
	n := NewNetwork(t)
	for _, q := range []Quirk{Mastodon, GoToSocial, Pixelfed, Snac} {
		t.Run(q.String(), func(t *testing.T) {
			i := n.NewInstance(InstanceOptions{Quirk: q})
			remote := n.NewInstance(InstanceOptions{})
			a := i.AddAccount("alice")
			b := remote.AddAccount("bob")
			s := b.Post(PostOptions{})
			id := i.Federate(s)
			if id2 := i.Federate(s); id2 != id {
				t.Fatalf("Federate not stable: %s then %s", id, id2)
			}
			tok := a.Token("write:bookmarks")
			u := i.URL() + "/api/v1/statuses/" + id
			var st wireStatus
			r := call(t, "POST", u+"/bookmark", tok, nil)
			r.json(t, &st)
			if r.status != 200 || st.Bookmarked == nil || !*st.Bookmarked || st.ID != id {
				t.Fatalf("bookmark: %d %s", r.status, r.body)
			}
			r = call(t, "POST", u+"/bookmark", tok, nil)
			if q == Snac {
				if r.status != http.StatusUnprocessableEntity || r.errorMessage(t) == "" {
					t.Fatalf("snac second bookmark: %d %s", r.status, r.body)
				}
			} else if r.status != 200 {
				t.Fatalf("second bookmark: %d %s", r.status, r.body)
			}
			if got := a.BookmarkURIs(); !slices.Equal(got, []string{s.URI()}) {
				t.Fatalf("bookmarks %v", got)
			}
			for range 2 {
				r = call(t, "POST", u+"/unbookmark", tok, nil)
				r.json(t, &st)
				if r.status != 200 || st.Bookmarked == nil || *st.Bookmarked {
					t.Fatalf("unbookmark: %d %s", r.status, r.body)
				}
			}
			if got := a.BookmarkURIs(); len(got) != 0 {
				t.Fatalf("bookmarks after unbookmark %v", got)
			}

			r = call(t, "POST", i.URL()+"/api/v1/statuses/12345/bookmark", tok, nil)
			wantMsg := "Record not found"
			if q == GoToSocial {
				wantMsg = "Not Found: target status not found"
			}
			if r.status != 404 || r.errorMessage(t) != wantMsg {
				t.Fatalf("unknown id: %d %s", r.status, r.body)
			}
			// Not visible to alice: 404 as well.
			priv := b.Post(PostOptions{Visibility: "private"})
			if r := call(t, "POST", i.URL()+"/api/v1/statuses/"+i.Federate(priv)+"/bookmark", tok, nil); r.status != 404 {
				t.Fatalf("private post: %d", r.status)
			}
			// A boost bookmarks the original.
			boost := b.Post(PostOptions{Reblog: s})
			bid := i.Federate(boost)
			r = call(t, "POST", i.URL()+"/api/v1/statuses/"+bid+"/bookmark", tok, nil)
			r.json(t, &st)
			if r.status != 200 || st.URI != s.URI() {
				t.Fatalf("bookmark boost: %d %s", r.status, r.body)
			}
			if got := a.BookmarkURIs(); !slices.Equal(got, []string{s.URI()}) {
				t.Fatalf("bookmarks after boost %v", got)
			}
			i.RevokeToken(tok)
			if r := call(t, "POST", u+"/bookmark", tok, nil); r.status != 401 || i.TokenValid(tok) {
				t.Fatalf("revoked token: %d", r.status)
			}
		})
	}
}
