package formats

import (
	"bufio"
	"io"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

func init() {
	Register(Format{
		Name:        "markdown",
		Description: "Markdown: a title, then one list item per post with author, date, link and text",
		Extension:   ".md",
		MediaType:   "text/markdown; charset=utf-8",
		New: func(w io.Writer, meta Meta) Encoder {
			return &markdownEncoder{w: bufio.NewWriter(w), meta: meta}
		},
	})
}

// markdownEncoder writes a Markdown document: a title, then per post a list
// item "**Name** (@user@host) · date · [original](<url>)" followed by the
// content warning and the text, indented under the item. Post text is
// escaped so that it reads as text in any CommonMark renderer: it cannot
// make links, images, HTML, emphasis, headings or list items.
type markdownEncoder struct {
	w       *bufio.Writer
	meta    Meta
	started bool
	err     stickyErr
	closed  bool
}

func (e *markdownEncoder) start() {
	if e.started {
		return
	}
	e.started = true
	title := "Bookmarks"
	if e.meta.Account != "" {
		title = "Bookmarks of " + e.meta.Account
	}
	e.w.WriteString("# " + mdEscape(title) + "\n\n")
	if !e.meta.Generated.IsZero() {
		e.w.WriteString("Exported by fedimarks on " + e.meta.Generated.UTC().Format(displayTime) + ".\n\n")
	}
	_, err := e.w.WriteString("")
	e.err.set(err)
}

func (e *markdownEncoder) Encode(b fedimarks.Bookmark) error {
	if err := begin(e.closed, e.start, &e.err); err != nil {
		return err
	}
	s := b.Status.Original()
	var line strings.Builder
	line.WriteString("- **")
	line.WriteString(mdEscape(oneLineText(displayName(s.Account))))
	line.WriteString("**")
	if h := s.Account.Handle(fedimarks.Handle(b.Account).Host()); h != "" {
		line.WriteString(" (@" + mdEscape(oneLineText(h)) + ")")
	}
	if !s.CreatedAt.IsZero() {
		line.WriteString(" · " + s.CreatedAt.UTC().Format(displayTime))
	}
	if link := s.WebLink(); link != "" {
		line.WriteString(" · [original](<" + mdLinkTarget(link) + ">)")
	}
	if b.RemovedAt != nil {
		line.WriteString(" · removed from bookmarks " + b.RemovedAt.UTC().Format(displayDate))
	}
	e.w.WriteString(line.String())
	e.w.WriteString("\n")
	e.writeLabels(b)
	if cw := strings.TrimSpace(s.SpoilerText); cw != "" {
		e.writeBlock("**CW: " + mdEscape(oneLineText(cw)) + "**")
	}
	if text := posthtml.Text(s.Content); text != "" {
		e.writeBlock(mdEscapeBlock(text))
	}
	for _, m := range s.Media {
		item := mediaLabel(m)
		if u := mediaLink(m); u != "" {
			item = "[" + item + "](<" + mdLinkTarget(u) + ">)"
		}
		if d := oneLineText(m.Description); d != "" {
			item += ": " + mdEscape(d)
		}
		e.writeBlock(item)
	}
	e.writeThread(b)
	_, err := e.w.WriteString("\n")
	return e.err.set(err)
}

// writeBlock writes a paragraph that belongs to the current list item:
// a blank line, then every line indented by two spaces. A line break inside
// the paragraph is a hard break (backslash), as in the post.
func (e *markdownEncoder) writeBlock(text string) {
	e.w.WriteString("\n")
	paras := strings.Split(text, "\n\n")
	for i, p := range paras {
		if i > 0 {
			e.w.WriteString("\n")
		}
		lines := strings.Split(p, "\n")
		for j, l := range lines {
			e.w.WriteString("  ")
			e.w.WriteString(l)
			if j < len(lines)-1 && l != "" {
				e.w.WriteString("\\")
			}
			e.w.WriteString("\n")
		}
	}
}

func (e *markdownEncoder) Close() error {
	if e.closed {
		return e.err.err
	}
	e.closed = true
	e.start()
	if e.err.err != nil {
		return e.err.err
	}
	return e.err.set(e.w.Flush())
}

// mdSpecial are the characters escaped everywhere in text: those that make
// links, images, autolinks, HTML, entities, emphasis, code and tables.
const mdSpecial = "\\`*_[]<>&!|~{}()"

// mdEscape escapes Markdown syntax in one line of text.
func mdEscape(s string) string {
	if !strings.ContainsAny(s, mdSpecial+"#+-.=") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return mdEscapeLineStart(b.String())
}

// mdEscapeLineStart escapes what only matters at the start of a line:
// headings (#), block quotes (> is escaped anyway), list markers (- + and
// "1." "1)"), thematic breaks and setext underlines (= -).
func mdEscapeLineStart(l string) string {
	if l == "" {
		return l
	}
	switch l[0] {
	case '#', '-', '+', '=':
		return "\\" + l
	}
	i := 0
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		i++
	}
	if i > 0 && i < len(l) && (l[i] == '.' || l[i] == ')') {
		return l[:i] + "\\" + l[i:]
	}
	return l
}

// mdEscapeBlock escapes multi-line text line by line; leading spaces are
// dropped, since four of them would start a code block.
func mdEscapeBlock(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = mdEscape(strings.TrimLeft(oneLineKeep(l), " \t"))
	}
	return strings.Join(lines, "\n")
}

// oneLineKeep drops control characters except tab from one line.
func oneLineKeep(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// mdLinkTarget makes an http(s) URL safe inside <...> in a Markdown link:
// no spaces, angle brackets or line breaks.
func mdLinkTarget(u string) string {
	return strings.NewReplacer(" ", "%20", "<", "%3C", ">", "%3E", `"`, "%22", "\n", "", "\r", "", "\\", "%5C").Replace(u)
}
