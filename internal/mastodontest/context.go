package mastodontest

import (
	"slices"
)

// Threads: replies and GET /api/v1/statuses/:id/context, as Mastodon
// answers it: {"ancestors": [...], "descendants": [...]}, ancestors oldest
// first (the root first), descendants in depth-first order of the reply
// tree (each reply followed by its own replies, siblings oldest first),
// each post rendered as the instance shows it (its own id) and only those
// the viewer may see. The request counts against the rate limit like any
// other. A post that is gone (or not visible) is 404. The Mastodon quirk
// caps the answer as Mastodon does (ContextsController): 4,096 ancestors
// (the nearest) and 4,096 descendants with a token; without one, 40
// ancestors, 60 descendants and 20 levels of replies. The caps count
// before the viewer's visibility is applied, as Mastodon's queries do.

// Reply makes a reply to s by a, as Account.Post does, with in_reply_to_id
// and in_reply_to_account_id set. A reply by s's author to s (or to the
// author's own reply) makes a self-thread.
func (s *Status) Reply(a *Account, o PostOptions) *Status {
	r := a.Post(o)
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	r.p.inReplyTo = s.p
	return r
}

// renderReplyTo fills in_reply_to_id and in_reply_to_account_id with i's
// ids for the post p replies to.
func (i *Instance) renderReplyTo(j *statusJSON, p *post) {
	if p.inReplyTo == nil {
		return
	}
	id, acc := i.federate(p.inReplyTo), i.accountID(p.inReplyTo.author)
	j.InReplyToID, j.InReplyToAccountID = &id, &acc
}

type contextJSON struct {
	Ancestors   []statusJSON `json:"ancestors"`
	Descendants []statusJSON `json:"descendants"`
}

func (i *Instance) statusContext(id string, a auth) reply {
	if rp, ok := i.allowIfToken(a, "read:statuses", "read"); !ok {
		return rp
	}
	p := i.byID[id]
	viewer := a.user()
	if p == nil || !visible(p, viewer) {
		return i.notFound("status")
	}
	if p.reblog != nil {
		p = p.reblog
	}
	out := contextJSON{Ancestors: []statusJSON{}, Descendants: []statusJSON{}}
	maxUp, maxDown, maxDepth := -1, -1, -1 // -1: no cap
	if i.opts.Quirk == Mastodon {
		maxUp, maxDown = 4096, 4096
		if viewer == nil {
			maxUp, maxDown, maxDepth = 40, 60, 20
		}
	}
	var up []*post
	for q := p.inReplyTo; q != nil && len(up) != maxUp; q = q.inReplyTo {
		up = append(up, q)
	}
	slices.Reverse(up)
	for _, q := range up {
		if visible(q, viewer) {
			out.Ancestors = append(out.Ancestors, i.renderStatus(q, viewer))
		}
	}
	children := map[*post][]*post{}
	for _, q := range i.n.byURI {
		if q.inReplyTo != nil {
			children[q.inReplyTo] = append(children[q.inReplyTo], q)
		}
	}
	var tree []*post // depth first, with its cap: what Mastodon's query reads
	hidden := map[*post]bool{}
	var walk func(q *post, depth int)
	walk = func(q *post, depth int) {
		if depth == maxDepth {
			return
		}
		kids := children[q]
		slices.SortFunc(kids, func(x, y *post) int { return x.createdAt.Compare(y.createdAt) })
		for _, k := range kids {
			if len(tree) == maxDown {
				return
			}
			tree = append(tree, k)
			walk(k, depth+1)
		}
	}
	walk(p, 0)
	for _, k := range tree {
		// Replies to a hidden post are hidden with it.
		if hidden[k.inReplyTo] || !visible(k, viewer) {
			hidden[k] = true
			continue
		}
		out.Descendants = append(out.Descendants, i.renderStatus(k, viewer))
	}
	return jsonReply(200, out)
}
