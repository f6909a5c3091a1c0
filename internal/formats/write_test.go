package formats

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/fedimarks/fedimarks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// export runs format name over bookmarks and returns the output.
func export(t *testing.T, name string, bookmarks []fedimarks.Bookmark) []byte {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("format %q is not registered", name)
	}
	var buf bytes.Buffer
	enc := f.New(&buf, testMeta)
	for _, b := range bookmarks {
		if err := enc.Encode(b); err != nil {
			t.Fatalf("%s: Encode: %v", name, err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatalf("%s: Close: %v", name, err)
	}
	if err := enc.Encode(bookmarks[0]); err == nil {
		t.Errorf("%s: Encode after Close succeeded", name)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	bookmarks := nastyBookmarks(t)
	for _, f := range All() {
		t.Run(f.Name, func(t *testing.T) {
			got := export(t, f.Name, bookmarks)
			path := filepath.Join("testdata", "golden", f.Name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s output differs from %s (go test -update rewrites it after review)\ngot:\n%s", f.Name, path, got)
			}
		})
	}
}

func TestGoldenEmpty(t *testing.T) {
	want := map[string]string{
		"mastodon":    "",
		"csv":         "Bookmark URL,Account URL,Created at\n",
		"json":        "[]\n",
		"jsonl":       "",
		"activitypub": `{"@context":"https://www.w3.org/ns/activitystreams","id":"bookmarks.json","type":"OrderedCollection","totalItems":0,"orderedItems":[]}` + "\n",
		"html":        "<footer><p>0 bookmarks.</p></footer>\n</body>\n</html>\n",
		"netscape":    "<H1>Bookmarks</H1>\n<DL><p>\n</DL><p>\n",
		"markdown":    "# Bookmarks of me@example.social\n\nExported by fedimarks on 2024-03-07 18:00 UTC.\n\n",
	}
	for _, f := range All() {
		var buf bytes.Buffer
		enc := f.New(&buf, testMeta)
		if err := enc.Close(); err != nil {
			t.Fatalf("%s: Close: %v", f.Name, err)
		}
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("no expectation for %s", f.Name)
		}
		if got := buf.String(); got != w && !(strings.HasSuffix(got, w) && (f.Name == "html" || f.Name == "netscape")) {
			t.Errorf("%s of nothing = %q, want %q", f.Name, got, w)
		}
	}
}

func TestRegistry(t *testing.T) {
	names := Names()
	want := []string{"activitypub", "csv", "html", "json", "jsonl", "markdown", "mastodon", "netscape"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", names, want)
	}
	for _, f := range All() {
		if f.Description == "" || !strings.HasPrefix(f.Extension, ".") || f.MediaType == "" {
			t.Errorf("format %s lacks a description, extension or media type: %+v", f.Name, f)
		}
	}
	if f, ok := Lookup(" CSV "); !ok || f.Name != "csv" {
		t.Errorf("Lookup(CSV) = %v, %v", f.Name, ok)
	}
	if _, ok := Lookup("docx"); ok {
		t.Error("Lookup(docx) found a format")
	}
	defer func() {
		if recover() == nil {
			t.Error("registering csv twice did not panic")
		}
	}()
	Register(Format{Name: "csv", New: newCSVEncoder})
}

// failWriter fails every write.
type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrorsReported(t *testing.T) {
	bookmarks := nastyBookmarks(t)
	for _, f := range All() {
		enc := f.New(failWriter{}, testMeta)
		var err error
		for _, b := range bookmarks {
			if e := enc.Encode(b); e != nil {
				err = e
			}
		}
		if e := enc.Close(); e != nil {
			err = e
		}
		if !errors.Is(err, errDiskFull) {
			t.Errorf("%s: a failing writer gave %v, want %v", f.Name, err, errDiskFull)
		}
	}
}

// TestNoXSS parses the HTML exports as a browser would and fails on any
// script, event handler, embedded content or non-http(s) link.
func TestNoXSS(t *testing.T) {
	bookmarks := nastyBookmarks(t)
	for _, name := range []string{"html", "netscape"} {
		out := export(t, name, bookmarks)
		doc, err := html.Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var walk func(n *html.Node)
		links := 0
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "script", "img", "iframe", "object", "embed", "svg", "link", "base", "form":
					t.Errorf("%s: a <%s> element got through", name, n.Data)
				}
				for _, a := range n.Attr {
					k := strings.ToLower(a.Key)
					if strings.HasPrefix(k, "on") {
						t.Errorf("%s: event handler %s=%q on <%s>", name, a.Key, a.Val, n.Data)
					}
					if k == "href" || k == "src" || k == "action" {
						links++
						if !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://") {
							t.Errorf("%s: <%s %s=%q> is not an http(s) link", name, n.Data, a.Key, a.Val)
						}
					}
					if k == "lang" && strings.ContainsAny(a.Val, `" =`) {
						t.Errorf("%s: lang=%q", name, a.Val)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if links < len(bookmarks)-1 {
			t.Errorf("%s: only %d links: the check saw too little", name, links)
		}
		if bytes.Contains(bytes.ToLower(out), []byte("javascript:alert('url')\"")) {
			t.Errorf("%s: the javascript: post URL is in an attribute", name)
		}
	}
}

func TestHTMLPage(t *testing.T) {
	out := string(export(t, "html", nastyBookmarks(t)))
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:">`,
		"<title>Bookmarks of me@example.social</title>",
		"<details>\n<summary dir=\"auto\">سياسة</summary>", // content warning folds the post
		`lang="ar"`,                                 // language kept for the browser
		`Alice &#34;Al&#34;, Smith 🐱`,               // display name escaped, not dropped
		`href="https://md.example/notes/9ab"`,       // a boost shows the original
		`href="https://example.social/media/1.png"`, // media as links
		"5 bookmarks.",
		"removed from bookmarks 2024-03-05",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("html export lacks %q", want)
		}
	}
	// Without local copies (no backup --media), nothing loads.
	if strings.Contains(out, "<img") || strings.Contains(out, `src="`) {
		t.Error("html export loads something without local copies")
	}
	// The sensitive post's media (and only its) fold like Mastodon's.
	if n := strings.Count(out, "<details class=\"sensitive\"><summary>Sensitive media</summary>"); n != 1 {
		t.Errorf("%d sensitive media blocks, want 1 (mallory's post)", n)
	}
	sens := strings.Index(out, "<details class=\"sensitive\">")
	if m := strings.Index(out, "https://evil.example/m.png"); sens < 0 || m < sens {
		t.Error("the sensitive post's media are not folded")
	}
	if cat := strings.Index(out, "https://example.social/media/1.png"); cat > 0 && strings.LastIndex(out[:cat], "<details class=\"sensitive\">") > strings.LastIndex(out[:cat], "</article>") {
		t.Error("media of a post that is not sensitive are folded")
	}
}

// TestMarkdownEscaped checks, with a real CommonMark+GFM renderer, that
// post text cannot make Markdown links, images, HTML, entities or any
// other markup: the only elements are the writer's own (title, list,
// names in bold, links to the original and to media, URLs as autolinks).
func TestMarkdownEscaped(t *testing.T) {
	out := string(export(t, "markdown", nastyBookmarks(t)))
	doc := renderMarkdown(t, out)
	own := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.CommentNode {
			t.Errorf("raw HTML got through: <!--%s-->", n.Data)
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html", "head", "body", "h1", "ul", "li", "p", "br", "strong":
			case "a":
				href := ""
				for _, a := range n.Attr {
					if a.Key == "href" {
						href = a.Val
					}
				}
				if !strings.HasPrefix(href, "https://") && !strings.HasPrefix(href, "http://") && !strings.HasPrefix(href, "mailto:") {
					t.Errorf("a link to %q", href)
				}
				switch txt := textOf(n); txt {
				case "original", "Image", "Video":
					own++
				default:
					if !strings.HasSuffix(href, txt) {
						t.Errorf("a link %q to %q", txt, href)
					}
				}
			default:
				t.Errorf("<%s> %q rendered", n.Data, textOf(n))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if own < 5 {
		t.Fatalf("only %d links of our own found", own)
	}
	text := normalize(textOf(doc))
	for _, want := range []string{
		"[click](javascript:alert(1))",
		"<script>x</script>",
		"# heading\n- item\n1. first\ncode?", // leading spaces dropped: no code block
		"*star* _under_ `tick` | pipe ~tilde~ &amp;",
		"CW: سياسة",
		"(@alice@example.social)",
		"Mark [Down](https://evil)",
		`<script>alert("name")</script><img src=x onerror=alert(5)>`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered markdown lacks %q:\n%s", want, text)
		}
	}
}

func TestNetscapeEntries(t *testing.T) {
	out := string(export(t, "netscape", nastyBookmarks(t)))
	for _, want := range []string{
		"<!DOCTYPE NETSCAPE-Bookmark-file-1>",
		`<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">`,
		`<DT><A HREF="https://example.social/@alice/112233445566778899" ADD_DATE="1709296245">Alice &#34;Al&#34;, Smith 🐱: Hello &#34;world&#34;, it&#39;s me 🎉 second line &amp; more, &lt;b&gt;not bold&lt;/b&gt; See…</A>`,
		`TAGS="xss,a b&#34;c&lt;d&gt;"`,
		`<A HREF="https://evil.example/users/mallory/statuses/1"`, // the javascript: URL replaced by the URI
		"<DD>CW: سياسة — مرحبا",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("netscape export lacks %q", want)
		}
	}
}

func TestJSONKeepsRawStatus(t *testing.T) {
	bookmarks := nastyBookmarks(t)
	out := export(t, "jsonl", bookmarks)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(bookmarks) {
		t.Fatalf("%d lines, want %d", len(lines), len(bookmarks))
	}
	for i, l := range lines {
		var compact bytes.Buffer
		if err := jsonCompact(&compact, bookmarks[i].Status.Raw); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(l, `,"status":`+compact.String()+"}") {
			t.Errorf("line %d does not end with the raw status:\n%s", i+1, l)
		}
	}
	if !strings.Contains(lines[4], `"removed_at":"2024-03-05T07:00:00Z"`) || !strings.Contains(lines[0], `"removed_at":null`) {
		t.Errorf("removed_at wrong:\n%s\n%s", lines[0], lines[4])
	}
}

func TestJSONWithoutRaw(t *testing.T) {
	b := nastyBookmarks(t)[3]
	b.Status.Raw = nil
	b.Status.Reblog.Raw = nil
	out := export(t, "json", []fedimarks.Bookmark{b})
	res, err := Read(t.Context(), "x.json", bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].URI != "https://md.example/notes/9ab" || res.Items[0].AuthorURL != "https://md.example/@md" {
		t.Errorf("a status without raw JSON read back as %+v", res.Items)
	}
}
