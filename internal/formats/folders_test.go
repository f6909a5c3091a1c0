package formats

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// TestFolderRoundTrip writes bookmarks with a folder in json and jsonl and
// reads the folder (name and emoji) back; a folder in a file that is not a
// usable name is dropped, the row kept.
func TestFolderRoundTrip(t *testing.T) {
	bs := nastyBookmarks(t)
	bs[0].Folder = &fedimarks.Folder{ID: "AqF1", Name: "Recipes & Food", Emoji: "🍲"}
	bs[1].Folder = &fedimarks.Folder{ID: "AqF2", Name: "Read later"}
	for _, name := range []string{"json", "jsonl"} {
		t.Run(name, func(t *testing.T) {
			f, _ := Lookup(name)
			var buf bytes.Buffer
			enc := f.New(&buf, testMeta)
			for _, b := range bs {
				if err := enc.Encode(b); err != nil {
					t.Fatal(err)
				}
			}
			if err := enc.Close(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "AqF1") {
				t.Errorf("the server's folder id is exported:\n%s", buf.String())
			}
			res, err := Read(t.Context(), "export"+f.Extension, &buf)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]*fedimarks.Folder{}
			for _, it := range res.Items {
				got[it.URI] = it.Folder
			}
			for i, b := range bs {
				g, want := got[b.Status.Original().URI], b.Folder
				switch {
				case want == nil && g != nil:
					t.Errorf("row %d: folder %+v read, none written", i, g)
				case want != nil && (g == nil || g.Name != want.Name || g.Emoji != want.Emoji || g.ID != ""):
					t.Errorf("row %d: folder %+v read, want %q %q", i, g, want.Name, want.Emoji)
				}
			}
		})
	}
	res, err := Read(t.Context(), "in.jsonl", strings.NewReader(
		`{"folder":{"name":"  "},"status":{"uri":"https://a.example/1"}}`+"\n"+
			`{"folder":"Recipes","status":{"uri":"https://a.example/2"}}`+"\n"+
			`{"folder":{"name":"ok\u0007"},"status":{"uri":"https://a.example/3"}}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 3 || res.Items[0].Folder != nil || res.Items[1].Folder != nil || res.Items[2].Folder == nil || res.Items[2].Folder.Name != "ok" {
		t.Errorf("odd folders read as %+v %+v %+v", res.Items[0].Folder, res.Items[1].Folder, res.Items[2].Folder)
	}
}
