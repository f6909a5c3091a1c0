package cli

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestMisskeyBackupContext: `backup --context` of a Misskey account keeps
// each new favorite's thread through Misskey's API (notes/conversation,
// notes/children) as it does for Mastodon: the notes above it and the
// author's own replies below (--context all: every reply), quotes left
// out. A thread whose calls fail stays pending: the backup says so and
// fails, and the next backup --context fetches it and no other.
func TestMisskeyBackupContext(t *testing.T) {
	w := newMkWorld(t)
	writer := w.mk.AddAccount("writer")
	var threads []thread
	for range 5 {
		th := makeThread(writer, w.bob)
		th.root.Quote(w.bob, mastodontest.PostOptions{Text: "a quote is no reply"})
		threads = append(threads, th)
		w.alice.Favorite(th.root)
		w.alice.Favorite(th.r2)
	}
	w.login(t)
	r := mustRun(t, 0, w.home, "", "backup", w.alice.Handle(), "--context")
	if !strings.Contains(r.stderr, "10 threads kept") {
		t.Errorf("backup --context does not say it kept 10 threads:\n%s", r.stderr)
	}
	// root: its ancestors, then root, r1, r2 walked; r2: its ancestors,
	// then r2 walked.
	if n := w.mk.Requests("POST", "/api/notes/conversation"); n != 10 {
		t.Errorf("%d notes/conversation calls, want 10 (one a thread)", n)
	}
	if n := w.mk.Requests("POST", "/api/notes/children"); n != 5*3+5 {
		t.Errorf("%d notes/children calls, want 20", n)
	}
	ar, err := sqlite.Open(context.Background(), filepath.Join(w.home, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	for _, th := range threads[:2] {
		checkSelfThread(t, ar, th)
	}

	// A new favorite whose thread cannot be read now: pending, said, and
	// fetched by the next backup --context (and only it).
	th := makeThread(writer, w.bob)
	w.alice.Favorite(th.root)
	w.mk.FailEndpoint("notes/children", 1)
	r = mustRun(t, ExitError, w.home, "", "backup", w.alice.Handle(), "--context")
	if !strings.Contains(r.stderr, "1 left for the next backup --context") {
		t.Errorf("a failed thread is not said pending:\n%s", r.stderr)
	}
	w.mk.ResetCounts()
	r = mustRun(t, 0, w.home, "", "backup", w.alice.Handle(), "--context")
	if !strings.Contains(r.stderr, "1 thread kept") || w.mk.Requests("POST", "/api/notes/conversation") != 1 {
		t.Errorf("the next backup does not fetch the pending thread alone (%d conversation calls):\n%s",
			w.mk.Requests("POST", "/api/notes/conversation"), r.stderr)
	}
	if anc, desc := threadURIs(t, ar, th.root.URI()); !slices.Equal(anc, uriList(th.q)) || !slices.Equal(desc, uriList(th.r1, th.r2)) {
		t.Errorf("pending thread, fetched: %v %v", anc, desc)
	}

	// --context all: everyone's replies.
	w.alice.Favorite(threads[0].o1)
	mustRun(t, 0, w.home, "", "backup", w.alice.Handle(), "--context", "all")
	if _, desc := threadURIs(t, ar, threads[0].o1.URI()); !slices.Equal(desc, uriList(threads[0].x2)) {
		t.Errorf("--context all: descendants of o1 %v, want x2", desc)
	}
}
