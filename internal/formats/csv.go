package formats

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/fedimarks/fedimarks"
)

func init() {
	Register(Format{
		Name:        "csv",
		Description: "three-column CSV with a header: Bookmark URL, Account URL, Created at (post time, UTC)",
		Extension:   ".csv",
		MediaType:   "text/csv; charset=utf-8",
		New:         newCSVEncoder,
	})
}

// csvHeader is the header row of the three-column CSV that articles
// describe and people make by hand.
var csvHeader = []string{"Bookmark URL", "Account URL", "Created at"}

// csvTime is the layout of the Created at column: ISO 8601 in UTC to the
// second, e.g. 2024-03-01T12:30:00Z.
const csvTime = "2006-01-02T15:04:05Z"

// csvEncoder writes the three-column CSV: the post's web address (its URL,
// else its URI, the first that is an http(s) URL), the author's profile URL
// (left empty if it is not http(s)) and the post's creation time.
// Lines end in "\n" (encoding/csv's default; every CSV reader accepts it),
// fields are quoted only where CSV needs it. A field that a spreadsheet
// would run as a formula (leading = + - @ or a tab) gets a leading ' as
// OWASP advises; real URLs never start so.
type csvEncoder struct {
	w      *csv.Writer
	header bool
	err    stickyErr
	closed bool
}

func newCSVEncoder(w io.Writer, _ Meta) Encoder {
	return &csvEncoder{w: csv.NewWriter(w)}
}

func (e *csvEncoder) writeHeader() {
	if !e.header {
		e.header = true
		e.err.set(e.w.Write(csvHeader))
	}
}

func (e *csvEncoder) Encode(b fedimarks.Bookmark) error {
	if err := begin(e.closed, e.writeHeader, &e.err); err != nil {
		return err
	}
	s := b.Status.Original()
	created := ""
	if !s.CreatedAt.IsZero() {
		created = s.CreatedAt.UTC().Format(csvTime)
	}
	link := s.WebLink()
	if link == "" {
		link = s.Link()
	}
	author := fedimarks.WebURL(s.Account.URL)
	return e.err.set(e.w.Write([]string{noFormula(oneLine(link)), author, created}))
}

func (e *csvEncoder) Close() error {
	if e.closed {
		return e.err.err
	}
	e.closed = true
	e.writeHeader()
	e.w.Flush()
	return e.err.set(e.w.Error())
}

// noFormula defuses a cell a spreadsheet would evaluate.
func noFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
