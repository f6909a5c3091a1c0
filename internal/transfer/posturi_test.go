package transfer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// TestFailuresNameResolvedPostsByURI: rows read as web addresses (the
// three-column CSV gives only the post's URL) whose post the destination
// found but did not bookmark are written to the failures file as the
// post's URI, which Mastodon's importer wants; a row the search found
// nothing for keeps its address. The URI is kept in the archive: a rerun
// from a reopened file writes the same failures file.
func TestFailuresNameResolvedPostsByURI(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	refused := d.add(&post{uri: "https://a.example/users/a/statuses/1", url: "https://a.example/@a/1"})
	odd := d.add(&post{uri: "https://a.example/users/a/statuses/2", url: "https://a.example/@a/2"})
	fine := d.add(&post{uri: "https://a.example/users/a/statuses/3", url: "https://a.example/@a/3"})
	gone := "https://a.example/@a/404"
	d.before = func(kind, arg string) error {
		switch {
		case kind == "bookmark" && arg == refused.localID:
			return &apiErr{403, "This action is not allowed"}
		case kind == "bookmark" && arg == odd.localID:
			return &apiErr{422, "Validation failed"}
		}
		return nil
	}
	var items []fedimarks.ImportItem
	for i, u := range []string{refused.url, odd.url, gone, fine.url} {
		items = append(items, fedimarks.ImportItem{URI: u, Source: "links.csv", Order: i})
	}
	path := filepath.Join(t.TempDir(), "archive.db")
	dir := t.TempDir()
	r := req(items)
	want := gone + "\n" + odd.uri + "\n" + refused.uri + "\n" // newest bookmark first

	ar, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runReported(ctx, newImporter(d, ar), r, dir)
	ar.Close()
	if err == nil {
		t.Fatal("three rows failed, and no error")
	}
	got := outcomesByURI(rep.Items)
	if got[refused.url] != fedimarks.NotVisible || got[odd.url] != fedimarks.Failed || got[gone] != fedimarks.NotFound || got[fine.url] != fedimarks.Imported {
		t.Fatalf("outcomes %v", got)
	}
	if b, _ := os.ReadFile(rep.FailuresPath); string(b) != want {
		t.Errorf("failures file:\n%s\nwant:\n%s", b, want)
	}

	ar, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	if err := os.Remove(rep.FailuresPath); err != nil {
		t.Fatal(err)
	}
	rep, _ = runReported(ctx, newImporter(d, ar), r, dir)
	if b, _ := os.ReadFile(rep.FailuresPath); string(b) != want {
		t.Errorf("failures file of the rerun:\n%s\nwant:\n%s", b, want)
	}
}
