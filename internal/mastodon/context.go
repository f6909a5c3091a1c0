package mastodon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fedimarks/fedimarks"
)

// ThreadPost is one post of a thread as GET /api/v1/statuses/:id/context
// returns it, with the id (on this server) of the post it replies to,
// which tells a self-thread.
type ThreadPost struct {
	Status      fedimarks.Status
	InReplyToID string
}

// Thread is a post's context: Ancestors oldest first (the root first),
// Descendants in the server's order (depth first).
type Thread struct {
	Ancestors, Descendants []ThreadPost
}

// Context returns the thread of the post id on this server
// (GET /api/v1/statuses/:id/context). One request, paced and retried like
// every read. With the token it needs read:statuses, which fedimarks does
// not ask for at login: Mastodon then answers 403. anonymous asks without
// the token, as Mastodon allows for public posts (the thread then holds
// only what the server shows everyone).
func (c *Client) Context(ctx context.Context, id string, anonymous bool) (Thread, error) {
	var w struct {
		Ancestors   []json.RawMessage `json:"ancestors"`
		Descendants []json.RawMessage `json:"descendants"`
	}
	k := kindAPI
	if anonymous {
		k = kindAnon
	}
	r := &call{method: http.MethodGet, url: c.apiURL("/api/v1/statuses/" + url.PathEscape(id) + "/context"), kind: k, idempotent: true}
	if _, err := c.getJSON(ctx, r, &w); err != nil {
		return Thread{}, err
	}
	var t Thread
	for _, part := range []struct {
		raws []json.RawMessage
		dst  *[]ThreadPost
	}{{w.Ancestors, &t.Ancestors}, {w.Descendants, &t.Descendants}} {
		for _, raw := range part.raws {
			p, err := threadPost(raw)
			if err != nil {
				return Thread{}, fmt.Errorf("context of %s: %w", id, err)
			}
			*part.dst = append(*part.dst, p)
		}
	}
	return t, nil
}

func threadPost(raw json.RawMessage) (ThreadPost, error) {
	st, err := fedimarks.ParseStatus(raw)
	if err != nil {
		return ThreadPost{}, err
	}
	var w struct {
		InReplyToID json.RawMessage `json:"in_reply_to_id"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return ThreadPost{}, err
	}
	return ThreadPost{Status: st, InReplyToID: fedimarks.IDString(w.InReplyToID)}, nil
}

// SelfThread keeps of t what the author of the post (whose id on this
// server is id; author is the author's profile URL) wrote around it: every
// ancestor (the conversation it answers), and the descendants that are
// the author's replies to the post or to their own replies below it, the
// chain unbroken by anyone else. Authors are compared by profile URL,
// which is the same on every server.
func SelfThread(t Thread, id, author string) Thread {
	out := Thread{Ancestors: t.Ancestors}
	own := map[string]bool{id: true}
	for _, d := range t.Descendants {
		if d.Status.Account.URL == author && own[d.InReplyToID] {
			own[d.Status.ID] = true
			out.Descendants = append(out.Descendants, d)
		}
	}
	return out
}

// ContextLimits are the most a server's context endpoint gives of a
// thread: ancestors (the nearest), descendants (depth first) and levels of
// replies below the post; 0 is no limit.
type ContextLimits struct {
	Ancestors, Descendants, Depth int
}

// MastodonContextLimits are Mastodon's (Api::V1::Statuses::
// ContextsController): 4,096 ancestors and 4,096 descendants to a reader
// with a token; to one without (anonymous), 40 ancestors, 60 descendants
// and 20 levels of replies. They count before the reader's visibility is
// applied, so a thread cut where some posts are hidden from the reader
// comes back shorter than the limit, and is not told apart.
func MastodonContextLimits(anonymous bool) ContextLimits {
	if anonymous {
		return ContextLimits{Ancestors: 40, Descendants: 60, Depth: 20}
	}
	return ContextLimits{Ancestors: 4096, Descendants: 4096}
}

// Reached reports whether t, the thread of the post id, reached one of
// the limits l: the server may then hold more of the thread than t. A
// thread exactly as long as a limit is counted in.
func (t Thread) Reached(id string, l ContextLimits) bool {
	if l.Ancestors > 0 && len(t.Ancestors) >= l.Ancestors || l.Descendants > 0 && len(t.Descendants) >= l.Descendants {
		return true
	}
	if l.Depth <= 0 {
		return false
	}
	depth := map[string]int{id: 0}
	for _, d := range t.Descendants { // depth first: a parent comes before its replies
		up, ok := depth[d.InReplyToID]
		if !ok {
			continue
		}
		if depth[d.Status.ID] = up + 1; up+1 >= l.Depth {
			return true
		}
	}
	return false
}
