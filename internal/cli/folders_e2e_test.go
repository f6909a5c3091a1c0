package cli

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// foldersOf reads, from the archive in home, each of h's foldered
// bookmarks' folder name and its tags that start with folder:.
func foldersOf(t *testing.T, home string, h string) (map[string]string, map[string][]string) {
	t.Helper()
	ctx := context.Background()
	ar, err := sqlite.Open(ctx, filepath.Join(home, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	by, err := ar.FoldersByURI(ctx, fedimarks.Handle(h))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for uri, f := range by {
		names[uri] = f.Name
	}
	bs, err := ar.Bookmarks(ctx, fedimarks.Handle(h), sqlite.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string][]string{}
	for _, b := range bs {
		for _, tag := range b.Tags {
			if strings.HasPrefix(tag, "folder:") {
				tags[b.Status.URI] = append(tags[b.Status.URI], tag)
			}
		}
	}
	return names, tags
}

// pleromaFolks is a Pleroma instance with alice, who bookmarked five posts
// of a Mastodon author: p[0] and p[1] in Recipes (🍲), p[2] in "Read
// later", p[3] and p[4] in no folder.
type pleromaFolks struct {
	net         *mastodontest.Network
	pl, m       *mastodontest.Instance
	alice       *mastodontest.Account
	p           []*mastodontest.Status
	rec, later  string
	home, token string
}

func newPleromaFolks(t *testing.T) *pleromaFolks {
	t.Helper()
	net := mastodontest.NewNetwork(t)
	f := &pleromaFolks{net: net, home: newHome(t)}
	f.pl = net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Pleroma})
	f.m = net.NewInstance(mastodontest.InstanceOptions{})
	author := f.m.AddAccount("author")
	f.alice = f.pl.AddAccount("alice")
	for range 5 {
		f.p = append(f.p, author.Post(mastodontest.PostOptions{}))
	}
	f.rec = f.alice.CreateFolder("Recipes", "🍲")
	f.later = f.alice.CreateFolder("Read later", "")
	f.alice.BookmarkIn(f.p[0], f.rec)
	f.alice.BookmarkIn(f.p[1], f.rec)
	f.alice.BookmarkIn(f.p[2], f.later)
	f.alice.Bookmark(f.p[3])
	f.alice.Bookmark(f.p[4])
	mustRun(t, 0, f.home, f.alice.Token()+"\n", "login", f.pl.URL(), "--token-stdin")
	return f
}

// TestBackupFoldersFollowTheServer: a backup records each bookmark's
// folder (name and emoji) and its folder: tag; the next backup, although
// incremental, sees a bookmark moved, one taken out of its folder, a
// folder renamed and a new bookmark filed, at one folder-list request and
// each folder's listing; a deleted folder unfiles its bookmarks; a
// person's own tags stay.
func TestBackupFoldersFollowTheServer(t *testing.T) {
	f := newPleromaFolks(t)
	h := f.alice.Handle()
	r := mustRun(t, 0, f.home, "", "backup", h)
	if !strings.Contains(r.stderr, "2 bookmark folders, 3 bookmarks in them") {
		t.Errorf("backup does not sum up the folders:\n%s", r.stderr)
	}
	names, tags := foldersOf(t, f.home, h)
	want := map[string]string{f.p[0].URI(): "Recipes", f.p[1].URI(): "Recipes", f.p[2].URI(): "Read later"}
	if !maps.Equal(names, want) {
		t.Errorf("folders after the first backup: %v, want %v", names, want)
	}
	if !slices.Equal(tags[f.p[2].URI()], []string{"folder:read-later"}) || len(tags[f.p[3].URI()]) != 0 {
		t.Errorf("folder tags: %v", tags)
	}
	mustRun(t, 0, f.home, "", "tag", f.p[0].URI(), "+mine")

	// On the server: p0 moved to Read later, p2 out of its folder,
	// Recipes renamed, a new bookmark filed in it.
	fresh := f.m.AddAccount("newcomer").Post(mastodontest.PostOptions{})
	f.alice.BookmarkIn(f.p[0], f.later)
	f.alice.BookmarkIn(f.p[2], "")
	f.alice.RenameFolder(f.rec, "Cooking")
	f.alice.BookmarkIn(fresh, f.rec)
	f.pl.ResetCounts()
	r = mustRun(t, 0, f.home, "", "backup", h)
	names, tags = foldersOf(t, f.home, h)
	want = map[string]string{f.p[0].URI(): "Read later", f.p[1].URI(): "Cooking", fresh.URI(): "Cooking"}
	if !maps.Equal(names, want) {
		t.Errorf("folders after the changes: %v, want %v", names, want)
	}
	if !slices.Equal(tags[f.p[0].URI()], []string{"folder:read-later"}) || !slices.Equal(tags[f.p[1].URI()], []string{"folder:cooking"}) ||
		len(tags[f.p[2].URI()]) != 0 || !slices.Equal(tags[fresh.URI()], []string{"folder:cooking"}) {
		t.Errorf("folder tags after the changes: %v", tags)
	}
	if !strings.Contains(r.stderr, "2 filed or moved, 1 in a renamed folder, 1 taken out of a folder") {
		t.Errorf("backup does not say what changed:\n%s", r.stderr)
	}
	// One folder list; each folder's listing is a page and Pleroma's last,
	// empty page: 4, beside the incremental walk's pages.
	if n := f.pl.Requests("GET", "/api/v1/pleroma/bookmark_folders"); n != 1 {
		t.Errorf("%d folder-list requests, want 1", n)
	}
	if n := f.pl.Requests("GET", "/api/v1/bookmarks"); n > 4+2 {
		t.Errorf("%d listing requests, want at most 6 (4 for the folders)", n)
	}

	f.alice.DeleteFolder(f.later)
	mustRun(t, 0, f.home, "", "backup", h)
	names, tags = foldersOf(t, f.home, h)
	if _, ok := names[f.p[0].URI()]; ok || len(names) != 2 {
		t.Errorf("folders after Read later was deleted: %v", names)
	}
	ctx := context.Background()
	ar, err := sqlite.Open(ctx, filepath.Join(f.home, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	bs, _ := ar.Bookmarks(ctx, fedimarks.Handle(h), sqlite.ListOptions{})
	for _, b := range bs {
		if b.Status.URI == f.p[0].URI() && !slices.Equal(b.Tags, []string{"mine"}) {
			t.Errorf("p0's tags after its folder was deleted: %v, want [mine]", b.Tags)
		}
	}
}

// TestBackupNoFoldersOnMastodon: a Mastodon account's backup asks for no
// folders.
func TestBackupNoFoldersOnMastodon(t *testing.T) {
	f := newFediverse(t)
	f.alice.Bookmark(f.alice.Post(mastodontest.PostOptions{}))
	f.login(t, f.alice)
	r := mustRun(t, 0, f.home, "", "backup", f.alice.Handle())
	if n := f.a.Requests("", "/api/v1/pleroma/"); n != 0 || strings.Contains(r.stderr, "folder") {
		t.Errorf("%d folder requests to Mastodon; stderr:\n%s", n, r.stderr)
	}
}
