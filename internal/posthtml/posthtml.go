// Package posthtml turns the untrusted HTML of a post's content into what
// fedimarks shows and indexes: sanitized HTML for pages (Sanitize) and plain
// text for search, Markdown and titles (Text, Links).
//
// Mastodon's markup is small and regular: paragraphs, line breaks, links
// (mentions and hashtags are links with classes, long links hide their
// scheme and tail in span.invisible), and since 4.x some formatting from
// remote servers. Everything else is dropped.
package posthtml

import (
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/fedimarks/fedimarks"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

// newPolicy returns the sanitizing policy: Mastodon's formatting elements,
// links with http(s) targets only (opened in a new tab, no referrer, no
// follow), Mastodon's link classes, and nothing that runs or fetches.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "strong", "b", "em", "i", "u", "del", "s",
		"code", "pre", "blockquote", "ul", "ol", "li", "sub", "sup", "h1", "h2", "h3", "h4", "h5")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	// Only Mastodon's own classes (Sanitize has dropped every other
	// token); the pattern refuses anything else outright, as a second
	// fence.
	p.AllowAttrs("class").Matching(classPattern).OnElements("a", "span")
	p.AllowAttrs("start", "reversed").OnElements("ol")
	p.AllowAttrs("value").Matching(bluemonday.Integer).OnElements("li")
	return p
}

// allowedClasses are the classes Mastodon's markup uses: mentions and
// hashtags (mention, hashtag, u-url, h-card) and the parts of long links it
// hides or cuts (invisible, ellipsis). A post may carry no other class, so
// that it cannot take on the look of the page around it.
var allowedClasses = map[string]bool{
	"mention": true, "hashtag": true, "u-url": true, "h-card": true, "invisible": true, "ellipsis": true,
}

// classPattern matches a class attribute made only of allowed classes.
var classPattern = regexp.MustCompile(`^(?:mention|hashtag|u-url|h-card|invisible|ellipsis)(?: (?:mention|hashtag|u-url|h-card|invisible|ellipsis))*$`)

// Sanitize returns html with everything removed that could run code, load
// anything, or link anywhere but http(s), and with only Mastodon's classes
// (mention, hashtag, u-url, h-card, invisible, ellipsis) kept; control
// characters (HTML has no use for them) and bidirectional overrides become
// spaces or go (fedimarks.CleanLines). Safe for concurrent use.
func Sanitize(s string) string {
	policyOnce.Do(func() { policy = newPolicy() })
	return policy.Sanitize(filterClasses(fedimarks.CleanLines(s)))
}

// filterClasses rewrites every class attribute of s to its allowed
// classes, dropping the attribute when none is left. Everything else is
// passed on as the tokenizer read it, for the policy to judge.
func filterClasses(s string) string {
	if !strings.Contains(s, "class") {
		return s
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.Write(z.Raw())
			continue
		}
		tok := z.Token()
		attrs := tok.Attr[:0]
		for _, a := range tok.Attr {
			if a.Namespace == "" && a.Key == "class" {
				var keep []string
				for _, c := range strings.Fields(a.Val) {
					if allowedClasses[c] {
						keep = append(keep, c)
					}
				}
				if len(keep) == 0 {
					continue
				}
				a.Val = strings.Join(keep, " ")
			}
			attrs = append(attrs, a)
		}
		tok.Attr = attrs
		b.WriteString(tok.String())
	}
	return b.String()
}

// Text returns the plain text of a post's HTML: paragraphs separated by a
// blank line, <br> as a newline, list items on their own lines, mentions as
// @user, hashtags as #tag, a link whose text is its address (Mastodon
// shortens long ones) as its full target, and any other link as
// "text (target)". Entities are decoded. Invalid HTML is
// read as leniently as a browser would.
func Text(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, n := range nodes {
		writeText(&b, n)
	}
	return tidy(b.String())
}

// Links returns the targets of the post's links that are neither mentions
// nor hashtags, in order, without repeats.
func Links(s string) []string {
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			href := attr(n, "href")
			if isWebURL(href) && !isMentionOrTag(n) && !seen[href] {
				seen[href] = true
				out = append(out, href)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return out
}

func writeText(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(n.Data)
		return
	case html.ElementNode:
	default:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			writeText(b, c)
		}
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Head:
		return
	case atom.Br:
		b.WriteString("\n")
		return
	case atom.Img:
		if alt := attr(n, "alt"); alt != "" {
			b.WriteString(alt)
		}
		return
	case atom.A:
		visible := innerText(n)
		href := attr(n, "href")
		switch {
		case isMentionOrTag(n) || !isWebURL(href):
			b.WriteString(visible)
		case visible == "" || looksLikeShortened(n, visible, href):
			b.WriteString(href)
		default:
			b.WriteString(visible)
			b.WriteString(" (" + href + ")")
		}
		return
	case atom.Li:
		b.WriteString("\n- ")
		children(b, n)
		return
	case atom.P, atom.Div, atom.Blockquote, atom.Pre, atom.Ul, atom.Ol, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		b.WriteString("\n\n")
		children(b, n)
		b.WriteString("\n\n")
		return
	}
	children(b, n)
}

func children(b *strings.Builder, n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeText(b, c)
	}
}

// innerText is the text of n's subtree, including Mastodon's
// span.invisible parts (the scheme and tail of long links).
func innerText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// looksLikeShortened reports whether a link's visible text is its target
// written out, so that the target alone says it all: Mastodon marked it
// so (span.invisible or span.ellipsis inside), or the text looks like an
// address (it has a dot or a slash), names the target's whole host, and
// is the start of the target (perhaps without scheme or www., perhaps cut
// short with an ellipsis). Any other text ("docs", "ok") is kept.
func looksLikeShortened(n *html.Node, visible, href string) bool {
	if hasShortenedMarks(n) {
		return true
	}
	v := strings.TrimSuffix(strings.TrimSuffix(visible, "…"), "...")
	if !strings.ContainsAny(v, "./") {
		return false
	}
	u, err := url.Parse(href)
	if err != nil || u.Hostname() == "" {
		return false
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	h := strings.ToLower(href)
	v = strings.ToLower(v)
	for _, p := range []string{"https://", "http://"} {
		v = strings.TrimPrefix(v, p)
		h = strings.TrimPrefix(h, p)
	}
	v = strings.TrimPrefix(v, "www.")
	h = strings.TrimPrefix(h, "www.")
	return strings.HasPrefix(v, host) && strings.HasPrefix(h, v)
}

// hasShortenedMarks reports whether n holds Mastodon's marks of a
// shortened link: a span of class invisible or ellipsis.
func hasShortenedMarks(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Span {
			for _, cl := range strings.Fields(attr(c, "class")) {
				if cl == "invisible" || cl == "ellipsis" {
					return true
				}
			}
		}
		if hasShortenedMarks(c) {
			return true
		}
	}
	return false
}

func isMentionOrTag(n *html.Node) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == "mention" || c == "hashtag" || c == "u-url" {
			return true
		}
	}
	if rel := attr(n, "rel"); strings.Contains(rel, "tag") {
		return true
	}
	t := innerText(n)
	return strings.HasPrefix(t, "@") || strings.HasPrefix(t, "#")
}

func isWebURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// tidy trims each line's trailing spaces, turns non-breaking spaces into
// spaces, and keeps at most one blank line between paragraphs.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(s, "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if strings.TrimSpace(l) == "" {
			blank++
			continue
		}
		if len(out) > 0 && blank > 0 {
			out = append(out, "")
		}
		blank = 0
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
