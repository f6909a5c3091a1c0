package mastodontest

import (
	"net/http"
	"slices"
	"strings"
)

// Threads on a Misskey instance, as misskey-dev/misskey's endpoints
// notes/conversation and notes/children answer (neither needs a
// credential nor a permission; a token, when sent, only decides what the
// caller may see):
//
//   - notes/conversation {noteId, limit 1-100 (10), offset (0)}: the notes
//     the note replies to, nearest first (its parent, then the parent's
//     parent, ...), from offset, at most limit; the walk stops at a note
//     the server no longer has. An unknown or deleted noteId is 400
//     NO_SUCH_NOTE (GetterService.getNote; the same id as notes/show's);
//   - notes/children {noteId, limit 1-100 (10), sinceId, untilId}: the
//     note's direct replies AND its quotes (renotes with text or files),
//     only those the caller may see, newest first (makePaginationQuery:
//     oldest first with sinceId alone); an unknown noteId is an empty list,
//     not an error.

func init() {
	registerMisskey(
		&misskeyEndpoint{name: "notes/conversation", handle: (*Instance).mkConversation},
		&misskeyEndpoint{name: "notes/children", handle: (*Instance).mkChildren},
	)
}

// mkConversation is POST /api/notes/conversation.
func (i *Instance) mkConversation(c *misskeyCall) reply {
	if _, ok := c.str("noteId"); !ok {
		return invalidParam("noteId", "required")
	}
	limit, ok := c.intParam("limit", 10, 1, 100)
	if !ok {
		return invalidParam("limit", "must be an integer from 1 to 100")
	}
	offset, ok := c.intParam("offset", 0, 0, 1<<30)
	if !ok {
		return invalidParam("offset", "must be an integer")
	}
	p := i.note(c)
	if p == nil {
		return mkConversationNoSuchNote.reply(nil)
	}
	out := []mkNoteJSON{}
	k := 0
	for q := p.inReplyTo; q != nil && !q.deleted && len(out) < limit; q = q.inReplyTo {
		k++
		if k > offset {
			out = append(out, i.packNote(q, c.user, true))
		}
	}
	return jsonReply(http.StatusOK, out)
}

// mkConversationNoSuchNote is notes/conversation's own NO_SUCH_NOTE.
var mkConversationNoSuchNote = misskeyError{http.StatusBadRequest, "NO_SUCH_NOTE", "No such note.", "e1035875-9551-45ec-afa8-1ded1fcb53c8", ""}

// mkChildren is POST /api/notes/children.
func (i *Instance) mkChildren(c *misskeyCall) reply {
	id, ok := c.str("noteId")
	if !ok {
		return invalidParam("noteId", "required")
	}
	limit, ok := c.intParam("limit", 10, 1, 100)
	if !ok {
		return invalidParam("limit", "must be an integer from 1 to 100")
	}
	since, ok1 := c.idParam("sinceId")
	until, ok2 := c.idParam("untilId")
	if !ok1 || !ok2 {
		return invalidParam("untilId", "must be a misskey:id")
	}
	p := i.byID[id]
	out := []mkNoteJSON{}
	if p == nil {
		return jsonReply(http.StatusOK, out)
	}
	var kids []*post
	for _, q := range i.n.byURI {
		reply := q.inReplyTo == p
		quote := q.reblog == p && q.quote
		if (reply || quote) && visible(q, c.user) {
			i.federate(q)
			kid := i.copies[q].id
			if (until == "" || kid < until) && (since == "" || kid > since) {
				kids = append(kids, q)
			}
		}
	}
	slices.SortFunc(kids, func(x, y *post) int { return -strings.Compare(i.copies[x].id, i.copies[y].id) })
	if since != "" && until == "" {
		slices.Reverse(kids)
	}
	for _, q := range kids[:min(limit, len(kids))] {
		out = append(out, i.packNote(q, c.user, true))
	}
	return jsonReply(http.StatusOK, out)
}

// Quote makes a Misskey quote of s by a: a renote with a's own text (o's),
// which notes/children lists among s's children, as Misskey does.
func (s *Status) Quote(a *Account, o PostOptions) *Status {
	q := a.Post(o)
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	q.p.reblog, q.p.quote = s.p, true
	a.inst.federate(s.p)
	return q
}

// mkInternalError is ApiCallService's answer to an endpoint that threw.
var mkInternalError = misskeyError{http.StatusInternalServerError, "INTERNAL_ERROR", "Internal error occurred. Please contact us if the error persists.", "5d37dbcb-891e-41ca-a3d6-e690c97775ac", "server"}

// FailEndpoint makes the next n calls of endpoint (e.g. "notes/children")
// on a Misskey instance answer 500 INTERNAL_ERROR, as Misskey does when an
// endpoint throws (a database error, a bug).
func (i *Instance) FailEndpoint(endpoint string, n int) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	if i.mk.failing == nil {
		i.mk.failing = map[string]int{}
	}
	i.mk.failing[endpoint] = n
}
