package mastodontest

import "testing"

// ap/show of a followers-only post of a Mastodon author the user does not
// follow fails as a fetch (the instance actor is refused); once the user
// follows, it shows. notes/state says whether the user favorited a note.
func TestMisskeyAPShowFollowersOnlyAndNoteState(t *testing.T) {
	_, mk, alice, _, bob := misskeyNet(t)
	tok := alice.Token()
	private := bob.Post(PostOptions{Visibility: "private"})
	if r := mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": private.URI()}); r.status != 400 || r.mkCode(t) != "REQUEST_FAILED" {
		t.Fatalf("ap/show of a followers-only post: %d %s", r.status, r.body)
	}
	alice.Follow(bob)
	r := mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": private.URI()})
	var shown struct{ Object struct{ ID string } }
	r.json(t, &shown)
	if r.status != 200 || shown.Object.ID == "" {
		t.Fatalf("ap/show after a follow: %d %s", r.status, r.body)
	}
	state := func() (fav bool) {
		t.Helper()
		r := mkCall(t, mk, "notes/state", map[string]any{"i": tok, "noteId": shown.Object.ID})
		var s struct{ IsFavorited *bool }
		r.json(t, &s)
		if r.status != 200 || s.IsFavorited == nil {
			t.Fatalf("notes/state: %d %s", r.status, r.body)
		}
		return *s.IsFavorited
	}
	if state() {
		t.Error("notes/state: favorited before any favorite")
	}
	if r := mkCall(t, mk, "notes/favorites/create", map[string]any{"i": tok, "noteId": shown.Object.ID}); r.status != 204 {
		t.Fatalf("favorite: %d %s", r.status, r.body)
	}
	if !state() {
		t.Error("notes/state: not favorited after the favorite")
	}
	if r := mkCall(t, mk, "notes/state", map[string]any{"i": tok, "noteId": "0000nope"}); r.mkCode(t) != "NO_SUCH_NOTE" {
		t.Errorf("notes/state of an unknown note: %d %s", r.status, r.body)
	}
}
