package formats

import (
	"bufio"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
)

func init() {
	Register(Format{
		Name:        "activitypub",
		Description: "bookmarks.json as in Mastodon's account archive: an ActivityStreams OrderedCollection of post URIs, oldest post first",
		Extension:   ".json",
		MediaType:   "application/activity+json",
		New: func(w io.Writer, _ Meta) Encoder {
			return &activityPubEncoder{w: w}
		},
	})
}

// activityPubEncoder writes bookmarks.json the way Mastodon's BackupService
// does: {"@context", "id":"bookmarks.json", "type":"OrderedCollection",
// "totalItems", "orderedItems":[URI...]} on one line (plus a final newline,
// which Mastodon leaves out), items ordered by post (not bookmark) from the oldest. Since the
// input comes newest bookmark first, the URIs are buffered and sorted on
// Close.
type activityPubEncoder struct {
	w      io.Writer
	items  []apItem
	closed bool
	err    error
}

type apItem struct {
	uri     string
	id      string
	created time.Time
}

func (e *activityPubEncoder) Encode(b fedimarks.Bookmark) error {
	if e.closed {
		return errClosed
	}
	s := b.Status.Original()
	e.items = append(e.items, apItem{uri: s.URI, id: s.ID, created: s.CreatedAt})
	return nil
}

func (e *activityPubEncoder) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	sort.SliceStable(e.items, func(i, j int) bool { return apLess(e.items[i], e.items[j]) })
	bw := bufio.NewWriter(e.w)
	bw.WriteString(`{"@context":"https://www.w3.org/ns/activitystreams","id":"bookmarks.json","type":"OrderedCollection","totalItems":`)
	bw.WriteString(strconv.Itoa(len(e.items)))
	bw.WriteString(`,"orderedItems":[`)
	for i, it := range e.items {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.Write(jsonString(it.uri))
	}
	bw.WriteString("]}\n")
	e.err = bw.Flush()
	e.items = nil
	return e.err
}

// apLess orders posts as Mastodon's archive does, by post: creation time
// first (ids are server-local and of different shapes on different
// servers), then id (numerically for snowflake ids), then URI.
func apLess(a, b apItem) bool {
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	if a.id != b.id {
		if isDigits(a.id) && isDigits(b.id) && len(a.id) != len(b.id) {
			return len(a.id) < len(b.id)
		}
		return a.id < b.id
	}
	return a.uri < b.uri
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// jsonString encodes s as a JSON string without HTML escaping, so that a
// URI's & stays & as in Mastodon's output.
func jsonString(s string) []byte {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return []byte(strings.TrimSuffix(sb.String(), "\n"))
}
