package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Bookmark folders (Pleroma). A bookmark moved to another folder keeps its
// place in the server's listing (Pleroma updates the bookmark, it does not
// make a new one), so an incremental walk, which stops where the archived
// bookmarks begin, never sees it move. SyncFolders reads the folders
// instead: the folder list (one request) and each folder's own listing to
// its end (a request a page of 40, and Pleroma's last, empty page), every
// backup. That catches a bookmark moved, filed, taken out of its folder
// (in no folder's listing any more), and a folder renamed or deleted, at
// 1 + the sum over folders of (its bookmarks / 40, rounded up, + 1)
// requests; bookmarks in no folder cost nothing.

// ErrNoFolders is wrapped by FolderSource.Folders when the server has no
// bookmark folders.
var ErrNoFolders = errors.New("the server has no bookmark folders")

// FolderSource reads an account's bookmark folders.
type FolderSource interface {
	// Folders lists the account's folders; an error wrapping
	// ErrNoFolders says the server has none.
	Folders(ctx context.Context) ([]fedimarks.Folder, error)
	// FolderPage fetches one page of the listing of folder id ("" = the
	// first page).
	FolderPage(ctx context.Context, id, url string) (Page, error)
}

// FolderStore records folders and which bookmarks are in them: members
// maps a post URI to its folder's id; complete says every folder's
// listing was read to its end, so that a bookmark in none of them is in no
// folder.
type FolderStore interface {
	SaveFolders(ctx context.Context, h fedimarks.Handle, folders []fedimarks.Folder, members map[string]string, complete bool, now time.Time) (fedimarks.FolderChanges, error)
}

// FolderResult sums up SyncFolders.
type FolderResult struct {
	fedimarks.FolderChanges
	// None says the server has no folders (nothing else is set).
	None bool
	// Folders counts the account's folders, Members the bookmarks in
	// them.
	Folders, Members int
	// Complete says every listing was read to its end; when not, no
	// bookmark was taken out of its folder this time.
	Complete bool
}

// SyncFolders reads h's folders and their bookmarks from src and records
// them in store. A failed request records nothing: the next backup reads
// the folders again.
func SyncFolders(ctx context.Context, h fedimarks.Handle, src FolderSource, store FolderStore, now time.Time) (FolderResult, error) {
	var res FolderResult
	folders, err := src.Folders(ctx)
	if errors.Is(err, ErrNoFolders) {
		res.None = true
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("list bookmark folders: %w", err)
	}
	res.Folders, res.Complete = len(folders), true
	members := map[string]string{}
	for _, f := range folders {
		complete, err := walkFolder(ctx, src, f, members)
		if err != nil {
			return res, err
		}
		res.Complete = res.Complete && complete
	}
	res.Members = len(members)
	res.FolderChanges, err = store.SaveFolders(ctx, h, folders, members, res.Complete, now)
	return res, err
}

// walkFolder reads one folder's listing to its end into members; complete
// is false when a page held bookmarks it could not read or a guard
// stopped it.
func walkFolder(ctx context.Context, src FolderSource, f fedimarks.Folder, members map[string]string) (complete bool, err error) {
	fetched := map[string]bool{}
	url, empty := "", 0
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		page, err := src.FolderPage(ctx, f.ID, url)
		if err != nil {
			return false, fmt.Errorf("list bookmark folder %q: %w", fedimarks.CleanText(f.Name), err)
		}
		fetched[url] = true
		for _, s := range page.Statuses {
			members[s.Original().URI] = f.ID
		}
		if len(page.Statuses) == 0 {
			empty++
		} else {
			empty = 0
		}
		switch {
		case page.Skipped > 0 || page.BadNext != nil:
			return false, nil
		case page.Next == "":
			return true, nil
		case fetched[page.Next] || empty >= maxEmptyPages:
			return false, nil
		}
		url = page.Next
	}
}
