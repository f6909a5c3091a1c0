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
	ar := openHomeArchive(t, home)
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
	ar := openHomeArchive(t, f.home)
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

// TestMigrateRecreatesFolders: a migrate from a Pleroma account with
// folders into another Pleroma account makes the folders there by name
// (the one it has already, of the same name, is used and keeps its
// emoji), with the same members: rows written by this run are filed by
// their bookmark request, a row already bookmarked there (in another
// folder) and a post of the destination's own server cost one request
// each; a rerun files nothing again.
func TestMigrateRecreatesFolders(t *testing.T) {
	f := newPleromaFolks(t)
	q := f.net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Pleroma})
	bob := q.AddAccount("bob")
	own := q.AddAccount("local").Post(mastodontest.PostOptions{}) // a post of the destination's server
	f.alice.BookmarkIn(own, f.rec)
	keep := bob.CreateFolder("Read later", "📚")
	other := bob.CreateFolder("Elsewhere", "")
	bob.BookmarkIn(f.p[1], other) // already bookmarked there, in another folder
	mustRun(t, 0, f.home, bob.Token()+"\n", "login", q.URL(), "--token-stdin")

	q.ResetCounts()
	r := mustRun(t, 0, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", bob.Handle(), "--report-dir", t.TempDir())
	want := f.alice.FolderMembers()
	got := bob.FolderMembers()
	for _, name := range []string{"Recipes", "Read later"} {
		if !slices.Equal(sortedURIs(got[name]), sortedURIs(want[name])) {
			t.Errorf("folder %q on the destination holds %v, want %v", name, got[name], want[name])
		}
	}
	if len(got["Elsewhere"]) != 0 {
		t.Errorf("Elsewhere still holds %v", got["Elsewhere"])
	}
	folders := map[string]mastodontest.Folder{}
	for _, fo := range bob.Folders() {
		folders[fo.Name] = fo
	}
	if fo := folders["Read later"]; fo.ID != keep || fo.Emoji != "📚" || folders["Recipes"].Emoji != "🍲" || len(folders) != 3 {
		t.Errorf("destination folders %+v: want Read later reused (%s, 📚), Recipes made with 🍲", folders, keep)
	}
	if !strings.Contains(r.stderr, `filed 4 bookmarks in bookmark folders; made "Recipes"`) {
		t.Errorf("migrate does not say what it filed:\n%s", r.stderr)
	}
	// 4 rows searched and written (2 in their folder at once), the
	// destination's own post written by its id; then the row already
	// there and that post filed: one request each.
	if n := q.Requests("POST", "/api/v1/statuses/"); n != 4+1+2 {
		t.Errorf("%d bookmark requests, want 7", n)
	}
	if n := q.Requests("POST", "/api/v1/pleroma/bookmark_folders"); n != 1 {
		t.Errorf("%d folders made, want 1", n)
	}

	q.ResetCounts()
	mustRun(t, 0, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", bob.Handle(), "--offline", "--report-dir", t.TempDir())
	if n := q.Requests("", "/api/"); n != 0 {
		t.Errorf("the rerun of the finished job made %d requests, want 0", n)
	}
}

func sortedURIs(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestMigrateFoldersIntoMastodon: into a server without folders the
// folders stay local tags of the destination account, and the summary
// says so in one line; --folder there is refused before anything is
// written.
func TestMigrateFoldersIntoMastodon(t *testing.T) {
	f := newPleromaFolks(t)
	bob := f.m.AddAccount("bob")
	mustRun(t, 0, f.home, bob.Token()+"\n", "login", f.m.URL(), "--token-stdin")

	f.m.ResetCounts()
	r := mustRun(t, ExitUsage, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", bob.Handle(), "--folder", "Stuff", "--report-dir", t.TempDir())
	if !strings.Contains(r.stderr, "has no bookmark folders") || len(bob.BookmarkURIs()) != 0 || f.m.Requests("POST", "") != 0 {
		t.Errorf("--folder into Mastodon: %d bookmarks written, stderr:\n%s", len(bob.BookmarkURIs()), r.stderr)
	}

	r = mustRun(t, 0, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", bob.Handle(), "--report-dir", t.TempDir())
	if len(bob.BookmarkURIs()) != 5 {
		t.Fatalf("%d bookmarks on the destination, want 5", len(bob.BookmarkURIs()))
	}
	if !strings.Contains(r.stderr, "has no bookmark folders: 3 bookmarks in 2 folders kept as local tags (folder:NAME) only") {
		t.Errorf("migrate does not say the folders stay tags:\n%s", r.stderr)
	}
	mustRun(t, 0, f.home, "", "backup", bob.Handle())
	_, tags := foldersOf(t, f.home, bob.Handle())
	if !slices.Equal(tags[f.p[0].URI()], []string{"folder:recipes"}) || !slices.Equal(tags[f.p[2].URI()], []string{"folder:read-later"}) || len(tags[f.p[3].URI()]) != 0 {
		t.Errorf("destination's folder tags: %v", tags)
	}
}

// TestImportFolderFlagAndExportRoundTrip: folders travel through
// fedimarks' json export into another Pleroma account; --folder files
// every row of an import in one folder.
func TestImportFolderFlagAndExportRoundTrip(t *testing.T) {
	f := newPleromaFolks(t)
	mustRun(t, 0, f.home, "", "backup", f.alice.Handle())
	out := filepath.Join(t.TempDir(), "export.json")
	mustRun(t, 0, f.home, "", "export", f.alice.Handle(), "--format", "json", "-o", out)

	q := f.net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Pleroma})
	bob, carol := q.AddAccount("bob"), q.AddAccount("carol")
	for _, acc := range []*mastodontest.Account{bob, carol} {
		mustRun(t, 0, f.home, acc.Token()+"\n", "login", q.URL(), "--token-stdin")
	}
	dry := mustRun(t, 0, f.home, "", "import", out, "--to", bob.Handle(), "--dry-run", "--report-dir", t.TempDir())
	if !strings.Contains(dry.stderr, `3 rows would be filed in their folders; would make "Read later", "Recipes"`) || len(bob.Folders()) != 0 {
		t.Errorf("dry run made folders %v or does not say what it would do:\n%s", bob.Folders(), dry.stderr)
	}
	mustRun(t, 0, f.home, "", "import", out, "--to", bob.Handle(), "--report-dir", t.TempDir())
	got, want := bob.FolderMembers(), f.alice.FolderMembers()
	for _, name := range []string{"Recipes", "Read later", ""} {
		if !slices.Equal(sortedURIs(got[name]), sortedURIs(want[name])) {
			t.Errorf("after importing the export, %q holds %v, want %v", name, got[name], want[name])
		}
	}

	mustRun(t, 0, f.home, "", "import", out, "--to", carol.Handle(), "--folder", "From alice", "--report-dir", t.TempDir())
	if m := carol.FolderMembers(); len(m["From alice"]) != 5 || len(m) != 1 {
		t.Errorf("--folder: carol's folders %v, want the 5 rows in From alice", m)
	}
}

// TestContextSetting: backup --context --remember makes every later backup
// of the account keep threads; --no-context
// skips them once; status and accounts show the setting; --no-context
// --remember ends it.
func TestContextSetting(t *testing.T) {
	f := newFediverse(t)
	author, other := f.a.AddAccount("writer"), f.a.AddAccount("chatty")
	th := makeThread(author, other)
	f.alice.Bookmark(th.root)
	mustRun(t, 0, f.home, f.alice.Token("read", "write")+"\n", "login", f.a.URL(), "--token-stdin")
	h := f.alice.Handle()
	mustRun(t, ExitUsage, f.home, "", "backup", h, "--remember")
	mustRun(t, ExitUsage, f.home, "", "backup", h, "--context", "--no-context")

	r := mustRun(t, 0, f.home, "", "backup", h, "--context", "--remember")
	if !strings.Contains(r.stderr, "every backup keeps threads (self-threads) from now on") || !strings.Contains(r.stderr, "1 thread kept") {
		t.Errorf("backup --context --remember:\n%s", r.stderr)
	}
	st := mustRun(t, 0, f.home, "", "status")
	if !strings.Contains(st.stdout, "Every backup keeps threads (backup --context --remember) for: "+h+" (self-threads)") {
		t.Errorf("status does not show the setting:\n%s", st.stdout)
	}
	if js := mustRun(t, 0, f.home, "", "accounts", "--json"); !strings.Contains(js.stdout, `"context":"self"`) {
		t.Errorf("accounts --json does not show the setting:\n%s", js.stdout)
	}

	// A plain backup keeps the new bookmark's thread.
	th2 := makeThread(author, other)
	f.alice.Bookmark(th2.root)
	if r := mustRun(t, 0, f.home, "", "backup", h); !strings.Contains(r.stderr, "1 thread kept") {
		t.Errorf("a plain backup after --remember keeps no thread:\n%s", r.stderr)
	}
	// --no-context skips them once: the next plain backup fetches it.
	th3 := makeThread(author, other)
	f.alice.Bookmark(th3.root)
	f.a.ResetCounts()
	mustRun(t, 0, f.home, "", "backup", h, "--no-context")
	if n := f.a.Requests("GET", "/api/v1/statuses/"); n != 0 {
		t.Errorf("--no-context: %d context requests", n)
	}
	if r := mustRun(t, 0, f.home, "", "backup", h); !strings.Contains(r.stderr, "1 thread kept") {
		t.Errorf("the backup after --no-context does not fetch the skipped thread:\n%s", r.stderr)
	}

	mustRun(t, 0, f.home, "", "backup", h, "--no-context", "--remember")
	th4 := makeThread(author, other)
	f.alice.Bookmark(th4.root)
	f.a.ResetCounts()
	mustRun(t, 0, f.home, "", "backup", h)
	if n := f.a.Requests("GET", "/api/v1/statuses/"); n != 0 {
		t.Errorf("after --no-context --remember: %d context requests", n)
	}
	if st := mustRun(t, 0, f.home, "", "status"); strings.Contains(st.stdout, "keeps threads") {
		t.Errorf("status still shows the setting:\n%s", st.stdout)
	}
}

// TestSyncFilesFolders: sync (migrate's engine over the archive) makes
// the folders on a Pleroma destination too; a bookmark filed later on the
// source, once a backup read the source's folders, is filed by the next
// check; a check with nothing new reads no folders (sync reads them once
// an hour): one request on each side.
func TestSyncFilesFolders(t *testing.T) {
	f := newPleromaFolks(t)
	q := f.net.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Pleroma})
	bob := q.AddAccount("bob")
	mustRun(t, 0, f.home, bob.Token()+"\n", "login", q.URL(), "--token-stdin")
	mustRun(t, 0, f.home, "", "sync", "--from", f.alice.Handle(), "--to", bob.Handle())
	if got, want := bob.FolderMembers(), f.alice.FolderMembers(); !slices.Equal(sortedURIs(got["Recipes"]), sortedURIs(want["Recipes"])) ||
		!slices.Equal(sortedURIs(got["Read later"]), sortedURIs(want["Read later"])) {
		t.Fatalf("after sync: %v, want %v", got, want)
	}
	fresh := f.m.AddAccount("newcomer").Post(mastodontest.PostOptions{})
	f.alice.BookmarkIn(fresh, f.later)
	mustRun(t, 0, f.home, "", "backup", f.alice.Handle()) // by hand: reads the folders
	mustRun(t, 0, f.home, "", "sync", "--from", f.alice.Handle(), "--to", bob.Handle())
	if got := bob.FolderMembers()["Read later"]; !slices.Contains(got, fresh.URI()) {
		t.Errorf("the new bookmark is not filed on the destination: %v", got)
	}
	q.ResetCounts()
	f.pl.ResetCounts()
	mustRun(t, 0, f.home, "", "sync", "--from", f.alice.Handle(), "--to", bob.Handle())
	if n, m := q.Requests("", "/api/"), f.pl.Requests("", "/api/"); n != 1 || m != 1 {
		t.Errorf("a check with nothing new made %d requests to the destination and %d to the source, want 1 and 1", n, m)
	}
}
