package formats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
)

// wireItem is one element of a fedimarks json or jsonl export; a bare
// Mastodon Status object (no "status" key, but a "uri") is read too.
type wireItem struct {
	Status json.RawMessage `json:"status"`
	URI    json.RawMessage `json:"uri"`
	// Tags and Note are our export's local labels; a bare Status has
	// "tags" too (its hashtags, objects), read only beside "status".
	Tags   json.RawMessage `json:"tags"`
	Note   json.RawMessage `json:"note"`
	Folder json.RawMessage `json:"folder"`
}

// wireLite holds the fields of a Status that an import uses.
type wireLite struct {
	URI        string  `json:"uri"`
	URL        *string `json:"url"`
	CreatedAt  string  `json:"created_at"`
	Visibility string  `json:"visibility"`
	Account    struct {
		URL string `json:"url"`
	} `json:"account"`
	Reblog json.RawMessage `json:"reblog"`
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// statusItem turns one element of our json export (or a bare Status, or a
// URI string) into an ImportItem. A boost stands for the boosted post.
func statusItem(raw json.RawMessage, src string) fedimarks.ImportItem {
	it := fedimarks.ImportItem{Source: src}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			it.Invalid = "broken JSON string"
			return it
		}
		it.URI = strings.TrimSpace(s)
		return it
	}
	if len(raw) == 0 || raw[0] != '{' {
		it.Invalid = "not a JSON object"
		return it
	}
	var w wireItem
	if err := json.Unmarshal(raw, &w); err != nil {
		it.Invalid = "not a bookmark: " + jsonErr(err)
		return it
	}
	statusRaw := w.Status
	if isNull(statusRaw) {
		if isNull(w.URI) {
			it.Invalid = `no "status" object and no "uri"`
			return it
		}
		statusRaw = raw // a bare Status
	} else {
		it.Tags, it.Note = wireLabels(w)
		it.Folder = readFolder(w.Folder)
	}
	return readStatus(it, statusRaw)
}

// readStatus fills it from a Status object: the post (the boosted one for
// a boost), its web address, author, time and visibility.
func readStatus(it fedimarks.ImportItem, statusRaw json.RawMessage) fedimarks.ImportItem {
	if statusRaw = bytes.TrimSpace(statusRaw); statusRaw[0] != '{' {
		it.Invalid = `"status" is not a JSON object`
		return it
	}
	var st wireLite
	if err := json.Unmarshal(statusRaw, &st); err != nil {
		it.Invalid = "not a status: " + jsonErr(err)
		return it
	}
	if !isNull(st.Reblog) {
		var orig wireLite
		if err := json.Unmarshal(st.Reblog, &orig); err == nil && orig.URI != "" {
			st = orig
		}
	}
	it.URI = strings.TrimSpace(st.URI)
	if st.URL != nil && fedimarks.WebURL(*st.URL) != "" {
		it.URL = *st.URL
	}
	if fedimarks.WebURL(st.Account.URL) != "" {
		it.AuthorURL = st.Account.URL
	}
	if t, err := time.Parse(time.RFC3339Nano, st.CreatedAt); err == nil {
		it.CreatedAt = t.UTC()
	}
	it.Visibility = st.Visibility
	if it.URI == "" {
		it.Invalid = `the status has no "uri"`
	}
	return it
}

// jsonErr shortens a decoding error for a row's message.
func jsonErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s is a JSON %s", te.Field, te.Value)
	}
	return err.Error()
}

// readJSONArray streams a JSON array of bookmarks (our json export, newest
// first, or Misskey's favorites export, oldest first: the first element
// that is an object tells which), one element at a time. A syntax error
// ends the reading, since nothing after it can be trusted; an element of
// the wrong shape is a problem and reading goes on. server is the Misskey
// server a favorites export came from, for its own notes ("" unknown).
func readJSONArray(name string, br *bufio.Reader, server string) (Result, error) {
	c := &collector{name: name, format: "json"}
	s := &jsonScanner{r: br}
	if _, err := s.expect(name, "the start", "["); err != nil {
		return Result{}, err
	}
	decided, misskey := false, false
	err := s.elements(name, maxJSONLine, func(i int) string { return fmt.Sprintf("item %d", i) }, func(raw []byte, long bool, i int) error {
		if long {
			c.add(fedimarks.ImportItem{Source: c.itemSource(i), Invalid: fmt.Sprintf("item longer than %d MiB", maxJSONLine>>20)})
			return c.err
		}
		if t := bytes.TrimSpace(raw); !decided && len(t) > 0 && t[0] == '{' {
			decided, misskey = true, isMisskeyFavorite(t)
			if misskey {
				c.format = "misskey"
			}
		}
		if misskey {
			c.add(misskeyItem(raw, c.itemSource(i), server))
		} else {
			c.add(statusItem(raw, c.itemSource(i)))
		}
		return c.err
	})
	if err != nil {
		return Result{}, err
	}
	if c.n > 0 && c.valid == 0 {
		if misskey {
			return Result{}, unknownShape(name, "no favorite of this Misskey export could be read (first: "+c.firstBad.Message+")")
		}
		return Result{}, unknownShape(name, "no element of this JSON array is a bookmark or a post URL")
	}
	if misskey {
		return c.result(oldestFirst), nil
	}
	return c.result(newestFirst), nil
}

// jsonSyntaxError is the error for a JSON document broken at where.
func jsonSyntaxError(name, where string, err error) error {
	var fe *fedimarks.Error
	if errors.As(err, &fe) { // the input's own error, such as an archive member too large
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("%s: the JSON ends early, at %s (is the file cut short?)", name, where), Err: err}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("%s: broken JSON at %s (byte %d): %v", name, where, se.Offset, err), Err: err}
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// isJSONLines reports whether a file starting with "{" is JSON Lines (a
// complete object on its first line that is not a collection) rather than
// one JSON document such as bookmarks.json.
func isJSONLines(head []byte) bool {
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return false
	}
	first := bytes.TrimSpace(head[:nl])
	if !json.Valid(first) {
		return false
	}
	var probe struct {
		OrderedItems json.RawMessage `json:"orderedItems"`
		Items        json.RawMessage `json:"items"`
		Type         string          `json:"type"`
	}
	if json.Unmarshal(first, &probe) != nil {
		return false
	}
	return probe.OrderedItems == nil && probe.Items == nil && !strings.HasSuffix(probe.Type, "Collection")
}

// readJSONLines reads our jsonl export (newest first): one object a line,
// each read on its own, so a broken line is a problem and not the end.
func readJSONLines(name string, br *bufio.Reader) (Result, error) {
	c := &collector{name: name, format: "jsonl"}
	lr := &lineReader{r: br, max: maxJSONLine}
	for c.err == nil {
		line, long, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Result{}, fmt.Errorf("read %s: %w", name, err)
		}
		src := c.lineSource(lr.n)
		if long {
			c.add(fedimarks.ImportItem{Source: src, Invalid: fmt.Sprintf("line longer than %d MiB", maxJSONLine>>20)})
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			c.add(fedimarks.ImportItem{Source: src, Invalid: notLine})
			continue
		}
		if !json.Valid(line) {
			c.add(fedimarks.ImportItem{Source: src, Invalid: "broken JSON"})
			continue
		}
		c.add(statusItem(line, src))
	}
	if c.err != nil {
		return Result{}, c.err
	}
	if c.valid == 0 {
		return Result{}, unknownShape(name, "no line of this JSON Lines file is a bookmark")
	}
	return c.result(newestFirst), nil
}

// readActivityPub streams an ActivityStreams collection, as Mastodon's
// account archive holds in bookmarks.json: {"type":"OrderedCollection",
// "orderedItems":["https://...", ...]}, oldest post first. Items may also
// be objects with an "id" (or "url"), and "items" is read like
// "orderedItems".
func readActivityPub(name string, br *bufio.Reader) (Result, error) {
	c := &collector{name: name, format: "activitypub"}
	s := &jsonScanner{r: br}
	if _, err := s.expect(name, "the start", "{"); err != nil {
		return Result{}, err
	}
	found := false
	for first := true; ; first = false {
		key, end, err := nextKey(s, name, first)
		if err != nil {
			return Result{}, err
		}
		if end {
			break
		}
		if (key != "orderedItems" && key != "items") || found {
			if err := skipValue(s, name, key); err != nil {
				return Result{}, err
			}
			continue
		}
		found = true
		if err := readCollection(s, c, key); err != nil {
			return Result{}, err
		}
	}
	if !found {
		return Result{}, unknownShape(name, `this JSON object has no "orderedItems"`)
	}
	return c.result(oldestFirst), nil
}

// nextKey reads the object's next key and the ":" after it, or reports the
// object's end (after a value, a "," or the "}"; at the first key, "}").
func nextKey(s *jsonScanner, name string, first bool) (key string, end bool, err error) {
	if !first {
		if d, err := s.expect(name, "the end", ",}"); err != nil {
			return "", false, err
		} else if d == '}' {
			return "", true, nil
		}
	} else if d, err := s.peek(); err != nil {
		return "", false, jsonSyntaxError(name, "a key", err)
	} else if d == '}' {
		s.discard(1)
		return "", true, nil
	}
	raw, long, err := s.value(maxURLLine)
	if err != nil {
		return "", false, jsonSyntaxError(name, "a key", err)
	}
	if long || len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &key) != nil {
		return "", false, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("%s: broken JSON at byte %d: expected a key", name, s.start+1)}
	}
	if _, err := s.expect(name, fmt.Sprintf("%q", key), ":"); err != nil {
		return "", false, err
	}
	return key, false, nil
}

// skipValue reads past the value of a key that holds no bookmarks,
// checking that it is JSON.
func skipValue(s *jsonScanner, name, key string) error {
	raw, long, err := s.value(maxJSONLine)
	if err != nil {
		return jsonSyntaxError(name, fmt.Sprintf("%q", key), err)
	}
	if long {
		return nil
	}
	return checkJSON(name, fmt.Sprintf("%q", key), s.start, raw)
}

// readCollection reads the list under key ("orderedItems" or "items"),
// one bookmark an item, into c.
func readCollection(s *jsonScanner, c *collector, key string) error {
	if d, err := s.peek(); err != nil {
		return jsonSyntaxError(c.name, key, err)
	} else if d != '[' {
		return unknownShape(c.name, fmt.Sprintf("%q is not a list", key))
	}
	s.discard(1)
	return s.elements(c.name, maxJSONLine, func(i int) string { return fmt.Sprintf("item %d", i) }, func(raw []byte, long bool, i int) error {
		if long {
			c.add(fedimarks.ImportItem{Source: c.itemSource(i), Invalid: fmt.Sprintf("item longer than %d MiB", maxJSONLine>>20)})
		} else {
			c.add(collectionItem(raw, c.itemSource(i)))
		}
		return c.err
	})
}

// collectionItem reads one element of a collection: a URI string, or an
// object with an "id" (an ActivityPub object) or a "url".
func collectionItem(raw json.RawMessage, src string) fedimarks.ImportItem {
	it := fedimarks.ImportItem{Source: src}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			it.Invalid = "broken JSON string"
		}
		it.URI = strings.TrimSpace(s)
	case len(raw) > 0 && raw[0] == '{':
		var obj struct {
			ID  any `json:"id"`
			URL any `json:"url"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			it.Invalid = "broken JSON object"
			return it
		}
		id, _ := obj.ID.(string)
		u, _ := obj.URL.(string)
		it.URI = strings.TrimSpace(id)
		if it.URI == "" {
			it.URI = strings.TrimSpace(u)
		} else if fedimarks.WebURL(u) != "" && u != it.URI {
			it.URL = u
		}
		if it.URI == "" {
			it.Invalid = `an object with no "id"`
		}
	default:
		it.Invalid = "neither a URI nor an object: " + quoteShort(string(raw))
	}
	return it
}
