package formats

import (
	"bufio"
	"io"
	"strings"

	"github.com/fedimarks/fedimarks"
)

func init() {
	Register(Format{
		Name:        "mastodon",
		Description: "Mastodon's bookmarks.csv: one post URI a line, newest first, no header (what Mastodon's import takes)",
		Extension:   ".csv",
		MediaType:   "text/csv; charset=utf-8",
		New:         newMastodonEncoder,
	})
}

// mastodonEncoder writes what Mastodon's own export writes
// (app/models/export.rb): the ActivityPub URI of each bookmarked post, one
// a line, "\n" line ends, a final newline, no header, no quoting. A boost
// stands for the boosted post, since that is what a bookmark of it keeps.
type mastodonEncoder struct {
	w      *bufio.Writer
	err    stickyErr
	closed bool
}

func newMastodonEncoder(w io.Writer, _ Meta) Encoder {
	return &mastodonEncoder{w: bufio.NewWriter(w)}
}

func (e *mastodonEncoder) Encode(b fedimarks.Bookmark) error {
	if e.closed {
		return errClosed
	}
	if e.err.err != nil {
		return e.err.err
	}
	e.w.WriteString(oneLine(b.Status.Original().URI))
	_, err := e.w.WriteString("\n")
	return e.err.set(err)
}

func (e *mastodonEncoder) Close() error {
	if e.closed {
		return e.err.err
	}
	e.closed = true
	return e.err.set(e.w.Flush())
}

// oneLine drops control characters (line breaks above all) from s, so that
// a hostile URI cannot add rows to a line-based file.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }
