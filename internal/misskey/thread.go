package misskey

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/fedimarks/fedimarks"
)

// Threads (backup --context) through Misskey's API. Misskey has no
// Mastodon-like context endpoint that gives a post's whole thread at once:
//
//   - notes/conversation gives the notes a note replies to, nearest first,
//     up to 100 a call (offset pages on); an unknown or deleted note is
//     NO_SUCH_NOTE, a KindNotFound;
//   - notes/children gives a note's direct replies and its quotes, newest
//     first, up to 100 a call (untilId pages on); the replies' replies
//     take a call each.
//
// A thread therefore costs one call for its ancestors, plus one a note
// whose replies are walked: with self, only the author's own replies that
// continue the author's chain (as mastodon.SelfThread keeps them), so
// usually one or two; with all, every reply, up to MaxThreadCalls calls.
// Quotes are not replies and are left out, as Mastodon's context leaves
// them out. Neither endpoint needs a permission.

// MaxThreadCalls bounds the notes/children calls one thread's replies
// take with all (every reply): a thread larger than that keeps the
// replies read so far, as Mastodon's own context endpoint caps its
// descendants.
const MaxThreadCalls = 200

// threadPage is how many notes a call asks for: the endpoints' maximum.
const threadPage = 100

// Thread returns the thread of the note id on the account's server, as
// Mastodon's context endpoint would: the notes it replies to, the root
// first, and its replies in depth-first order (each reply followed by its
// own replies, siblings oldest first). With all every reply is kept, else
// the replies of author (a profile URL, as the note's Status has it) that
// answer the note or another of those kept. Errors are domain kinds (see
// Remote); a note the server no longer has is KindNotFound.
func (c *Client) Thread(ctx context.Context, id, author string, all bool) (ancestors, descendants []fedimarks.Status, err error) {
	if ancestors, err = c.ancestors(ctx, id); err != nil {
		return nil, nil, err
	}
	calls := 0
	var walk func(parent string) error
	walk = func(parent string) error {
		if calls >= MaxThreadCalls {
			return nil
		}
		kids, err := c.replies(ctx, parent, &calls)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if !all && k.Account.URL != author {
				continue
			}
			descendants = append(descendants, k)
			if err := walk(k.ID); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(id); err != nil {
		return nil, nil, err
	}
	return ancestors, descendants, nil
}

// ancestors reads the notes id replies to, the root first.
func (c *Client) ancestors(ctx context.Context, id string) ([]fedimarks.Status, error) {
	var out []fedimarks.Status
	for {
		var notes []json.RawMessage
		err := c.callJSON(ctx, "notes/conversation", map[string]any{"noteId": id, "limit": threadPage, "offset": len(out)}, &notes)
		if err != nil {
			return nil, err
		}
		for _, raw := range notes {
			st, err := noteStatus(c.server, raw)
			if err != nil {
				continue // a note that cannot be read is left out of the thread
			}
			out = append(out, st)
		}
		if len(notes) < threadPage {
			break
		}
	}
	slices.Reverse(out)
	return out, nil
}

// replies reads the direct replies of the note id, oldest first, counting
// the calls it makes in calls.
func (c *Client) replies(ctx context.Context, id string, calls *int) ([]fedimarks.Status, error) {
	var out []fedimarks.Status
	until := ""
	for *calls < MaxThreadCalls {
		params := map[string]any{"noteId": id, "limit": threadPage}
		if until != "" {
			params["untilId"] = until
		}
		var notes []json.RawMessage
		*calls++
		if err := c.callJSON(ctx, "notes/children", params, &notes); err != nil {
			return nil, err
		}
		for _, raw := range notes {
			var n Note
			if err := json.Unmarshal(raw, &n); err != nil || n.ID == "" {
				continue
			}
			until = n.ID
			if n.ReplyID == nil || *n.ReplyID != id {
				continue // a quote, not a reply
			}
			st, err := StatusOf(c.server, n, raw)
			if err != nil {
				continue
			}
			out = append(out, st)
		}
		if len(notes) < threadPage {
			break
		}
	}
	slices.Reverse(out)
	return out, nil
}
