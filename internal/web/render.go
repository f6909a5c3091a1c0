package web

import (
	"context"
	"html/template"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	fedimarks "github.com/fedimarks/fedimarks"
)

// handleView is a handle shown so that it breaks only between its user
// and its host, never inside either.
type handleView struct {
	Full, User, Host string // Host with its @, "" when there is none
}

func handleOf(h string) handleView {
	h = strings.TrimPrefix(h, "@")
	user, host, ok := strings.Cut(h, "@")
	v := handleView{Full: h, User: user}
	if ok {
		v.Host = "@" + host
	}
	return v
}

// visMark is the mark of a post for a chosen audience: an icon with its
// words for screen readers (alt) and a tooltip.
type visMark struct{ Icon, Text string }

func visMarkOf(s fedimarks.Status) *visMark {
	switch s.Audience() {
	case fedimarks.VisibilityPrivate:
		return &visMark{Icon: "/static/lock.svg", Text: "Followers only"}
	case fedimarks.VisibilityDirect:
		return &visMark{Icon: "/static/envelope.svg", Text: "Direct message"}
	}
	return nil
}

// timeText shows t in loc with its zone: "2024-03-01 13:00 CET".
func timeText(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(fedimarks.TimeLayout + " MST")
}

// bookmarkHistory is what the page may ask an archive about its backups
// (*sqlite.Archive answers); an archive without it shows no bookmark
// dates.
type bookmarkHistory interface {
	// FirstBackup is when the first finished backup of h ended (zero:
	// none did).
	FirstBackup(ctx context.Context, h fedimarks.Handle) (time.Time, error)
}

// bookmarkedSince returns the time after which a bookmark's FirstSeen
// says by when it was made: the end of h's first backup. Before it, a
// bookmark may be of any time; with no answer, the zero time means none
// is shown.
func (s *Server) bookmarkedSince(ctx context.Context, h fedimarks.Handle) time.Time {
	bh, ok := s.archive.(bookmarkHistory)
	if !ok {
		return time.Time{}
	}
	t, err := bh.FirstBackup(ctx, h)
	if err != nil || t.IsZero() {
		return time.Time{}
	}
	return t
}

// matchedWords returns the words a search snippet marks, lower-cased.
func matchedWords(snippet string) map[string]bool {
	words := map[string]bool{}
	for _, f := range fedimarks.Fragments(snippet) {
		if f.Match {
			for _, w := range strings.FieldsFunc(f.Text, notWordRune) {
				words[strings.ToLower(w)] = true
			}
		}
	}
	return words
}

// notWordRune tells the runes between words, as the search index splits
// text (letters, digits and marks make words).
func notWordRune(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r))
}

// markText splits s into fragments, the words of words marked, and
// returns how many it marked.
func markText(s string, words map[string]bool) ([]fedimarks.Fragment, int) {
	var out []fedimarks.Fragment
	marked := 0
	add := func(text string, match bool) {
		if text == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Match == match {
			out[n-1].Text += text
			return
		}
		out = append(out, fedimarks.Fragment{Text: text, Match: match})
	}
	rest := s
	for len(words) > 0 && rest != "" {
		start := strings.IndexFunc(rest, func(r rune) bool { return !notWordRune(r) })
		if start < 0 {
			break
		}
		end := strings.IndexFunc(rest[start:], notWordRune)
		if end < 0 {
			end = len(rest) - start
		}
		word := rest[start : start+end]
		if words[strings.ToLower(word)] {
			add(rest[:start], false)
			add(word, true)
			marked++
		} else {
			add(rest[:start+end], false)
		}
		rest = rest[start+end:]
	}
	add(rest, false)
	return out, marked
}

// markHTML marks the words of words in the text of safe, HTML that
// posthtml.Sanitize made, and returns it with how many it marked. Only
// text nodes change (each marked word goes into a <mark>); the rest is
// written back as parsed, so the result is as safe as its input.
func markHTML(safe string, words map[string]bool) (template.HTML, int) {
	if len(words) == 0 {
		return template.HTML(safe), 0
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(safe), ctx)
	if err != nil {
		return template.HTML(safe), 0
	}
	marked := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.TextNode {
				frags, k := markText(c.Data, words)
				if k > 0 {
					marked += k
					for _, f := range frags {
						t := &html.Node{Type: html.TextNode, Data: f.Text}
						if f.Match {
							m := &html.Node{Type: html.ElementNode, Data: "mark", DataAtom: atom.Mark}
							m.AppendChild(t)
							t = m
						}
						n.InsertBefore(t, c)
					}
					n.RemoveChild(c)
				}
			} else {
				walk(c)
			}
			c = next
		}
	}
	var b strings.Builder
	for _, n := range nodes {
		root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
		root.AppendChild(n)
		walk(root)
		for c := root.FirstChild; c != nil; c = c.NextSibling {
			if err := html.Render(&b, c); err != nil {
				return template.HTML(safe), 0
			}
		}
	}
	return template.HTML(b.String()), marked
}
