package misskey

import (
	"context"
	"slices"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

func uris(ss []fedimarks.Status) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.URI)
	}
	return out
}

func statusURIs(ss ...*mastodontest.Status) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.URI())
	}
	return out
}

// TestThreadThroughMisskeyAPI: a note's thread through notes/conversation
// and notes/children: ancestors root first, the author's own replies (or
// every reply) depth first, siblings oldest first, quotes left out, one
// call for the ancestors and one per note whose replies are walked; a
// deleted note is KindNotFound; no permission is needed.
func TestThreadThroughMisskeyAPI(t *testing.T) {
	mk, alice, bob := newNet(t)
	carol := mk.AddAccount("carol")
	q := bob.Post(mastodontest.PostOptions{})
	root := q.Reply(carol, mastodontest.PostOptions{})
	r1 := root.Reply(carol, mastodontest.PostOptions{})
	o1 := root.Reply(bob, mastodontest.PostOptions{})
	r2 := r1.Reply(carol, mastodontest.PostOptions{})
	x2 := o1.Reply(carol, mastodontest.PostOptions{})
	root.Quote(carol, mastodontest.PostOptions{Text: "carol quotes herself"})
	alice.Favorite(root)
	id := mk.NoteID(root)
	// A token with no permission at all: the endpoints need none.
	c := client(mk, alice.Token("read:favorites"))
	ctx := context.Background()
	author := mk.URL() + "/@carol"

	th, err := c.Thread(ctx, id, author, false)
	if err != nil {
		t.Fatal(err)
	}
	anc, desc := th.Ancestors, th.Descendants
	if th.Cut || !th.SelfWhole {
		t.Errorf("a small thread: cut %v, self whole %v", th.Cut, th.SelfWhole)
	}
	if !slices.Equal(uris(anc), statusURIs(q)) || !slices.Equal(uris(desc), statusURIs(r1, r2)) {
		t.Errorf("self-thread: ancestors %v, descendants %v", uris(anc), uris(desc))
	}
	// conversation, then children of root, r1 and r2.
	if n := c.Requests(); n != 4 {
		t.Errorf("self-thread took %d calls, want 4", n)
	}
	if n := mk.Requests("POST", "/api/notes/children"); n != 3 {
		t.Errorf("%d notes/children calls, want 3", n)
	}

	th, err = c.Thread(ctx, id, author, true)
	if err != nil {
		t.Fatal(err)
	}
	desc = th.Descendants
	if !slices.Equal(uris(desc), statusURIs(r1, r2, o1, x2)) {
		t.Errorf("every reply: %v, want r1 r2 o1 x2", uris(desc))
	}

	// r2's thread: every note above it, the root first.
	th, err = c.Thread(ctx, mk.NoteID(r2), author, false)
	anc, desc = th.Ancestors, th.Descendants
	if err != nil || !slices.Equal(uris(anc), statusURIs(q, root, r1)) || len(desc) != 0 {
		t.Errorf("thread of r2: %v %v (%v)", uris(anc), uris(desc), err)
	}

	root.Delete()
	_, err = c.Thread(ctx, id, author, false)
	if k := fedimarks.ErrorKind(err); k != fedimarks.KindNotFound {
		t.Errorf("thread of a deleted note: %v (kind %q), want not found", err, k)
	}
}

// TestThreadRepliesPageOn: a note with more replies than a call gives
// (100) is read to the end, paged by untilId.
func TestThreadRepliesPageOn(t *testing.T) {
	mk, alice, bob := newNet(t)
	root := bob.Post(mastodontest.PostOptions{})
	var want []*mastodontest.Status
	for range 130 {
		want = append(want, root.Reply(alice, mastodontest.PostOptions{}))
	}
	c := client(mk, alice.Token())
	th, err := c.Thread(context.Background(), mk.NoteID(root), "", true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(uris(th.Descendants), statusURIs(want...)) || th.Cut {
		t.Errorf("got %d replies, want the 130 oldest first", len(th.Descendants))
	}
}

// TestThreadCutAtTheCap: a thread whose replies take more than
// MaxThreadCalls notes/children calls keeps what was read and says it
// was cut; the author's own chain, whose reply comes last, is read apart
// and kept whole, in its place (depth first, siblings oldest first).
func TestThreadCutAtTheCap(t *testing.T) {
	mk, alice, bob := newNet(t)
	carol := mk.AddAccount("carol")
	root := carol.Post(mastodontest.PostOptions{})
	var others []*mastodontest.Status
	for range MaxThreadCalls + 10 {
		others = append(others, root.Reply(bob, mastodontest.PostOptions{}))
	}
	own := root.Reply(carol, mastodontest.PostOptions{})
	own2 := own.Reply(carol, mastodontest.PostOptions{})
	c := client(mk, alice.Token())
	author := mk.URL() + "/@carol"

	th, err := c.Thread(context.Background(), mk.NoteID(root), author, true)
	if err != nil {
		t.Fatal(err)
	}
	if !th.Cut || !th.SelfWhole {
		t.Errorf("cut %v, self whole %v; want both", th.Cut, th.SelfWhole)
	}
	want := append(statusURIs(others...), own.URI(), own2.URI())
	if !slices.Equal(uris(th.Descendants), want) {
		t.Errorf("%d replies kept; want every reply of the root, then the author's chain", len(th.Descendants))
	}
	if n := mk.Requests("POST", "/api/notes/children"); n > 2*MaxThreadCalls {
		t.Errorf("%d notes/children calls, more than two walks' cap", n)
	}

	// Only the author's chain: no cap is reached.
	th, err = c.Thread(context.Background(), mk.NoteID(root), author, false)
	if err != nil || th.Cut || !th.SelfWhole || !slices.Equal(uris(th.Descendants), statusURIs(own, own2)) {
		t.Errorf("self-thread: %v, cut %v, self whole %v (%v)", uris(th.Descendants), th.Cut, th.SelfWhole, err)
	}
}
