package backup_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
)

// folderPages is a scripted FolderSource: each folder's listing is pages
// of URIs; fail makes a folder's second page fail, skip gives its first
// page an unreadable element, loop makes its first page link to itself.
type folderPages struct {
	folders          []fedimarks.Folder
	pages            map[string][][]string
	fail, skip, loop map[string]bool
}

func (s *folderPages) Folders(ctx context.Context) ([]fedimarks.Folder, error) {
	if s.folders == nil {
		return nil, fmt.Errorf("404: %w", backup.ErrNoFolders)
	}
	return s.folders, nil
}

func (s *folderPages) FolderPage(ctx context.Context, id, url string) (backup.Page, error) {
	k := 0
	if url != "" {
		fmt.Sscanf(url, id+"/%d", &k)
	}
	if k == 1 && s.fail[id] {
		return backup.Page{}, errors.New("connection reset")
	}
	var p backup.Page
	if k < len(s.pages[id]) {
		for _, u := range s.pages[id][k] {
			st, err := fedimarks.ParseStatus([]byte(`{"id":"1","uri":"` + u + `","content":""}`))
			if err != nil {
				return p, err
			}
			p.Statuses = append(p.Statuses, st)
		}
		p.Next = fmt.Sprintf("%s/%d", id, k+1) // Pleroma: next on every non-empty page
		if s.loop[id] {
			p.Next = id + "/0"
		}
	}
	if k == 0 && s.skip[id] {
		p.Skipped = 1
	}
	return p, nil
}

// TestSyncFoldersCompleteOrNot: a failed page saves nothing; a page with
// an unreadable bookmark or a next link that repeats files what was read
// but takes no bookmark out of its folder; a full reading does; a server
// without folders is None.
func TestSyncFoldersCompleteOrNot(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &folderPages{
		folders: []fedimarks.Folder{{ID: "F1", Name: "Recipes"}, {ID: "F2", Name: "Later"}},
		pages:   map[string][][]string{"F1": {{"https://x.example/1", "https://x.example/2"}, {"https://x.example/3"}}, "F2": {{"https://x.example/4"}}},
	}
	res, err := backup.SyncFolders(ctx, h, src, ar, now)
	if err != nil || !res.Complete || res.Members != 4 || res.Filed != 4 {
		t.Fatalf("first reading: %+v, %v", res, err)
	}
	src.pages["F1"] = [][]string{{"https://x.example/1"}, {"https://x.example/2"}} // 3 left Recipes
	src.fail = map[string]bool{"F1": true}
	if _, err := backup.SyncFolders(ctx, h, src, ar, now); err == nil {
		t.Fatal("a failed page: no error")
	}
	if by, _ := ar.FoldersByURI(ctx, h); len(by) != 4 {
		t.Errorf("a failed reading changed the folders: %v", by)
	}
	src.fail, src.skip = nil, map[string]bool{"F1": true}
	if res, err := backup.SyncFolders(ctx, h, src, ar, now); err != nil || res.Complete || res.Unfiled != 0 {
		t.Errorf("a page with an unreadable bookmark: %+v, %v; want incomplete, nobody unfiled", res, err)
	}
	src.skip, src.loop = nil, map[string]bool{"F1": true}
	if res, err := backup.SyncFolders(ctx, h, src, ar, now); err != nil || res.Complete || res.Unfiled != 0 {
		t.Errorf("a next link that repeats: %+v, %v; want incomplete, nobody unfiled", res, err)
	}
	src.loop = nil
	if res, err := backup.SyncFolders(ctx, h, src, ar, now); err != nil || !res.Complete || res.Unfiled != 1 {
		t.Errorf("a full reading: %+v, %v; want 1 unfiled (x.example/3 left Recipes)", res, err)
	}
	src.folders = nil
	if res, err := backup.SyncFolders(ctx, h, src, ar, now); err != nil || !res.None {
		t.Errorf("no folders: %+v, %v", res, err)
	}
}
