package misskey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// Writer is a Misskey-family account as an import writes to it: it finds
// a post with ap/show (a note of the account's own server with
// notes/show, by the id in its address, which spends nothing of ap/show's
// small budget) and favorites it with notes/favorites/create. It
// satisfies internal/transfer's Writer and is safe for concurrent use.
type Writer struct {
	c *Client
}

// NewWriter returns the Writer of the account c signs in as.
func NewWriter(c *Client) *Writer { return &Writer{c: c} }

// localNote matches the path of a Misskey note's ActivityPub id and web
// page, /notes/ID.
var localNote = regexp.MustCompile(`^/notes/([0-9A-Za-z]+)/?$`)

// localNoteID returns the id of a note of the server at base named by
// addr, or "".
func localNoteID(base, addr string) string {
	u, err := url.Parse(addr)
	if err != nil || !strings.EqualFold(fedimarks.HostOf(addr), fedimarks.HostOf(base)) {
		return ""
	}
	if m := localNote.FindStringSubmatch(u.Path); m != nil {
		return m[1]
	}
	return ""
}

// Resolve returns the server's copy of the post with the ActivityPub id
// (or web address) uri as a Status (its id the note's id there), or nil,
// nil when the server has none: unknown here (NO_SUCH_OBJECT,
// NO_SUCH_NOTE), or not fetched from the post's own server
// (REQUEST_FAILED: that server did not answer, or answered that the post
// is gone or not for this server to see). Only the post's own server can
// tell those apart, and the engine asks it. Any other refusal is an error
// of its kind.
func (w *Writer) Resolve(ctx context.Context, uri string) (*fedimarks.Status, error) {
	var note json.RawMessage
	if id := localNoteID(w.c.Server(), uri); id != "" {
		if err := w.c.callJSON(ctx, "notes/show", map[string]any{"noteId": id}, &note); err != nil {
			if codeOf(err) == "NO_SUCH_NOTE" {
				return nil, nil
			}
			return nil, err
		}
	} else {
		var res struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := w.c.callJSON(ctx, "ap/show", map[string]any{"uri": uri}, &res); err != nil {
			switch codeOf(err) {
			case "NO_SUCH_OBJECT", "REQUEST_FAILED":
				return nil, nil
			}
			return nil, err
		}
		if res.Type != "Note" {
			return nil, nil // a user's address, not a post's
		}
		note = res.Object
	}
	st, err := noteStatus(w.c.Server(), note)
	if err != nil {
		return nil, fmt.Errorf("POST /api/ap/show: %w", err)
	}
	return &st, nil
}

// Bookmark favorites the note with the server's id. A note favorited
// already is refused with ALREADY_FAVORITED, an error of kind
// fedimarks.KindConflict (which the engine reads as "already" for this
// family), unless this call sent the request twice after a failure that
// left unknown whether the first was done: the refusal is then the first
// request's doing, and the note was favorited now.
func (w *Writer) Bookmark(ctx context.Context, id string) (fedimarks.Status, error) {
	params := map[string]any{"noteId": id}
	// Sent as a request that is not to be repeated (the client retries it
	// only when nothing reached the server), and repeated here, so that a
	// refusal of the repeat is known to follow an attempt that may have
	// been done.
	for tries := 1; ; tries++ {
		_, err := w.c.call(ctx, "notes/favorites/create", params, nil, false)
		switch {
		case err == nil:
			return fedimarks.Status{ID: id}, nil
		case tries > 1 && codeOf(err) == "ALREADY_FAVORITED":
			return fedimarks.Status{ID: id}, nil // the earlier attempt's doing
		case tries > bookmarkRetries || !doubtful(err) || ctx.Err() != nil:
			return fedimarks.Status{}, err
		}
		if err := w.c.policy.Wait(ctx, "retry after no answer", w.c.policy.Backoff(tries), 1); err != nil {
			return fedimarks.Status{}, fmt.Errorf("POST /api/notes/favorites/create: %w", err)
		}
	}
}

// bookmarkRetries is how often a favorite whose request got no answer is
// sent again.
const bookmarkRetries = 3

// doubtful reports whether err leaves unknown whether the server did the
// request: no answer, or a gateway's in its stead.
func doubtful(err error) bool {
	var ne *NetError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && (ae.StatusCode == http.StatusBadGateway ||
		ae.StatusCode == http.StatusServiceUnavailable || ae.StatusCode == http.StatusGatewayTimeout)
}

// callJSON is an idempotent call whose answer is decoded into out.
func (c *Client) callJSON(ctx context.Context, endpoint string, params, out any) error {
	_, err := c.call(ctx, endpoint, params, out, true)
	return err
}

// codeOf returns the Misskey error code in err's chain, or "".
func codeOf(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// Status returns the note with the server's id as far as a verification
// needs it: its id and, in Raw, {"id","bookmarked"}, whether the account
// has favorited it (notes/state); Misskey's packed notes do not say.
func (w *Writer) Status(ctx context.Context, id string) (fedimarks.Status, error) {
	var state struct {
		IsFavorited *bool `json:"isFavorited"`
	}
	if err := w.c.callJSON(ctx, "notes/state", map[string]any{"noteId": id}, &state); err != nil {
		return fedimarks.Status{}, err
	}
	if state.IsFavorited == nil {
		return fedimarks.Status{}, fmt.Errorf("POST /api/notes/state: the answer does not say whether the note is a favorite")
	}
	raw, _ := json.Marshal(map[string]any{"id": id, "bookmarked": *state.IsFavorited})
	return fedimarks.Status{ID: id, Raw: raw}, nil
}

// noteStatus reads a packed note that the server at base returned as a
// Status (see StatusOf): its id there, its ActivityPub id (a note of that
// server has none in its JSON: base/notes/ID), the note as Raw.
func noteStatus(base string, raw json.RawMessage) (fedimarks.Status, error) {
	var n Note
	if err := json.Unmarshal(raw, &n); err != nil {
		return fedimarks.Status{}, fmt.Errorf("the answer is not a note: %w", err)
	}
	return StatusOf(base, n, raw)
}
