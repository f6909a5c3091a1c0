package formats

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
)

// readCSV reads the text formats: Mastodon's one-column bookmarks.csv (and
// bookmarks_failures.csv, and snac's export), with or without its "#uri"
// header, and the three-column CSV with a header naming a "Bookmark URL"
// column. Both list the newest bookmark first.
//
// Mastodon's importer trims values and skips blank lines, and so does this
// reader. Lines are read one at a time, so a quoted field cannot span lines
// (no URL or time has a line break) and a broken line never swallows the
// lines after it.
func readCSV(name string, br *bufio.Reader) (Result, error) {
	f := &csvFile{c: &collector{name: name, format: "mastodon"}, first: true}
	lr := &lineReader{r: br, max: maxURLLine}
	for f.c.err == nil {
		raw, long, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Result{}, fmt.Errorf("read %s: %w", name, err)
		}
		f.line(raw, long, f.c.lineSource(lr.n))
	}
	if f.c.err != nil {
		return Result{}, f.c.err
	}
	return f.result()
}

// csvFile is what readCSV learns line by line.
type csvFile struct {
	c      *collector
	cols   *csvColumns // nil: one column, Mastodon's shape
	first  bool        // no line read yet but blank ones
	header bool        // the file has a header line
	// rows counts the lines that are not blank or a header, notUTF8 those
	// of them that are not UTF-8.
	rows, notUTF8 int
}

// line reads one line: a row, a header (only the first line that is not
// blank), or a blank line to skip.
func (f *csvFile) line(raw []byte, long bool, src string) {
	if long {
		f.rows++
		f.c.add(fedimarks.ImportItem{Source: src, Invalid: fmt.Sprintf("line longer than %d KiB", maxURLLine>>10)})
		f.first = false
		return
	}
	if !utf8.Valid(raw) {
		f.rows++
		f.notUTF8++
		f.c.add(fedimarks.ImportItem{Source: src, Invalid: notLine})
		f.first = false
		return
	}
	line := strings.TrimSpace(string(raw))
	if line == "" {
		return
	}
	if f.first {
		f.first = false
		if f.readHeader(line) {
			return
		}
	}
	f.rows++
	if f.cols == nil {
		f.c.add(oneColumnItem(line, src))
	} else {
		f.c.addRow(line, src, *f.cols)
	}
}

// readHeader reports whether line is a header: Mastodon's "#uri" or a
// three-column header, whose columns it keeps.
func (f *csvFile) readHeader(line string) bool {
	if isURIHeader(line) {
		f.header = true
		return true
	}
	// Spreadsheets in many locales separate with ";" or tabs.
	if cc, ok := headerColumns(line); ok {
		f.cols = &cc
		f.c.format = "csv"
		f.header = true
		return true
	}
	return false
}

// result is the file's items, or why none of its lines is a bookmark.
func (f *csvFile) result() (Result, error) {
	c := f.c
	if f.rows == 0 {
		if f.header {
			return c.result(newestFirst), nil // a header and no rows: nothing to do, not an error
		}
		return Result{}, &fedimarks.Error{Code: fedimarks.EInvalid, Message: c.name + ": the file holds only blank lines", Hint: acceptedFormats}
	}
	if c.valid == 0 {
		if f.notUTF8 > 0 && f.notUTF8 == f.rows {
			return Result{}, unknownShape(c.name, "this text is not UTF-8 (save it as UTF-8 and try again)")
		}
		if c.format == "csv" {
			return Result{}, unknownShape(c.name, `no row has a post URL in its "Bookmark URL" column`)
		}
		return Result{}, unknownShape(c.name, "no line is a post URL")
	}
	return c.result(newestFirst), nil
}

// isURIHeader reports whether line is Mastodon's optional header "#uri".
func isURIHeader(line string) bool {
	line = strings.TrimSpace(strings.Trim(line, `"`))
	return strings.EqualFold(line, "#uri")
}

// oneColumnItem reads one line of Mastodon's one-column file: the first
// CSV field, trimmed (Mastodon reads the file as CSV and keeps the first
// column).
func oneColumnItem(line, src string) fedimarks.ImportItem {
	var field string
	if strings.HasPrefix(line, `"`) {
		fields, err := splitCSVLine(line, ',')
		if err != nil {
			return fedimarks.ImportItem{URI: line, Source: src, Invalid: "broken CSV quoting: " + err.Error()}
		}
		field = fields[0]
	} else {
		field, _, _ = strings.Cut(line, ",")
	}
	return fedimarks.ImportItem{URI: strings.TrimSpace(field), Source: src}
}

// csvColumns are the separator and the positions of the known columns of a
// three-column CSV file (-1 when absent).
type csvColumns struct {
	sep                   byte
	url, account, created int
}

// headerColumns recognises a header row naming a "Bookmark URL" column,
// separated by commas, semicolons or tabs.
func headerColumns(line string) (csvColumns, bool) {
	for _, sep := range []byte{',', ';', '\t'} {
		if fields, err := splitCSVLine(line, sep); err == nil {
			if cc, ok := findColumns(fields); ok {
				cc.sep = sep
				return cc, true
			}
		}
	}
	return csvColumns{}, false
}

// findColumns looks for the "Bookmark URL" header (any case, any position)
// and the optional "Account URL" and "Created at" beside it.
func findColumns(fields []string) (csvColumns, bool) {
	cc := csvColumns{sep: ',', url: -1, account: -1, created: -1}
	for i, f := range fields {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "bookmark url":
			if cc.url < 0 {
				cc.url = i
			}
		case "account url":
			if cc.account < 0 {
				cc.account = i
			}
		case "created at":
			if cc.created < 0 {
				cc.created = i
			}
		}
	}
	return cc, cc.url >= 0
}

// addRow reads one data row of a three-column CSV file.
func (c *collector) addRow(line, src string, cols csvColumns) {
	fields, err := splitCSVLine(line, cols.sep)
	if err != nil {
		c.add(fedimarks.ImportItem{URI: line, Source: src, Invalid: "broken CSV quoting: " + err.Error()})
		return
	}
	get := func(i int) string {
		if i < 0 || i >= len(fields) {
			return ""
		}
		return strings.TrimSpace(fields[i])
	}
	it := fedimarks.ImportItem{URI: get(cols.url), AuthorURL: get(cols.account), Source: src}
	if it.URI == "" {
		it.Invalid = `no "Bookmark URL" in this row`
	}
	if it.AuthorURL != "" && checkURL(it.AuthorURL) != "" {
		it.AuthorURL = "" // a hint only; a bad one is dropped, the row stays good
	}
	if s := get(cols.created); s != "" && it.Invalid == "" {
		if t, ok := parseLooseTime(s); ok {
			it.CreatedAt = t
		} else {
			c.problem(src, fmt.Sprintf("Created at %s is not a time; ignored", quoteShort(s)))
		}
	}
	c.add(it)
}

// looseTimes are the time layouts a hand-made CSV may use, tried in order.
var looseTimes = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseLooseTime parses an ISO 8601 time; one without a zone is UTC.
func parseLooseTime(s string) (time.Time, bool) {
	for _, layout := range looseTimes {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// splitCSVLine splits one line into RFC 4180 fields separated by sep: a
// field in double quotes may hold separators and doubled quotes. Spaces
// around a quoted field are allowed. A quote inside an unquoted field is
// kept as is (as encoding/csv's LazyQuotes does).
func splitCSVLine(line string, sep byte) ([]string, error) {
	var fields []string
	i := 0
	for {
		// skip spaces before a possible opening quote
		j := i
		for j < len(line) && line[j] != sep && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		if j < len(line) && line[j] == '"' {
			var b strings.Builder
			k := j + 1
			closed := false
			for k < len(line) {
				if line[k] == '"' {
					if k+1 < len(line) && line[k+1] == '"' {
						b.WriteByte('"')
						k += 2
						continue
					}
					closed = true
					k++
					break
				}
				b.WriteByte(line[k])
				k++
			}
			if !closed {
				return nil, errors.New("a quoted field is not closed")
			}
			for k < len(line) && line[k] != sep && (line[k] == ' ' || line[k] == '\t') {
				k++
			}
			fields = append(fields, b.String())
			if k == len(line) {
				return fields, nil
			}
			if line[k] != sep {
				return nil, errors.New("text after a closing quote")
			}
			i = k + 1
			continue
		}
		end := strings.IndexByte(line[i:], sep)
		if end < 0 {
			return append(fields, line[i:]), nil
		}
		fields = append(fields, line[i:i+end])
		i += end + 1
	}
}
