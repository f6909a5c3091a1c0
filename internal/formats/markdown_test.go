package formats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/net/html"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

// markdownPosts are post texts (as servers send them, HTML) full of what
// Markdown would read as syntax, and of what it would not but a careless
// writer escapes anyway.
var markdownPosts = []string{
	`<p>*star* and _under_ and **bold** and __also__, but 2 * 3 = 6, snake_case_name, a_b and file*name</p>`,
	`<p>#hashtag at the start<br># heading-like<br>## two<br>###### six<br>####### seven</p>`,
	`<p>[not a link](https://evil.example) and [brackets] alone and ![img](https://evil.example/y.png) and [x][y]</p>`,
	"<p>use `code` and ``double`` here<br>a lone ` tick</p>",
	`<p>see https://example.org/a_b_(c)?x=1&amp;y=*2*, and https://example.org/~user/. Also (https://example.org/p).</p>`,
	`<p>- dash item<br>+ plus<br>* star item<br>1. one<br>2) two<br>2024. A year<br>1.5 litres<br>&gt; quote<br>---<br>***<br>_ _ _<br>===<br>--</p>`,
	`<p>Tom &amp; Jerry &amp;amp; &amp;#169; &amp;copy; &amp; co</p>`,
	`<p>&lt;b&gt;html&lt;/b&gt; &lt;https://autolink.example&gt; &lt;mail@example.org&gt; a &lt; b &gt; c &lt;3 &lt;!-- c --&gt;</p>`,
	`<p>| a | b |<br>|---|:--|<br>| 1 | 2 |</p>`,
	`<p>~~strike~~ ~one~ and ~/home and a ~ b</p>`,
	`<p>back\slash \* and a trailing backslash\<br>next line</p>`,
	"<p>```<br>fenced<br>```<br>~~~<br>also</p>",
	`<p>[ref]: https://evil.example<br>[ref]</p>`,
	`<p>    indented code<br>	tabbed</p><p>second paragraph (with parens) and it's {braces} ! | pipe. Ça va? مرحبا</p>`,
}

// renderMarkdown renders md as GitHub does (CommonMark with tables,
// strikethrough, autolinked URLs and task lists) and parses the HTML.
func renderMarkdown(t *testing.T, md string) *html.Node {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&out)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// textOf is the text of n as a reader sees it: <br> a line break,
// paragraphs apart by a blank line.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			// A line break in the HTML source is a space on the page.
			b.WriteString(strings.ReplaceAll(n.Data, "\n", " "))
		case n.Type == html.ElementNode && n.Data == "br":
			b.WriteString("\n")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && n.Data == "p" {
			b.WriteString("\n\n")
		}
	}
	walk(n)
	return b.String()
}

// normalize trims each line: Markdown drops the spaces around a line.
func normalize(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

// TestMarkdownRendersAsText: each post's text, rendered by a real
// CommonMark+GFM renderer, reads exactly as the post (no emphasis, code,
// heading, list, quote, rule, table, strikethrough, HTML or link of the
// post's making; its URLs stay whole), and the Markdown itself is plain
// text: nothing escaped that would not have changed the rendering.
func TestMarkdownRendersAsText(t *testing.T) {
	for i, content := range markdownPosts {
		raw, _ := json.Marshal(map[string]any{"id": fmt.Sprint(i + 1), "uri": fmt.Sprintf("https://example.social/users/a/statuses/%d", i+1),
			"url": fmt.Sprintf("https://example.social/@a/%d", i+1), "content": content, "visibility": "public",
			"account": map[string]any{"acct": "a", "username": "a", "display_name": "A_b *c* [d](https://e.example)", "url": "https://example.social/@a"}})
		s, err := fedimarks.ParseStatus(raw)
		if err != nil {
			t.Fatal(err)
		}
		md := string(export(t, "markdown", []fedimarks.Bookmark{{Account: "me@example.social", Status: s}}))
		doc := renderMarkdown(t, md)

		var items []*html.Node
		var check func(*html.Node)
		check = func(n *html.Node) {
			if n.Type == html.CommentNode {
				t.Errorf("post %d: raw HTML in the output: <!--%s-->\n%s", i, n.Data, md)
			}
			if n.Type == html.ElementNode {
				switch n.Data {
				case "html", "head", "body", "h1", "ul", "p", "br", "strong":
				case "li":
					items = append(items, n)
				case "a":
					href := ""
					for _, a := range n.Attr {
						if a.Key == "href" {
							href = a.Val
						}
					}
					// GitHub links bare e-mail addresses and www.
					// names: the text still reads the same.
					if txt := textOf(n); txt != "original" && txt != href && !strings.HasSuffix(href, ":"+txt) && href != "http://"+txt {
						t.Errorf("post %d: a link %q to %q made by the post's text\n%s", i, txt, href, md)
					}
				default:
					t.Errorf("post %d: <%s> %q rendered\n%s", i, n.Data, textOf(n), md)
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				check(c)
			}
		}
		check(doc)
		if len(items) != 1 {
			t.Fatalf("post %d: %d list items, want 1\n%s", i, len(items), md)
		}
		// The item: a header paragraph, then the text.
		var paras []string
		for c := items[0].FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "p" {
				paras = append(paras, textOf(c))
			}
		}
		if len(paras) < 2 {
			t.Fatalf("post %d: %d paragraphs\n%s", i, len(paras), md)
		}
		if want := "A_b *c* [d](https://e.example) (@a@example.social)"; !strings.HasPrefix(paras[0], want) {
			t.Errorf("post %d: the header reads %q, want it to start %q", i, paras[0], want)
		}
		if got, want := normalize(strings.Join(paras[1:], "")), normalize(posthtml.Text(content)); got != want {
			t.Errorf("post %d renders as\n%s\nwant\n%s\nmarkdown:\n%s", i, got, want, md)
		}
	}
}

// TestMarkdownPlain: text that Markdown would not change is written as it
// is, and what it would change carries as few escapes as need be.
func TestMarkdownPlain(t *testing.T) {
	for in, want := range map[string]string{
		"plain words, (parens) {braces} it's ok!": "plain words, (parens) {braces} it's ok!",
		"snake_case_name and 2 * 3 and a ~ b":     "snake_case_name and 2 * 3 and a ~ b",
		"Tom & Jerry":                             "Tom & Jerry",
		"#hashtag first":                          "#hashtag first",
		"# heading":                               `\# heading`,
		"version 1.2 and 1.5 litres":              "version 1.2 and 1.5 litres",
		"12. item":                                `12\. item`,
		"- item":                                  `\- item`,
		"-5 degrees":                              "-5 degrees",
		"*star*":                                  `\*star\*`,
		"[brackets] alone":                        "[brackets] alone",
		"[a](javascript:x)":                       `[a\](javascript:x)`,
		"&amp; &#169;":                            `\&amp; \&#169;`,
		"<b>x</b> a < b":                          `\<b>x\</b> a < b`,
		"see https://example.org/a_b_(c)?d=*e*.":  "see <https://example.org/a_b_(c)?d=*e>\\*.",
		"(https://example.org/p)":                 "(<https://example.org/p>)",
		"a `tick` b":                              "a \\`tick\\` b",
		"a lone ` tick":                           "a lone ` tick",
		`back\slash and \*`:                       `back\slash and \\\*`,
		"ends with a backslash\\":                 `ends with a backslash\\`,
		"| a | b |":                               "| a | b |",
		"|---|:--|":                               `\|---\|:--\|`,
		"mid - dash # and 1.":                     "mid - dash # and 1.",
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}
