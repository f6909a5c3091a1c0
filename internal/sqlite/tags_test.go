package sqlite_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestTagsNotesSearchAndSurvival tags and notes posts of a real archive,
// then checks the search filters, note text search, Bookmarks' fields, and
// that the labels survive a full backup that removes the post and a later
// one that brings it back.
func TestTagsNotesSearchAndSurvival(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 50)
	p1, p2, p3 := posts[10].uri(), posts[11].uri(), posts[12].uri()
	other := fedimarks.Handle("bob@other.example")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.EditTags(ctx, home, p1, []string{"recipes", "later"}, nil))
	must(a.EditTags(ctx, home, p2, []string{"recipes"}, nil))
	must(a.EditTags(ctx, home, p2, []string{"todo"}, []string{"recipes"}))
	must(a.EditTags(ctx, other, p3, []string{"recipes"}, nil)) // another account's tag
	must(a.SetNote(ctx, home, p3, "grandmother's zwetschgenkuchen"))
	must(a.SetNote(ctx, other, p1, "bobsecretword"))

	search := func(s string) []string {
		t.Helper()
		q, err := fedimarks.ParseQuery(s)
		if err != nil {
			t.Fatalf("ParseQuery(%q): %v", s, err)
		}
		q.Account = home
		hits, err := a.Search(ctx, q)
		if err != nil {
			t.Fatalf("Search(%q): %v", s, err)
		}
		n, err := a.SearchCount(ctx, q)
		if err != nil || n != len(hits) {
			t.Errorf("SearchCount(%q) = %d, %v; want %d", s, n, err, len(hits))
		}
		got := uris(hits)
		slices.Sort(got)
		return got
	}
	check := func(s string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := search(s); !slices.Equal(got, want) {
			t.Errorf("search %q = %v, want %v", s, got, want)
		}
	}
	check("tag:recipes", p1)
	check("tag:Recipes tag:later", p1)
	check("tag:todo", p2)
	check("has:note", p3)
	check("zwetschgenkuchen", p3)
	check("grandmother*", p3)
	check("bobsecretword")                  // bob's note is not alice's
	check(posts[12].topic + " tag:recipes") // bob's tag on p3 is not alice's
	check(posts[10].topic + " tag:recipes -tag:later")
	all := search("")
	notRecipes := search("-tag:recipes")
	if len(notRecipes) != len(all)-1 || slices.Contains(notRecipes, p1) {
		t.Errorf("-tag:recipes = %d posts (with p1: %v), want %d without p1", len(notRecipes), slices.Contains(notRecipes, p1), len(all)-1)
	}

	// Bookmarks carries them.
	bs, err := a.Bookmarks(ctx, home, sqlite.ListOptions{})
	must(err)
	found := 0
	for _, b := range bs {
		switch b.Status.URI {
		case p1:
			found++
			if !slices.Equal(b.Tags, []string{"later", "recipes"}) || b.Note != "" {
				t.Errorf("p1 labels = %v %q", b.Tags, b.Note)
			}
		case p3:
			found++
			if len(b.Tags) != 0 || b.Note != "grandmother's zwetschgenkuchen" {
				t.Errorf("p3 labels = %v %q", b.Tags, b.Note)
			}
		}
	}
	if found != 2 {
		t.Fatalf("found %d of p1, p3 in Bookmarks", found)
	}
	counts, err := a.TagCounts(ctx, home)
	must(err)
	if got := counts; len(got) != 3 || got[0] != (sqlite.TagCount{Tag: "later", Count: 1}) {
		t.Errorf("TagCounts = %+v", got)
	}

	// A full backup without p1 removes it; its tags stay, and come back
	// with it.
	at := base.Add(48 * time.Hour)
	var keep []fedimarks.Status
	for i := len(posts) - 1; i >= 0; i-- {
		if posts[i].uri() != p1 {
			keep = append(keep, posts[i].status(t))
		}
	}
	run, err := a.StartRun(ctx, home, true, at)
	must(err)
	must(a.SavePage(ctx, run, keep, "", at))
	_, err = a.FinishRun(ctx, run, at)
	must(err)
	check("tag:recipes")
	q := fedimarks.Query{Account: home, Tags: []string{"recipes"}, IncludeRemoved: true}
	hits, err := a.Search(ctx, q)
	must(err)
	if len(hits) != 1 || !strings.HasSuffix(hits[0].Bookmark.Status.URI, "/10") || hits[0].Bookmark.RemovedAt == nil {
		t.Errorf("removed p1 with tag = %v", uris(hits))
	}
	run, err = a.StartRun(ctx, home, false, at.Add(time.Hour))
	must(err)
	must(a.SavePage(ctx, run, []fedimarks.Status{posts[10].status(t)}, "", at.Add(time.Hour)))
	_, err = a.FinishRun(ctx, run, at.Add(time.Hour))
	must(err)
	check("tag:recipes", p1)
}

func TestAddLabelsBeforeTheBackup(t *testing.T) {
	ctx := context.Background()
	a, posts := buildArchive(t, 5)
	newcomer := fedimarks.Handle("carol@new.example")
	n, err := a.AddLabels(ctx, newcomer, []sqlite.Labels{
		{URI: posts[2].uri(), Tags: []string{"recipes"}, Note: "from the old account"},
		{URI: posts[3].uri()},
	})
	if err != nil || n != 1 {
		t.Fatalf("AddLabels = %d, %v", n, err)
	}
	// A rerun (or a sync) adds nothing, and never overwrites a note.
	if n, err := a.AddLabels(ctx, newcomer, []sqlite.Labels{{URI: posts[2].uri(), Tags: []string{"recipes"}, Note: "other text"}}); err != nil || n != 0 {
		t.Fatalf("AddLabels again = %d, %v; want 0", n, err)
	}
	// Nothing to show yet: carol has no bookmarks archived.
	if hits, err := a.Search(ctx, fedimarks.Query{Account: newcomer, Tags: []string{"recipes"}}); err != nil || len(hits) != 0 {
		t.Fatalf("before backup: %v, %v", uris(hits), err)
	}
	run, err := a.StartRun(ctx, newcomer, false, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SavePage(ctx, run, []fedimarks.Status{posts[2].status(t)}, "", base); err != nil {
		t.Fatal(err)
	}
	hits, err := a.Search(ctx, fedimarks.Query{Account: newcomer, Text: "old account"})
	if err != nil || len(hits) != 1 || hits[0].Bookmark.Note != "from the old account" || !slices.Equal(hits[0].Bookmark.Tags, []string{"recipes"}) {
		t.Fatalf("after backup: %v, %v", hits, err)
	}
}
