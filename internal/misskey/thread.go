package misskey

import (
	"cmp"
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
// usually one or two; with all, every reply, up to MaxThreadCalls calls
// (and then the author's chain apart, so that it is whole).
// Quotes are not replies and are left out, as Mastodon's context leaves
// them out. Neither endpoint needs a permission.

// MaxThreadCalls bounds the calls one walk of a thread takes: the
// ancestors' notes/conversation calls, and the notes/children calls of
// its replies. A thread larger than that keeps what was read and says so
// (Thread.Cut), as Mastodon's own context endpoint caps its answer.
const MaxThreadCalls = 200

// threadPage is how many notes a call asks for: the endpoints' maximum.
const threadPage = 100

// Thread is a note's thread as Client.Thread reads it: Ancestors the root
// first, Descendants depth first (each reply followed by its own
// replies, siblings oldest first).
type Thread struct {
	Ancestors, Descendants []fedimarks.Status
	// Cut says a walk stopped at MaxThreadCalls: the server holds more of
	// the thread than was read.
	Cut bool
	// SelfWhole says the author's own thread (the ancestors and the
	// author's chain of replies below the note) was read to the end, even
	// when Cut: with every reply asked for, a cut walk is followed by one
	// of the author's chain alone, with calls of its own.
	SelfWhole bool
}

// Thread returns the thread of the note id on the account's server, as
// Mastodon's context endpoint would. With all every reply is kept, else
// the replies of author (a profile URL, as the note's Status has it) that
// answer the note or another of those kept. Errors are domain kinds (see
// Remote); a note the server no longer has is KindNotFound.
func (c *Client) Thread(ctx context.Context, id, author string, all bool) (Thread, error) {
	var t Thread
	anc, ancCut, err := c.ancestors(ctx, id)
	if err != nil {
		return Thread{}, err
	}
	w := replyWalk{c: c, read: map[string][]fedimarks.Status{}, kept: map[string][]fedimarks.Status{}}
	cut, err := w.walk(ctx, id, author, all)
	if err != nil {
		return Thread{}, err
	}
	selfCut := cut
	if cut && all {
		// The author's chain may lie past where the walk stopped: read
		// it apart (the replies read already cost no call again).
		if selfCut, err = w.walk(ctx, id, author, false); err != nil {
			return Thread{}, err
		}
	}
	t.Ancestors, t.Descendants = anc, w.flatten(id)
	t.Cut, t.SelfWhole = ancCut || cut, !ancCut && !selfCut
	return t, nil
}

// ancestors reads the notes id replies to, the root first; cut when
// MaxThreadCalls stopped it.
func (c *Client) ancestors(ctx context.Context, id string) (out []fedimarks.Status, cut bool, err error) {
	for calls := 0; ; calls++ {
		if calls == MaxThreadCalls {
			cut = true
			break
		}
		var notes []json.RawMessage
		err := c.callJSON(ctx, "notes/conversation", map[string]any{"noteId": id, "limit": threadPage, "offset": len(out)}, &notes)
		if err != nil {
			return nil, false, err
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
	return out, cut, nil
}

// replyWalk reads the replies below a note, MaxThreadCalls calls a walk.
type replyWalk struct {
	c     *Client
	calls int
	// read holds the replies of each note whose replies were read to
	// the end, oldest first; kept the replies kept below each note.
	read, kept map[string][]fedimarks.Status
}

// walk keeps the replies below id (with all every one, else the author's
// chain) and reports whether MaxThreadCalls stopped it.
func (w *replyWalk) walk(ctx context.Context, id, author string, all bool) (cut bool, err error) {
	w.calls = 0
	var visit func(parent string) error
	visit = func(parent string) error {
		kids, whole, err := w.replies(ctx, parent)
		if err != nil {
			return err
		}
		cut = cut || !whole
		for _, k := range kids {
			if !all && k.Account.URL != author {
				continue
			}
			w.keep(parent, k)
			if err := visit(k.ID); err != nil {
				return err
			}
		}
		return nil
	}
	err = visit(id)
	return cut, err
}

// keep adds k to the replies kept below parent, once.
func (w *replyWalk) keep(parent string, k fedimarks.Status) {
	for _, had := range w.kept[parent] {
		if had.ID == k.ID {
			return
		}
	}
	w.kept[parent] = append(w.kept[parent], k)
}

// flatten lists the replies kept below id depth first, siblings oldest
// first: in the order the server gave a note's replies, when they were
// read to the end.
func (w *replyWalk) flatten(id string) []fedimarks.Status {
	var out []fedimarks.Status
	var add func(parent string)
	add = func(parent string) {
		kids := w.kept[parent]
		if all, ok := w.read[parent]; ok && len(kids) > 1 {
			at := make(map[string]int, len(all))
			for i, a := range all {
				at[a.ID] = i
			}
			slices.SortStableFunc(kids, func(a, b fedimarks.Status) int { return cmp.Compare(at[a.ID], at[b.ID]) })
		}
		for _, k := range kids {
			out = append(out, k)
			add(k.ID)
		}
	}
	add(id)
	return out
}

// replies reads the direct replies of the note id, oldest first, within
// the walk's calls; whole is false when the calls ran out first (a note
// whose replies were read before costs none).
func (w *replyWalk) replies(ctx context.Context, id string) (out []fedimarks.Status, whole bool, err error) {
	if kids, ok := w.read[id]; ok {
		return kids, true, nil
	}
	until := ""
	for {
		if w.calls >= MaxThreadCalls {
			slices.Reverse(out)
			return out, false, nil
		}
		params := map[string]any{"noteId": id, "limit": threadPage}
		if until != "" {
			params["untilId"] = until
		}
		var notes []json.RawMessage
		w.calls++
		if err := w.c.callJSON(ctx, "notes/children", params, &notes); err != nil {
			return nil, false, err
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
			st, err := StatusOf(w.c.server, n, raw)
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
	w.read[id] = out
	return out, true, nil
}
