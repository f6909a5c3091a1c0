package mastodontest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// fetchObject GETs u as a client asking a post's own server would:
// unsigned, Accept: application/activity+json.
func fetchObject(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/activity+json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var obj struct {
		Type string `json:"type"`
	}
	json.NewDecoder(resp.Body).Decode(&obj)
	return resp.StatusCode, obj.Type
}

// TestOriginServesObjects: the origin answers an unsigned ActivityPub
// fetch as real servers do: the Note for public and unlisted posts, 404
// for followers-only and direct ones (which other instances, signing
// their fetches, still resolve for a follower), 404 or 410 with a
// Tombstone for deleted ones, 401 to everything under authorized fetch,
// and whatever FailObjects says; UnsignedFetches counts them.
func TestOriginServesObjects(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{})
	dest := n.NewInstance(InstanceOptions{})
	alice := origin.AddAccount("alice")
	bob := dest.AddAccount("bob")
	pub := alice.Post(PostOptions{})
	unl := alice.Post(PostOptions{Visibility: "unlisted"})
	priv := alice.Post(PostOptions{Visibility: "private"})
	dm := alice.Post(PostOptions{Visibility: "direct", Mentions: []*Account{bob}})
	gone := alice.Post(PostOptions{})
	gone.Delete()

	for _, c := range []struct {
		name, u    string
		status     int
		objectType string
	}{
		{"public", pub.URI(), 200, "Note"},
		{"public by URL", pub.URL(), 200, "Note"},
		{"unlisted", unl.URI(), 200, "Note"},
		{"followers-only", priv.URI(), 404, ""},
		{"direct", dm.URI(), 404, ""},
		{"deleted", gone.URI(), 404, ""},
		{"unknown", origin.URL() + "/users/alice/statuses/1", 404, ""},
	} {
		if st, typ := fetchObject(t, c.u); st != c.status || typ != c.objectType {
			t.Errorf("%s: %d %q, want %d %q", c.name, st, typ, c.status, c.objectType)
		}
	}
	if n, accepts := origin.UnsignedFetches(); n != 7 || accepts[0] != "application/activity+json" {
		t.Errorf("UnsignedFetches = %d %v, want 7", n, accepts)
	}

	// Signed fetches (another instance resolving) see followers-only posts
	// for a follower, and are not counted as unsigned.
	bob.Follow(alice)
	if _, res := search(t, dest, priv.URI(), bob.Token()); len(res.Statuses) != 1 {
		t.Fatal("a follower's server could not resolve a followers-only post")
	}
	if n, _ := origin.UnsignedFetches(); n != 7 {
		t.Errorf("a signed fetch counted as unsigned: %d", n)
	}

	origin.SetGoneAnswer(http.StatusGone)
	if st, typ := fetchObject(t, gone.URI()); st != 410 || typ != "Tombstone" {
		t.Errorf("deleted with SetGoneAnswer(410): %d %q", st, typ)
	}
	if _, res := search(t, dest, gone.URI(), bob.Token()); len(res.Statuses) != 0 {
		t.Error("a post gone with 410 was resolved")
	}

	origin.SetAuthorizedFetch(true)
	if st, _ := fetchObject(t, pub.URI()); st != 401 {
		t.Errorf("unsigned fetch under authorized fetch: %d, want 401", st)
	}
	other := alice.Post(PostOptions{})
	if _, res := search(t, dest, other.URI(), bob.Token()); len(res.Statuses) != 1 {
		t.Error("authorized fetch kept other instances from resolving")
	}
	origin.SetAuthorizedFetch(false)
	gts := n.NewInstance(InstanceOptions{Quirk: GoToSocial})
	gp := gts.AddAccount("gina").Post(PostOptions{})
	if st, _ := fetchObject(t, gp.URI()); st != 401 {
		t.Errorf("unsigned fetch from GoToSocial: %d, want 401 (it requires signatures)", st)
	}
	if _, res := search(t, dest, gp.URI(), bob.Token()); len(res.Statuses) != 1 {
		t.Error("a GoToSocial post was not resolved by a signed fetch")
	}
	gts.SetAuthorizedFetch(false)
	if st, _ := fetchObject(t, gp.URI()); st != 200 {
		t.Errorf("GoToSocial with authorized fetch off: %d", st)
	}

	origin.FailObjects(http.StatusBadGateway)
	if st, _ := fetchObject(t, pub.URI()); st != 502 {
		t.Errorf("FailObjects(502): %d", st)
	}
	third := alice.Post(PostOptions{})
	if r, _ := search(t, dest, third.URI(), bob.Token()); r.status != 503 {
		t.Errorf("Mastodon's search while the origin answers 502: %d, want 503", r.status)
	}
	origin.FailObjects(0)
	if st, _ := fetchObject(t, third.URI()); st != 200 {
		t.Errorf("after FailObjects(0): %d", st)
	}
}

// TestFetchTimeout: an instance with a fetch timeout gives up on a slow
// origin: GoToSocial's search then answers 200 with nothing, as for a
// deleted post, while the origin itself still serves the post.
func TestFetchTimeout(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{})
	dest := n.NewInstance(InstanceOptions{Quirk: GoToSocial})
	s := origin.AddAccount("alice").Post(PostOptions{})
	tok := dest.AddAccount("bob").Token()
	origin.SetLatency(150 * time.Millisecond)
	dest.SetFetchTimeout(20 * time.Millisecond)
	if r, res := search(t, dest, s.URI(), tok); r.status != 200 || len(res.Statuses) != 0 {
		t.Fatalf("search past the fetch timeout: %d %s", r.status, r.body)
	}
	if st, typ := fetchObject(t, s.URI()); st != 200 || typ != "Note" {
		t.Errorf("the slow origin: %d %q", st, typ)
	}
	dest.SetFetchTimeout(0)
	if _, res := search(t, dest, s.URI(), tok); len(res.Statuses) != 1 {
		t.Error("without the timeout the slow post was not resolved")
	}
}
