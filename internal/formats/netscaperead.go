package formats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/fedimarks/fedimarks"
)

// looksNetscape reports whether an HTML file is a Netscape bookmark file
// (the doctype browsers write, or its DT/A list).
func looksNetscape(head []byte) bool {
	h := bytes.ToUpper(head)
	return bytes.Contains(h, []byte("NETSCAPE-BOOKMARK-FILE")) ||
		(bytes.Contains(h, []byte("<DT>")) && bytes.Contains(h, []byte("<A ")))
}

// readNetscape reads every link (A HREF) of a Netscape bookmark file, as
// our netscape writer and browsers write it. Our writer lists the newest
// bookmark first, so the file is read as newest first; ADD_DATE, the post's
// time in ours, becomes CreatedAt. Folders are flattened.
func readNetscape(name string, br *bufio.Reader) (Result, error) {
	c := &collector{name: name, format: "netscape"}
	z := html.NewTokenizer(br)
	z.SetMaxBuf(maxURLLine * 4) // one token (tag or text run) at most
	line := 1
	for c.err == nil {
		tt := z.Next()
		start := line
		line += bytes.Count(z.Raw(), []byte("\n"))
		if tt == html.ErrorToken {
			err := z.Err()
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, html.ErrBufferExceeded) {
				return Result{}, unknownShape(name, fmt.Sprintf("line %d: an HTML token longer than %d KiB", start, maxURLLine*4>>10))
			}
			return Result{}, fmt.Errorf("read %s: %w", name, err)
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		if it, ok := linkItem(z, c.lineSource(start)); ok {
			c.add(it)
		}
	}
	if c.err != nil {
		return Result{}, c.err
	}
	if c.n == 0 {
		return c.result(newestFirst), nil
	}
	if c.valid == 0 {
		return Result{}, unknownShape(name, "no link in this bookmarks file is an http(s) URL")
	}
	return c.result(newestFirst), nil
}

// linkItem reads the start tag z stands on as a bookmark: an A with an
// HREF (an A without one is an anchor, not a link, and ok is false).
func linkItem(z *html.Tokenizer, src string) (it fedimarks.ImportItem, ok bool) {
	tn, hasAttr := z.TagName()
	if atom.Lookup(tn) != atom.A || !hasAttr {
		return it, false
	}
	it.Source = src
	hasHref := false
	var tags []string
	for {
		k, v, more := z.TagAttr()
		switch strings.ToLower(string(k)) {
		case "href":
			it.URI = strings.TrimSpace(string(v))
			hasHref = true
		case "fedimarks_tags":
			tags = splitTags(string(v))
		case "fedimarks_note":
			it.Note = string(v)
		case "add_date":
			it.CreatedAt = addDate(string(v))
		}
		if !more {
			break
		}
	}
	if !hasHref {
		return it, false
	}
	it.Tags, it.Note = readLabels(tags, it.Note)
	return it, true
}

// addDate reads ADD_DATE, seconds since 1970 (some tools write
// milliseconds or microseconds); zero when it is not a time.
func addDate(v string) time.Time {
	sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}
	}
	for sec > 1e11 {
		sec /= 1000
	}
	return time.Unix(sec, 0).UTC()
}
