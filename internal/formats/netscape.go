package formats

import (
	"bufio"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

func init() {
	Register(Format{
		Name:        "netscape",
		Description: "Netscape bookmark file, as browsers, linkding, Pinboard and Raindrop import",
		Extension:   ".html",
		MediaType:   "text/html; charset=utf-8",
		New: func(w io.Writer, _ Meta) Encoder {
			return &netscapeEncoder{w: bufio.NewWriter(w)}
		},
	})
}

// netscapeTitleLen and netscapeTextLen bound the title and the DD text, in
// characters: a title is a line in a list, the DD a preview.
const (
	netscapeTitleLen = 80
	netscapeTextLen  = 500
)

// netscapeEncoder writes the Netscape bookmark file: one DT/A per post with
// HREF (the post's web address), ADD_DATE (the post's time in Unix seconds:
// servers do not say when a bookmark was made), PRIVATE="1" for a
// followers-only or direct post, TAGS (its hashtags) and a
// title "Author: start of the text", then a DD with the start of the text
// on one line. Everything is escaped; a post with no http(s) address is
// left out, since an entry must link somewhere safe.
type netscapeEncoder struct {
	w       *bufio.Writer
	started bool
	err     stickyErr
	closed  bool
}

const netscapeHead = `<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
`

func (e *netscapeEncoder) start() {
	if !e.started {
		e.started = true
		_, err := e.w.WriteString(netscapeHead)
		e.err.set(err)
	}
}

func (e *netscapeEncoder) Encode(b fedimarks.Bookmark) error {
	if err := begin(e.closed, e.start, &e.err); err != nil {
		return err
	}
	s := b.Status.Original()
	link := s.WebLink()
	if link == "" {
		return nil
	}
	text := oneLineText(posthtml.Text(s.Content))
	w := e.w
	attr := func(name, value string) {
		w.WriteString(" " + name + `="`)
		w.WriteString(html.EscapeString(value))
		w.WriteString(`"`)
	}
	w.WriteString(`    <DT><A`)
	attr("HREF", link)
	if !s.CreatedAt.IsZero() {
		attr("ADD_DATE", strconv.FormatInt(s.CreatedAt.Unix(), 10))
	}
	if s.Private() {
		// Pinboard's attribute, which linkding, Raindrop and others read:
		// the bookmark is not to be shared.
		attr("PRIVATE", "1")
	}
	if tags := netscapeTags(b, s.Tags); len(tags) > 0 {
		attr("TAGS", strings.Join(tags, ","))
	}
	if len(b.Tags) > 0 {
		attr("FEDIMARKS_TAGS", strings.Join(netscapeTags(b, nil), ","))
	}
	if b.Note != "" {
		attr("FEDIMARKS_NOTE", b.Note)
	}
	w.WriteString(`>`)
	w.WriteString(html.EscapeString(netscapeTitle(&s, link, text)))
	w.WriteString("</A>\n")
	if body := netscapeDD(s.SpoilerText, text); body != "" {
		w.WriteString("    <DD>")
		w.WriteString(html.EscapeString(body))
		w.WriteString("\n")
	}
	_, err := w.WriteString("") // bufio.Writer's error is sticky: this reports any above
	return e.err.set(err)
}

// netscapeTitle is an entry's title: "Author: start of the text" (or of
// the content warning), the link when the author has no name.
func netscapeTitle(s *fedimarks.Status, link, text string) string {
	titleText := text
	if cw := oneLineText(s.SpoilerText); cw != "" {
		titleText = "CW: " + cw
	}
	title := oneLineText(displayName(s.Account))
	if title == "" {
		title = link
	}
	if titleText != "" {
		title += ": " + truncate(titleText, netscapeTitleLen)
	}
	return title
}

func (e *netscapeEncoder) Close() error {
	if e.closed {
		return e.err.err
	}
	e.closed = true
	e.start()
	if e.err.err != nil {
		return e.err.err
	}
	e.w.WriteString("</DL><p>\n")
	return e.err.set(e.w.Flush())
}

// netscapeDD is the description: the content warning, then the start of
// the text.
func netscapeDD(cw, text string) string {
	if cw = oneLineText(cw); cw != "" {
		if text == "" {
			return "CW: " + cw
		}
		return truncate("CW: "+cw+" — "+text, netscapeTextLen)
	}
	return truncate(text, netscapeTextLen)
}

// oneLineText collapses every run of white space (line breaks included)
// into one space and drops control characters and bidirectional
// overrides: fedimarks.CleanText, since a bookmark file's text ends up in
// lists and on screens.
func oneLineText(s string) string {
	return fedimarks.CleanText(s)
}

// truncate cuts s to at most n characters, at a word boundary when one is
// near, and marks the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := len(r)
	for i := len(r) - 1; i > len(r)*2/3; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), unicode.IsSpace) + "…"
}
