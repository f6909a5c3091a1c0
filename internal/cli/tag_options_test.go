package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// fakeChooser is a chooser that picks acc (or fails with err) and keeps
// the queries it was asked.
type fakeChooser struct {
	acc     fedimarks.Account
	err     error
	queries []accountQuery
}

func (f *fakeChooser) choose(_ context.Context, q accountQuery) (fedimarks.Account, error) {
	f.queries = append(f.queries, q)
	return f.acc, f.err
}

// tempArchive is a real archive in a temp file holding bookmarks of h
// with contents (see archiveWith), for runners tested below Main.
func tempArchive(t *testing.T, h fedimarks.Handle, contents ...string) archiveFunc {
	t.Helper()
	home := t.TempDir()
	archiveWith(t, home, h, contents...)
	ar, err := sqlite.Open(context.Background(), filepath.Join(home, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ar.Close() })
	return func(context.Context) (*sqlite.Archive, error) { return ar, nil }
}

// TestTagRunnersBelowMain runs tag, note and tags without Main: a fake
// chooser, a real temp archive, buffers for the terminal.
func TestTagRunnersBelowMain(t *testing.T) {
	ctx := context.Background()
	const me = fedimarks.Handle("me@home.example")
	archive := tempArchive(t, me, "<p>plum cake with cinnamon</p>", "<p>a walk in the hills</p>", "<p>plum jam</p>")
	ch := &fakeChooser{acc: fedimarks.Account{Handle: me}}
	who := labelAccount{name: "me", archive: archive, choose: ch.choose}
	var errOut, out bytes.Buffer

	if err := runTag(ctx, tagOptions{labelAccount: who, post: "cinnamon", add: []string{"recipes", "later"}, errOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if err := runTag(ctx, tagOptions{labelAccount: who, allMatching: "plum", add: []string{"recipes"}, errOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if want := "me@home.example: 1 bookmark tagged (+recipes +later).\nme@home.example: 2 bookmarks tagged (+recipes).\n"; errOut.String() != want {
		t.Errorf("tag said %q, want %q", errOut.String(), want)
	}
	if want := (accountQuery{name: "me", flag: "--account", need: archived}); len(ch.queries) != 2 || ch.queries[0] != want {
		t.Errorf("the chooser was asked %+v, want %+v each time", ch.queries, want)
	}

	// An ambiguous post changes nothing and lists the matches.
	errOut.Reset()
	err := runNote(ctx, noteOptions{labelAccount: who, post: "plum", text: "too sweet", errOut: &errOut})
	if fedimarks.ErrorCode(err) != fedimarks.EInvalid || strings.Count(errOut.String(), "https://far.example/users/bo/statuses/") != 2 {
		t.Errorf("note on an ambiguous post: %v, said %q", err, errOut.String())
	}
	if err := runNote(ctx, noteOptions{labelAccount: who, post: "hills", text: "go in May", errOut: &errOut}); err != nil {
		t.Fatal(err)
	}

	if err := runTags(ctx, tagsOptions{labelAccount: who, out: &out, errOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if want := "2\trecipes\n1\tlater\n"; out.String() != want {
		t.Errorf("tags listed %q, want %q", out.String(), want)
	}
	ar, _ := archive(ctx)
	if got := searchHandles(t, ar, me, "has:note"); len(got) != 1 || !strings.HasSuffix(got[0], "/2") {
		t.Errorf("has:note finds %q, want the walk (statuses/2)", got)
	}

	// The chooser's refusal is the runner's error; nothing is changed.
	ch.err = usageError("several accounts are saved")
	if err := runTag(ctx, tagOptions{labelAccount: who, allMatching: "walk", add: []string{"x"}, errOut: &errOut}); err != ch.err {
		t.Errorf("tag with a refused account: %v, want the chooser's error", err)
	}
	if got := searchHandles(t, ar, me, "tag:x"); len(got) != 0 {
		t.Errorf("tag with a refused account tagged %q", got)
	}
}

// searchHandles are the URIs of h's bookmarks that query finds.
func searchHandles(t *testing.T, ar *sqlite.Archive, h fedimarks.Handle, query string) []string {
	t.Helper()
	uris, err := matchingURIs(context.Background(), ar, h, query, 0)
	if err != nil {
		t.Fatal(err)
	}
	return uris
}
