package formats

import (
	"bufio"
	"io"
	"strings"
	"unicode"

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
// content warning and the text, indented under the item. Post text stays
// plain text a person reads as written: only what a CommonMark or GitHub
// renderer would read as syntax is escaped (mdEscape), so it cannot make
// links, images, HTML, emphasis, code, headings, quotes, lists or tables,
// and its http(s) URLs become autolinks.
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
	if h := s.AuthorHandle(fedimarks.Handle(b.Account).Host()); h != "" {
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
// the paragraph is a hard break (a backslash, or two spaces after a line
// that ends with one), as in the post.
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
				if strings.HasSuffix(l, "\\") {
					// After an escaped backslash, some renderers
					// (goldmark) miss a backslash break.
					e.w.WriteString("  ")
				} else {
					e.w.WriteString("\\")
				}
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

// mdEscape escapes, in one line of text, what a CommonMark or GitHub
// Markdown renderer would read as syntax, and nothing else: the line stays
// plain text that reads as it was written, and renders as just that text.
// http(s) URLs are written as autolinks (<https://...>), inside which
// nothing is read as syntax.
func mdEscape(s string) string {
	return mdLine(s, mdPairedTicks([]string{s}))
}

// mdEscapeBlock escapes multi-line text, one paragraph (lines apart by a
// blank line) at a time; the spaces around each line are dropped, since
// four leading ones would start a code block and two trailing ones a line
// break.
func mdEscapeBlock(text string) string {
	paras := strings.Split(text, "\n\n")
	for i, p := range paras {
		lines := strings.Split(p, "\n")
		for j, l := range lines {
			lines[j] = strings.TrimSpace(oneLineKeep(l))
		}
		ticks := mdPairedTicks(lines)
		for j, l := range lines {
			lines[j] = mdLine(l, ticks)
		}
		paras[i] = strings.Join(lines, "\n")
	}
	return strings.Join(paras, "\n\n")
}

// mdPairedTicks returns the lengths of the backtick runs that occur more
// than once in a paragraph: a run opens a code span only when a run of the
// same length closes it.
func mdPairedTicks(lines []string) map[int]bool {
	seen := map[int]int{}
	for _, l := range lines {
		for i := 0; i < len(l); {
			if l[i] != '`' {
				i++
				continue
			}
			j := i
			for j < len(l) && l[j] == '`' {
				j++
			}
			seen[j-i]++
			i = j
		}
	}
	paired := map[int]bool{}
	for n, c := range seen {
		if c > 1 {
			paired[n] = true
		}
	}
	return paired
}

// mdLine escapes one line (see mdEscape); ticks are the backtick run
// lengths that pair up in its paragraph.
func mdLine(l string, ticks map[int]bool) string {
	r := []rune(l)
	if len(r) == 0 {
		return l
	}
	at := mdLineStart(r)
	delimRow := mdDelimiterRow(l)
	var b strings.Builder
	b.Grow(len(l) + 8)
	write := func(c rune, escape bool) {
		if escape {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	for i := 0; i < len(r); {
		if n := mdURLAt(r, i); n > 0 {
			b.WriteString("<" + string(r[i:i+n]) + ">")
			i += n
			continue
		}
		c := r[i]
		if c == '*' || c == '_' || c == '~' || c == '`' {
			j := i
			for j < len(r) && r[j] == c {
				j++
			}
			escape := i == at || mdRunMarks(r, i, j, ticks)
			for ; i < j; i++ {
				write(c, escape)
			}
			continue
		}
		write(c, i == at || mdMarks(r, i, delimRow))
		i++
	}
	return b.String()
}

// mdRunMarks reports whether the run r[i:j] of one of * _ ~ ` would be
// read as markup: backticks as many as a code span in the text has, the
// others as emphasis delimiters.
func mdRunMarks(r []rune, i, j int, ticks map[int]bool) bool {
	if r[i] == '`' {
		return ticks[j-i]
	}
	return mdDelimiter(r, i, j)
}

// mdMarks reports whether the character r[i] would be read as markup
// where it stands: a backslash escaping punctuation or breaking the line,
// the "]" closing a link, a "<" opening a tag or an autolink, an "&"
// starting an entity, a "|" in a table's delimiter row.
func mdMarks(r []rune, i int, delimRow bool) bool {
	switch r[i] {
	case '\\':
		return i+1 == len(r) || mdASCIIPunct(r[i+1])
	case ']':
		// "](" and "][" close a link or an image.
		return i+1 < len(r) && (r[i+1] == '(' || r[i+1] == '[')
	case '<':
		return mdTagOrAutolink(r, i)
	case '&':
		return mdEntity(r[i:])
	case '|':
		return delimRow
	}
	return false
}

// mdLineStart returns the index of the rune to escape so that the line
// does not start a block: a heading (#), a quote (>), a list item (- + *
// or 1. 1) followed by a space), a rule or a heading underline (--- *** _ _
// === --), a code fence (``` ~~~) or a link reference definition
// ([label]:). It returns -1 for a line that starts none.
func mdLineStart(r []rune) int {
	spaceAfter := func(i int) bool { return i >= len(r) || r[i] == ' ' || r[i] == '\t' }
	switch r[0] {
	case '>':
		return 0
	case '#':
		n := 0
		for n < len(r) && r[n] == '#' {
			n++
		}
		if n <= 6 && spaceAfter(n) {
			return 0
		}
	case '-', '+', '*':
		if spaceAfter(1) {
			return 0
		}
	case '[':
		if i := strings.Index(string(r), "]:"); i > 0 {
			return 0
		}
	}
	switch r[0] {
	case '-', '*', '_', '=':
		// A rule (three or more, spaces between allowed) or a heading
		// underline (= or - only, any number).
		n, other := 0, false
		for _, c := range r {
			switch {
			case c == r[0]:
				n++
			case c == ' ' || c == '\t':
			default:
				other = true
			}
		}
		if !other && (n >= 3 || r[0] == '=' || r[0] == '-') {
			return 0
		}
	case '`', '~':
		if len(r) >= 3 && r[1] == r[0] && r[2] == r[0] {
			return 0
		}
	}
	i := 0
	for i < len(r) && i < 9 && r[i] >= '0' && r[i] <= '9' {
		i++
	}
	if i > 0 && i < len(r) && (r[i] == '.' || r[i] == ')') && spaceAfter(i+1) {
		return i
	}
	return -1
}

// mdDelimiter reports whether the run r[i:j] of * _ or ~ could open or
// close emphasis or strikethrough (CommonMark's flanking rules; line ends
// count as spaces).
func mdDelimiter(r []rune, i, j int) bool {
	before, after := ' ', ' '
	if i > 0 {
		before = r[i-1]
	}
	if j < len(r) {
		after = r[j]
	}
	space := func(c rune) bool { return unicode.IsSpace(c) }
	punct := func(c rune) bool { return unicode.IsPunct(c) || unicode.IsSymbol(c) }
	left := !space(after) && (!punct(after) || space(before) || punct(before))
	right := !space(before) && (!punct(before) || space(after) || punct(after))
	if r[i] != '_' {
		return left || right
	}
	// An underscore inside a word does neither.
	return left && (!right || punct(before)) || right && (!left || punct(after))
}

// mdURLAt returns the length of the http(s) URL starting at r[i], or 0.
// A URL starts a word and ends before white space, < > " or `, and before
// trailing punctuation that likely ends the sentence (. , : ; ! ? ' * _ ~
// and a closing bracket that was not opened in it), as GitHub decides.
func mdURLAt(r []rune, i int) int {
	if i > 0 && (unicode.IsLetter(r[i-1]) || unicode.IsDigit(r[i-1])) {
		return 0
	}
	rest := strings.ToLower(string(r[i:min(len(r), i+8)]))
	var scheme int
	switch {
	case strings.HasPrefix(rest, "https://"):
		scheme = 8
	case strings.HasPrefix(rest, "http://"):
		scheme = 7
	default:
		return 0
	}
	j := i + scheme
	for j < len(r) && !unicode.IsSpace(r[j]) && !isControl(r[j]) && !strings.ContainsRune("<>\"`", r[j]) {
		j++
	}
	for j > i+scheme {
		c := r[j-1]
		if strings.ContainsRune(".,:;!?'*_~", c) {
			j--
			continue
		}
		if open, ok := map[rune]rune{')': '(', ']': '['}[c]; ok {
			u := string(r[i:j])
			if strings.Count(u, string(c)) > strings.Count(u, string(open)) {
				j--
				continue
			}
		}
		break
	}
	if j == i+scheme {
		return 0
	}
	return j - i
}

// mdTagOrAutolink reports whether the < at r[i] could start HTML (a tag,
// a closing tag, a comment, a declaration) or an autolink (<scheme:...>,
// <name@host>).
func mdTagOrAutolink(r []rune, i int) bool {
	if i+1 >= len(r) {
		return false
	}
	c := r[i+1]
	if c < 128 && (unicode.IsLetter(c) || strings.ContainsRune("/!?", c)) {
		return true
	}
	if end := strings.IndexRune(string(r[i+1:]), '>'); end > 0 {
		inner := string(r[i+1:])[:end]
		return strings.Contains(inner, "@") && !strings.ContainsAny(inner, " \t<")
	}
	return false
}

// mdEntity reports whether s starts with an HTML entity or numeric
// character reference (&amp; &#169; &#xA9;), which Markdown decodes.
func mdEntity(r []rune) bool {
	s := string(r[1:min(len(r), 40)])
	semi := strings.IndexByte(s, ';')
	if semi < 1 {
		return false
	}
	name := s[:semi]
	if strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X") {
		return len(name) > 2 && len(name) <= 8 && strings.Trim(name[2:], "0123456789abcdefABCDEF") == ""
	}
	if strings.HasPrefix(name, "#") {
		return len(name) > 1 && len(name) <= 8 && strings.Trim(name[1:], "0123456789") == ""
	}
	return strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "" &&
		unicode.IsLetter(rune(name[0]))
}

// mdDelimiterRow reports whether a line could be the delimiter row under
// a table's header (|---|:--|): only pipes, dashes, colons and spaces.
func mdDelimiterRow(l string) bool {
	return strings.Contains(l, "-") && strings.Contains(l, "|") && strings.Trim(l, "|-: \t") == ""
}

// mdASCIIPunct reports whether a backslash before c would escape it.
func mdASCIIPunct(c rune) bool {
	return c < 128 && (unicode.IsPunct(c) || unicode.IsSymbol(c))
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
