package formats

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
)

// Problem is something wrong with one row of an input file: Source names
// the file and the row ("bookmarks.csv:12", "bookmarks.json:item 3"),
// Message says what is wrong. Every item with Invalid set has a Problem of
// the same Source and Message. The one kind of Problem that leaves its row
// valid is a warning about an ignored value (a "Created at" that is not a
// time).
type Problem struct {
	Source  string
	Message string
}

// String is "source: message".
func (p Problem) String() string { return p.Source + ": " + p.Message }

// Result is what a reader found in one input: the Format it recognised (the
// name of the matching writer where there is one: "mastodon", "csv",
// "activitypub", "json", "jsonl", "netscape"), the Items in file order
// (Order gives their age: 0 is the oldest bookmark), and the Problems met
// along the way, in file order.
//
// Encoding is "" for UTF-8, or "UTF-16LE" or "UTF-16BE" for a text file
// saved as UTF-16 with a byte order mark (Windows Notepad's "Unicode"),
// which is read as if it were UTF-8. Mastodon's own importer reads only
// UTF-8: such a file is not ready for it as it is.
type Result struct {
	Format   string
	Encoding string
	Items    []fedimarks.ImportItem
	Problems []Problem
	// rows are the items as the reader kept them (see ReadFileRows);
	// ReadFile and Read join them into Items.
	rows *keptRows
}

// maxLine bounds one line of a line-based file; a longer line is reported
// as a problem and skipped. Post URLs are far shorter; JSON Lines rows (a
// whole status each) may be long.
const (
	maxURLLine  = 64 << 10
	maxJSONLine = 16 << 20
)

// peekSize is how much of an input is looked at to recognise its format.
const peekSize = 1 << 20

// acceptedFormats ends every "unknown shape" error.
const acceptedFormats = `expected Mastodon's bookmarks.csv or bookmarks_failures.csv (one post URL a line), ` +
	`a CSV file with a "Bookmark URL" column, Mastodon's bookmarks.json or account archive (.zip, .tar.gz), ` +
	`Misskey's favorites export, a fedimarks json or jsonl export, or a Netscape bookmarks file`

// unknownShape is the error for an input of no format we read.
func unknownShape(name, why string) error {
	return &fedimarks.Error{
		Code:    fedimarks.EInvalid,
		Message: fmt.Sprintf("%s: %s", name, why),
		Hint:    acceptedFormats,
	}
}

// Read recognises the format of r by its content and reads every row. name
// is used in Sources and messages. Line-based formats are streamed (memory
// grows with the rows kept, not with the file). Gzip and tar.gz archives
// are read as streams; a zip archive must be read whole and is accepted here
// up to 256 MiB (ReadFile has no such limit). An empty input
// or one of no known shape is an error of code fedimarks.EInvalid; a bad
// row is not an error but a Problem. Reading stops with ctx's error once
// ctx is done.
func Read(ctx context.Context, name string, r io.Reader) (Result, error) {
	res, err := read(ctx, name, ctxReader{ctx, r}, 0)
	return res.joined(), ctxError(ctx, name, err)
}

// read is Read with the archive nesting depth, so that an archive inside an
// archive is not opened.
func read(ctx context.Context, name string, r io.Reader, depth int) (Result, error) {
	br := bufio.NewReaderSize(r, peekSize)
	head, err := peek(name, br, 512)
	if err != nil {
		return Result{}, err
	}
	if depth == 0 {
		switch archiveKind(head) {
		case kindZip:
			return readZipStream(ctx, name, br)
		case kindGzip:
			return readGzip(ctx, name, br)
		case kindTar:
			return readTar(ctx, name, br)
		}
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	if enc, bigEndian, ok := utf16BOM(head); ok {
		br.Discard(2)
		res, err := read(ctx, name, &utf16Reader{r: br, bigEndian: bigEndian}, depth+1)
		if err == nil {
			res.Encoding = enc
		}
		return res, err
	}
	head, err = peek(name, br, peekSize)
	if err != nil {
		return Result{}, err
	}
	if err := checkText(name, head); err != nil {
		return Result{}, err
	}
	return readShape(ctx, name, br, head)
}

// peek returns br's next n bytes, fewer at the end of the input.
func peek(name string, br *bufio.Reader, n int) ([]byte, error) {
	head, err := br.Peek(n)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return head, nil
}

// checkText says, from the file's head, why it cannot be a bookmarks
// file: empty, only blank lines, saved as UTF-16 or not text at all.
func checkText(name string, head []byte) error {
	if len(bytes.TrimLeft(head, " \t\r\n")) == 0 {
		if len(head) == 0 {
			return &fedimarks.Error{Code: fedimarks.EInvalid, Message: name + ": the file is empty", Hint: acceptedFormats}
		}
		if len(head) < peekSize {
			return &fedimarks.Error{Code: fedimarks.EInvalid, Message: name + ": the file holds only blank lines", Hint: acceptedFormats}
		}
	}
	if looksUTF16(head) {
		return &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: name + ": saved as UTF-16: save it as UTF-8",
			Hint:    "in Notepad: File > Save As, Encoding UTF-8"}
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return unknownShape(name, "this is not a text file")
	}
	return nil
}

// readShape reads br with the reader its first character names: a JSON
// array, JSON lines or an ActivityPub document, a Netscape HTML file, else
// the text formats.
//
// Line-based formats check each line for UTF-8 and report a bad one as an
// invalid row with its number; a document (JSON, HTML) is one piece,
// checked whole.
func readShape(ctx context.Context, name string, br *bufio.Reader, head []byte) (Result, error) {
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		server := misskeyServerOf(ctx)
		return readDocument(name, br, head, func(name string, br *bufio.Reader) (Result, error) {
			return readJSONArray(name, br, server)
		})
	case len(trimmed) > 0 && trimmed[0] == '{':
		if isJSONLines(trimmed) {
			return readJSONLines(name, br)
		}
		return readDocument(name, br, head, readActivityPub)
	case len(trimmed) > 0 && trimmed[0] == '<':
		if !looksNetscape(head) {
			return Result{}, unknownShape(name, "this HTML file is not a Netscape bookmarks file")
		}
		return readDocument(name, br, head, readNetscape)
	}
	return readCSV(name, br)
}

// readDocument runs a reader of a whole-document format over br, after
// checking that the document is UTF-8 throughout: the head at once, the
// rest as it is read.
func readDocument(name string, br *bufio.Reader, head []byte, read func(string, *bufio.Reader) (Result, error)) (Result, error) {
	if why := notText(head, len(head) < peekSize); why != "" {
		return Result{}, unknownShape(name, why)
	}
	if len(head) < peekSize {
		return read(name, br)
	}
	v := &utf8Reader{r: br}
	res, err := read(name, bufio.NewReaderSize(v, peekSize))
	if v.bad {
		return Result{}, unknownShape(name, fmt.Sprintf("line %d is not UTF-8 (save the file as UTF-8 and try again)", v.line))
	}
	return res, err
}

// utf8Reader passes r through, stopping with an error at the first byte
// sequence that is not UTF-8 (bad set, line its 1-based line).
type utf8Reader struct {
	r     io.Reader
	carry []byte // an incomplete character at the end of the last read
	line  int
	bad   bool
}

var errNotUTF8 = errors.New("not UTF-8")

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.bad {
		return 0, errNotUTF8
	}
	n, err := u.r.Read(p)
	data := p[:n]
	if len(u.carry) > 0 { // rare in text that is mostly ASCII: copy only then
		data = append(u.carry, data...)
	}
	check := data
	u.carry = nil
	if err == nil {
		// Keep back a character cut at the end of this read.
		for i := 1; i <= utf8.UTFMax && i <= len(data); i++ {
			if utf8.RuneStart(data[len(data)-i]) {
				if !utf8.FullRune(data[len(data)-i:]) {
					check = data[:len(data)-i]
					u.carry = append([]byte(nil), data[len(data)-i:]...)
				}
				break
			}
		}
	}
	if !utf8.Valid(check) {
		for len(check) > 0 {
			r, size := utf8.DecodeRune(check)
			if r == utf8.RuneError && size <= 1 {
				break
			}
			if r == '\n' {
				u.line++
			}
			check = check[size:]
		}
		u.line++
		u.bad = true
		return 0, errNotUTF8
	}
	u.line += bytes.Count(check, []byte("\n"))
	return n, err
}

// notLine is the problem of a line that is not UTF-8.
const notLine = "not UTF-8 (save the file as UTF-8)"

// notText says why the start of a file cannot be text, or "": a NUL byte
// (binary data, or UTF-16), or bytes that are not UTF-8 (a character cut at
// the end of the peek is fine unless whole says head is the whole file).
func notText(head []byte, whole bool) string {
	if bytes.IndexByte(head, 0) >= 0 {
		return "this is not a text file"
	}
	if !whole && len(head) > utf8.UTFMax {
		head = head[:len(head)-utf8.UTFMax]
	}
	if !utf8.Valid(head) {
		return "this text is not UTF-8 (save it as UTF-8 and try again)"
	}
	return ""
}

// checkURL returns why s cannot be a post address, or "" if it is an
// absolute http(s) URL.
func checkURL(s string) string {
	if s == "" {
		return "no post URL"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" ||
		strings.ContainsAny(s, " \t\r\n") {
		return quoteShort(s) + " is not an http(s) URL"
	}
	return ""
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 100
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

// collector gathers items and problems as a reader goes. Items are kept in
// chunks and joined once at the end: growing one slice of a million items
// by appending copies it over and over. The chunks keep each item as a
// keptRow, under half its size for the rows most files hold (an address
// and where it was read): when they are joined, the chunks and the items
// are both held, and 200,000 rows cost 14 MB more rather than 32.
//
// Every row costs memory whether or not it is good, and a few KB of
// compressed junk make millions of rows: once the rows pass maxRows, or
// the bad rows pass maxBadRows while outnumbering the good ones, err is
// set and the reader stops with it.
type collector struct {
	name     string
	format   string
	chunks   [][]keptRow
	cur      []keptRow
	n, valid int
	problems []Problem
	firstBad Problem
	err      error
}

// maxRows bounds the rows read from one file (a million bookmarks is ten
// times what the heaviest users gather, and takes weeks to import at
// Mastodon's rate limit); maxBadRows bounds the bad rows of a file that
// has fewer good ones. Variables for tests.
var (
	maxRows    = 1_000_000
	maxBadRows = 10_000
)

// add validates it, records a problem if it is not a post URL, and keeps
// it; it sets err when the file passes a limit.
func (c *collector) add(it fedimarks.ImportItem) {
	if it.Invalid == "" {
		it.Invalid = checkURL(it.URI)
	}
	if it.Invalid != "" {
		c.problem(it.Source, it.Invalid)
		if c.firstBad.Source == "" {
			c.firstBad = c.problems[len(c.problems)-1]
		}
	} else {
		c.valid++
	}
	if len(c.cur) == cap(c.cur) {
		size := 64
		if c.cur != nil {
			c.chunks = append(c.chunks, c.cur)
			size = min(2*cap(c.cur), 1<<14)
		}
		c.cur = make([]keptRow, 0, size)
	}
	c.cur = append(c.cur, keep(it))
	c.n++
	switch bad := c.n - c.valid; {
	case c.err != nil:
	case c.n > maxRows:
		c.err = &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("%s: more than %s rows: fedimarks reads at most %s from one file", c.name, count(maxRows), count(maxRows)),
			Hint:    "split the file, and import the parts one after the other, oldest bookmarks first"}
	case bad > maxBadRows && bad > c.valid:
		c.err = unknownShape(c.name, fmt.Sprintf("%s rows are not post URLs, and only %s are (first: %s)",
			count(bad), count(c.valid), c.firstBad))
	}
}

// keptRow is an item as a collector keeps it until the end: its
// addresses, its source and why it is invalid, and the rest only when it
// has any (files that carry authors, dates, tags or notes).
type keptRow struct {
	uri, url, source, invalid string
	more                      *fedimarks.ImportItem
}

func keep(it fedimarks.ImportItem) keptRow {
	r := keptRow{uri: it.URI, url: it.URL, source: it.Source, invalid: it.Invalid}
	// The rest, kept whole when any is set (TestKeptRowKeepsEveryField
	// fails for a field added to the item and not looked at here).
	if it.AuthorURL != "" || !it.CreatedAt.IsZero() || it.Visibility != "" || it.Order != 0 || it.Tags != nil || it.Note != "" || it.Folder != nil {
		rest := it
		rest.URI, rest.URL, rest.Source, rest.Invalid = "", "", "", ""
		r.more = &rest
	}
	return r
}

// item is the row as an item (its Order unset).
func (r keptRow) item() fedimarks.ImportItem {
	it := fedimarks.ImportItem{}
	if r.more != nil {
		it = *r.more
	}
	it.URI, it.URL, it.Source, it.Invalid = r.uri, r.url, r.source, r.invalid
	return it
}

// count is n with thousands separated by commas.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (c *collector) problem(source, msg string) {
	c.problems = append(c.problems, Problem{Source: source, Message: msg})
}

// lineSource is "name:12".
func (c *collector) lineSource(line int) string {
	return c.name + ":" + strconv.Itoa(line)
}

// itemSource is "name:item 12" (1-based), for rows of JSON documents.
func (c *collector) itemSource(i int) string {
	return c.name + ":item " + strconv.Itoa(i)
}

// order says how a format lists its bookmarks.
type order bool

const (
	newestFirst order = true
	oldestFirst order = false
)

// result ends the reading: the items as kept, and their order (Order 0
// is the oldest bookmark) from the order the file lists them in.
func (c *collector) result(o order) Result {
	res := Result{Format: c.format, Problems: c.problems}
	if c.n > 0 {
		res.rows = &keptRows{chunks: append(c.chunks, c.cur), n: c.n, newestFirst: o == newestFirst}
		c.chunks, c.cur = nil, nil
	}
	return res
}

// lineReader reads physical lines of any length, counting them; a line
// longer than max is returned cut, with long set, so one bad line cannot
// exhaust memory or stop the rest.
type lineReader struct {
	r    *bufio.Reader
	max  int
	n    int // number of the line last returned, 1-based
	buf  []byte
	done bool
}

// next returns the next line without its line end ("\n" or "\r\n") and
// io.EOF after the last one. A last line without a line end counts.
func (l *lineReader) next() (line []byte, long bool, err error) {
	if l.done {
		return nil, false, io.EOF
	}
	l.buf = l.buf[:0]
	read := false
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(chunk) > 0 {
			read = true
		}
		if len(l.buf)+len(chunk) <= l.max+2 { // room for the line end
			l.buf = append(l.buf, chunk...)
		} else {
			long = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			l.done = true
			if !read {
				return nil, false, io.EOF
			}
		} else if err != nil {
			return nil, false, err
		}
		break
	}
	l.n++
	line = bytes.TrimSuffix(l.buf, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, long, nil
}

// utf16BOM recognises the byte order mark of UTF-16 text and says which
// byte order follows. A UTF-32 mark (FF FE 00 00) is not taken for one.
func utf16BOM(head []byte) (enc string, bigEndian, ok bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}) && !bytes.HasPrefix(head, []byte{0xff, 0xfe, 0, 0}):
		return "UTF-16LE", false, true
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return "UTF-16BE", true, true
	}
	return "", false, false
}

// looksUTF16 reports whether text without a byte order mark is clearly
// UTF-16: in its first 512 bytes (at least two characters), every other
// byte is zero and the bytes between are not. Mostly-ASCII text, which a
// list of URLs is, looks like that in UTF-16 and in nothing else.
func looksUTF16(head []byte) bool {
	head = head[:min(len(head), 512)&^1]
	if len(head) < 4 {
		return false
	}
	for zero := 0; zero < 2; zero++ {
		ok := true
		for i := 0; i < len(head) && ok; i += 2 {
			ok = head[i+zero] == 0 && head[i+1-zero] != 0
		}
		if ok {
			return true
		}
	}
	return false
}

// utf16Reader decodes UTF-16 text (the byte order mark already skipped)
// to UTF-8 as it is read. A lone surrogate or an odd last byte becomes
// U+FFFD, which the readers then report as a bad row.
type utf16Reader struct {
	r         io.Reader
	bigEndian bool
	in        []byte // bytes read but not decoded yet (half a character)
	out       []byte // decoded bytes not returned yet
	units     []uint16
	err       error
	buf       [32 << 10]byte
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// fill reads once from r and decodes every whole character read so far.
func (u *utf16Reader) fill() {
	n, err := u.r.Read(u.buf[:])
	u.in = append(u.in, u.buf[:n]...)
	if err != nil {
		u.err = err
	}
	k := len(u.in) &^ 1
	u.units = u.units[:0]
	for i := 0; i < k; i += 2 {
		if u.bigEndian {
			u.units = append(u.units, uint16(u.in[i])<<8|uint16(u.in[i+1]))
		} else {
			u.units = append(u.units, uint16(u.in[i+1])<<8|uint16(u.in[i]))
		}
	}
	if u.err == nil && len(u.units) > 0 && utf16.IsSurrogate(rune(u.units[len(u.units)-1])) {
		// Perhaps the first half of a pair: wait for the second.
		u.units = u.units[:len(u.units)-1]
		k -= 2
	}
	u.out = u.out[:0]
	for _, r := range utf16.Decode(u.units) {
		u.out = utf8.AppendRune(u.out, r)
	}
	u.in = append(u.in[:0], u.in[k:]...)
	if u.err != nil && len(u.in) > 0 {
		u.out = utf8.AppendRune(u.out, utf8.RuneError)
		u.in = u.in[:0]
	}
}
