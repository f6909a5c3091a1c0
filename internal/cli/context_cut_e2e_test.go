package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/misskey"
)

// A thread cut short by a cap is said once (how many, why, what comes of
// it) and not recorded as whole, on Mastodon (its context endpoint gives a
// reader without read:statuses 60 replies) as on Misskey (fedimarks' cap
// on notes/children calls): backup --context reads it again a week later,
// not on every run. On Misskey
// the author's own thread is read whole anyway, and kept as a
// self-thread: --context does not read it again, --context all does.
func TestBackupSaysThreadsCutShort(t *testing.T) {
	t.Run("mastodon", func(t *testing.T) {
		f := newFediverse(t)
		writer, chatty := f.a.AddAccount("writer"), f.a.AddAccount("chatty")
		root := writer.Post(mastodontest.PostOptions{})
		for range 65 {
			root.Reply(chatty, mastodontest.PostOptions{})
		}
		own := root.Reply(writer, mastodontest.PostOptions{})
		small := writer.Post(mastodontest.PostOptions{})
		f.alice.Bookmark(root)
		f.alice.Bookmark(small)
		// fedimarks' own login asks no read:statuses: threads are read
		// without the token.
		mustRun(t, 0, f.home, f.alice.Token("read:bookmarks", "write:bookmarks", "read:search", "profile")+"\n",
			"login", f.a.URL(), "--token-stdin")
		r := mustRun(t, 0, f.home, "", "backup", f.alice.Handle(), "--context", "--json")
		want := f.alice.Handle() + ": 1 thread cut short (without read:statuses the server gives at most 40 posts above a post, 60 below it and 20 levels of replies): what was read is kept, backup --context reads it again in a week; a token with read:statuses reads up to 4,096"
		if strings.Count(r.stderr, "cut short") != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "fedimarks login "+loginArg(f.a.URL())+" --token-stdin") {
			t.Errorf("the cut is not said once as\n%s\n%s", want, r.stderr)
		}
		var sum struct {
			Accounts []struct {
				Threads threadResult `json:"threads"`
			} `json:"accounts"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || len(sum.Accounts) != 1 || sum.Accounts[0].Threads.Cut != 1 || sum.Accounts[0].Threads.Fetched != 2 {
			t.Errorf("--json: %v %s", err, r.stdout)
		}
		ar := openHomeArchive(t, f.home)
		defer ar.Close()
		if _, desc := threadURIs(t, ar, root.URI()); len(desc) != 0 || slices.Contains(desc, own.URI()) {
			t.Errorf("the self-thread read: %v", desc)
		}
		// Not recorded whole, nor read again on every run (the same cap
		// would cut it again): a week later it is read again (and said
		// again), the whole one not.
		contexts := func() (cut, whole int) {
			return f.a.Requests("GET", "/api/v1/statuses/"+f.a.LocalID(root.URI())+"/context"),
				f.a.Requests("GET", "/api/v1/statuses/"+f.a.LocalID(small.URI())+"/context")
		}
		f.a.ResetCounts()
		r = mustRun(t, 0, f.home, "", "backup", f.alice.Handle(), "--context")
		if cut, whole := contexts(); cut != 0 || whole != 0 || strings.Contains(r.stderr, "cut short") {
			t.Errorf("the next backup read the cut thread %d times and the whole one %d, want neither and nothing said:\n%s", cut, whole, r.stderr)
		}
		weekLater := func(io *IO) { io.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) } }
		r = runToolWith(t, nil, f.home, "", weekLater, "backup", f.alice.Handle(), "--context")
		if cut, whole := contexts(); r.code != 0 || cut == 0 || whole != 0 || !strings.Contains(r.stderr, "1 thread cut short") {
			t.Errorf("a week later: exit %d, the cut thread read %d times and the whole one %d, want it read and the whole one not, the cut said again:\n%s", r.code, cut, whole, r.stderr)
		}
	})

	t.Run("misskey", func(t *testing.T) {
		w := newMkWorld(t)
		writer := w.mk.AddAccount("writer")
		root := writer.Post(mastodontest.PostOptions{})
		var replies []*mastodontest.Status
		for range misskey.MaxThreadCalls + 10 {
			replies = append(replies, root.Reply(w.carol, mastodontest.PostOptions{}))
		}
		own := root.Reply(writer, mastodontest.PostOptions{})
		own2 := own.Reply(writer, mastodontest.PostOptions{})
		w.alice.Favorite(root)
		w.login(t)
		r := mustRun(t, 0, w.home, "", "backup", w.alice.Handle(), "--context", "all")
		want := w.alice.Handle() + ": 1 thread cut short (fedimarks reads at most 200 calls of a thread): what was read is kept, the author's own thread whole; the next backup --context all reads it again"
		if strings.Count(r.stderr, "cut short") != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("the cut is not said once as\n%s\n%s", want, r.stderr)
		}
		ar := openHomeArchive(t, w.home)
		defer ar.Close()
		if _, desc := threadURIs(t, ar, root.URI()); !slices.Equal(desc, append(uriList(replies...), own.URI(), own2.URI())) {
			t.Errorf("kept %d replies; want every reply of the root, then the author's chain", len(desc))
		}
		w.mk.ResetCounts()
		mustRun(t, 0, w.home, "", "backup", w.alice.Handle(), "--context")
		if n := w.mk.Requests("POST", "/api/notes/conversation"); n != 0 {
			t.Errorf("--context read the self-thread again (%d calls): it was whole", n)
		}
		r = mustRun(t, 0, w.home, "", "backup", w.alice.Handle(), "--context", "all")
		if n := w.mk.Requests("POST", "/api/notes/conversation"); n != 1 || !strings.Contains(r.stderr, "1 thread cut short") {
			t.Errorf("--context all did not read the cut thread again (%d calls):\n%s", n, r.stderr)
		}
	})
}
