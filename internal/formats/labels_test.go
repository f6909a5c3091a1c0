package formats

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestLabelsRoundTrip writes bookmarks with local tags and notes in json,
// jsonl and netscape, reads the files back, and checks each row carries
// its tags (without the post's hashtags) and note; markdown and html show
// them, escaped.
func TestLabelsRoundTrip(t *testing.T) {
	bs := nastyBookmarks(t)
	bs[0].Tags, bs[0].Note = []string{"later", "recipes"}, "try with \"less\" sugar,\nand <b>plums</b>"
	bs[1].Tags = []string{"security"} // the post has hashtags xss and a,b"c<d>
	bs[2].Note = "rtl note"
	for _, name := range []string{"json", "jsonl", "netscape"} {
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
			res, err := Read(t.Context(), "export"+f.Extension, &buf)
			if err != nil {
				t.Fatal(err)
			}
			byURI := map[string]int{}
			for i, it := range res.Items {
				byURI[it.URI] = i
			}
			for _, b := range bs {
				s := b.Status.Original()
				key := s.URI
				if name == "netscape" {
					key = s.WebLink()
					if key == "" {
						continue // netscape leaves out posts without an http(s) address
					}
				}
				i, ok := byURI[key]
				if !ok {
					t.Fatalf("%s not read back from:\n%s", key, buf.String())
				}
				it := res.Items[i]
				if !slices.Equal(it.Tags, b.Tags) || it.Note != b.Note {
					t.Errorf("%s: read tags %q note %q, want %q %q", key, it.Tags, it.Note, b.Tags, b.Note)
				}
			}
		})
	}
	var ns bytes.Buffer
	f, _ := Lookup("netscape")
	enc := f.New(&ns, testMeta)
	enc.Encode(bs[1])
	enc.Close()
	if !strings.Contains(ns.String(), `TAGS="security,xss,a b&#34;c&lt;d&gt;"`) {
		t.Errorf("netscape TAGS should list the local tag then the hashtags:\n%s", ns.String())
	}
	for name, want := range map[string][]string{
		"markdown": {"Tags: later, recipes", "> Note: try with \"less\" sugar,", "> and \\<b>plums\\</b>"},
		"html":     {`<p class="tags local">Tags: later, recipes</p>`, "Note: try with &#34;less&#34; sugar,\nand &lt;b&gt;plums&lt;/b&gt;"},
	} {
		f, _ := Lookup(name)
		var buf bytes.Buffer
		enc := f.New(&buf, testMeta)
		enc.Encode(bs[0])
		enc.Close()
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s lacks %q:\n%s", name, w, buf.String())
			}
		}
	}
}
