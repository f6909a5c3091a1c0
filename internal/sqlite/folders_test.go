package sqlite_test

import (
	"context"
	"slices"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestSaveFolders files bookmarks, moves one, renames a folder, reads an
// incomplete listing (no one unfiled) and a complete one (unfiled), and
// checks the folder tags follow while a person's own tags stay.
func TestSaveFolders(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 10)
	p1, p2, p3 := posts[1].uri(), posts[2].uri(), posts[3].uri()
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := a.EditTags(ctx, home, p1, []string{"mine"}, nil); err != nil {
		t.Fatal(err)
	}
	rec, later := fedimarks.Folder{ID: "F1", Name: "Recipes", Emoji: "🍲"}, fedimarks.Folder{ID: "F2", Name: "Read later"}
	tagsOf := func(uri string) []string {
		t.Helper()
		bs, err := a.Bookmarks(ctx, home, sqlite.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if b.Status.URI == uri {
				return b.Tags
			}
		}
		t.Fatalf("no bookmark %s", uri)
		return nil
	}
	save := func(fs []fedimarks.Folder, m map[string]string, complete bool, want [3]int) {
		t.Helper()
		ch, err := a.SaveFolders(ctx, home, fs, m, complete, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := [3]int{ch.Filed, ch.Renamed, ch.Unfiled}; got != want {
			t.Errorf("changes (filed, renamed, unfiled) = %v, want %v", got, want)
		}
	}
	save([]fedimarks.Folder{rec, later}, map[string]string{p1: "F1", p2: "F1", p3: "F2"}, true, [3]int{3, 0, 0})
	if got := tagsOf(p1); !slices.Equal(got, []string{"folder:recipes", "mine"}) {
		t.Errorf("p1 tags %v", got)
	}
	save([]fedimarks.Folder{rec, later}, map[string]string{p1: "F1", p2: "F1", p3: "F2"}, true, [3]int{0, 0, 0})
	// p2 moved to Read later; Recipes renamed Cooking.
	rec.Name = "Cooking"
	save([]fedimarks.Folder{rec, later}, map[string]string{p1: "F1", p2: "F2", p3: "F2"}, true, [3]int{1, 1, 0})
	if got := tagsOf(p1); !slices.Equal(got, []string{"folder:cooking", "mine"}) {
		t.Errorf("p1 tags after rename %v", got)
	}
	if got := tagsOf(p2); !slices.Equal(got, []string{"folder:read-later"}) {
		t.Errorf("p2 tags after move %v", got)
	}
	// A listing cut short unfiles nobody; a complete one does.
	save([]fedimarks.Folder{rec, later}, map[string]string{p1: "F1"}, false, [3]int{0, 0, 0})
	save([]fedimarks.Folder{rec, later}, map[string]string{p1: "F1"}, true, [3]int{0, 0, 2})
	if got := tagsOf(p3); len(got) != 0 {
		t.Errorf("p3 tags after it left its folder %v", got)
	}
	by, err := a.FoldersByURI(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	if len(by) != 1 || by[p1].Name != "Cooking" || by[p1].Emoji != "🍲" {
		t.Errorf("FoldersByURI = %+v", by)
	}
	counts, err := a.FolderCounts(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[0].Name != "Cooking" || counts[0].Count != 1 || counts[1].Count != 0 {
		t.Errorf("FolderCounts = %+v", counts)
	}
	if err := a.RecordFiling(ctx, home, p2, "Cooking", now); err != nil {
		t.Fatal(err)
	}
	if f, err := a.Filings(ctx, home); err != nil || f[p2] != "Cooking" || len(f) != 1 {
		t.Errorf("Filings = %v, %v", f, err)
	}
}
