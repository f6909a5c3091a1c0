package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// folderResult is the --json summary of a backup's reading of the
// account's bookmark folders.
type folderResult struct {
	Folders  int  `json:"folders"`
	Members  int  `json:"in_folders"`
	Filed    int  `json:"filed"`
	Renamed  int  `json:"renamed"`
	Unfiled  int  `json:"unfiled"`
	Complete bool `json:"complete"`
}

// hasFolders reports whether acc's server software has bookmark folders:
// Pleroma (2.7+) and its forks that report themselves as Pleroma. Akkoma
// forked before folders and has none; the others never had them. An older
// Pleroma answers 404 to the folder list, which is taken as none.
func hasFolders(acc fedimarks.Account) bool {
	software, _, _ := strings.Cut(strings.ToLower(acc.Software), " ")
	return software == "pleroma"
}

// folderSource adapts the client to backup.FolderSource.
type folderSource struct{ bookmarkSource }

func (s folderSource) Folders(ctx context.Context) ([]fedimarks.Folder, error) {
	fs, err := s.c.Folders(ctx)
	if errors.Is(err, mastodon.ErrNoFolders) {
		return nil, fmt.Errorf("%w: %w", backup.ErrNoFolders, err)
	}
	return fs, err
}

func (s folderSource) FolderPage(ctx context.Context, id, url string) (backup.Page, error) {
	if url == "" {
		url = s.c.FolderPage(id)
	}
	return s.Page(ctx, url)
}

// readFolders reads acc's bookmark folders into the archive and prints
// a summary line when the account has folders.
func (o backupOptions) readFolders(ctx context.Context, ar *sqlite.Archive, acc fedimarks.Account, src bookmarkSource, out *backupResult) error {
	before := src.c.Requests()
	res, err := backup.SyncFolders(ctx, acc.Handle, folderSource{src}, ar, o.now())
	out.Requests = src.c.Requests()
	if err != nil {
		fmt.Fprintf(o.errOut, "%s: bookmark folders not read this time (the next backup reads them again)\n", acc.Handle)
		return o.apiError(acc.Handle, acc.Server, err, "read:bookmarks")
	}
	if res.None || res.Folders == 0 && !res.Changed() {
		return nil
	}
	out.Folders = &folderResult{Folders: res.Folders, Members: res.Members, Filed: res.Filed, Renamed: res.Renamed,
		Unfiled: res.Unfiled, Complete: res.Complete}
	cut := ""
	if !res.Complete {
		cut = " (a folder's listing was cut short: no bookmark taken out of its folder this time)"
	}
	fmt.Fprintf(o.errOut, "%s: %s, %s in them; %d filed or moved, %d in a renamed folder, %d taken out of a folder; %s%s\n",
		acc.Handle, fedimarks.Plural(int64(res.Folders), "bookmark folder"), fedimarks.Plural(int64(res.Members), "bookmark"),
		res.Filed, res.Renamed, res.Unfiled, fedimarks.Plural(src.c.Requests()-before, "request"), cut)
	if res.Changed() {
		o.speak()
	}
	return nil
}

// withFolder sets b.Folder from the archive's folders of b's account
// (FoldersByURI), if it is in one.
func withFolder(folders map[string]fedimarks.Folder, b *fedimarks.Bookmark) {
	if f, ok := folders[b.Status.URI]; ok {
		b.Folder = &f
	}
}

// syncFoldersEvery is how often sync's checks read the bookmark folders:
// a check with nothing new then costs one request on each side, and a
// folder change on the server reaches the other account within the hour
// (any backup by hand or scheduled reads them at once).
const syncFoldersEvery = time.Hour

// foldersDue says whether this backup reads h's folders: every backup,
// or with every > 0 when the last reading is older (or never was).
func foldersDue(ctx context.Context, ar *sqlite.Archive, h fedimarks.Handle, every time.Duration, now time.Time) bool {
	if every <= 0 {
		return true
	}
	last, err := ar.FoldersReadAt(ctx, h)
	return err != nil || last.IsZero() || now.Sub(last) >= every
}
