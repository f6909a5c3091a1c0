package mastodontest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// An instance is also the origin of its posts: it serves each post's
// ActivityPub object at the post's URI (and URL) to a GET that asks for
// application/activity+json or application/ld+json, as other servers fetch
// it when they resolve the post, and as a client may fetch it to ask the
// post's own server what it knows. What a real server answers there
// (shared/MASTODON.md, "Asking the post's own server"):
//
//   - a public or unlisted post: 200 and the object (a Note);
//   - a deleted post: 404, or 410 with a Tombstone (SetGoneAnswer);
//   - a followers-only or direct post: 404 to an unsigned fetch (other
//     instances sign theirs, and see it when their viewer may);
//   - with "authorized fetch" (SetAuthorizedFetch; always on GoToSocial,
//     which requires a signature on every ActivityPub GET): 401 to every
//     unsigned fetch, whatever the post;
//   - a server in trouble: no answer (SetDown), slowly (SetLatency), or a
//     5xx (FailObjects).
//
// The fetches instances make of each other's posts carry a Signature
// header naming the fetching instance (keyId), so that the origin can tell
// them from unsigned ones; the signature itself is not checked.

// objectState is how an instance answers ActivityPub fetches of its posts
// and fetches those of others. Guarded by n.mu.
type objectState struct {
	goneStatus     int  // 404 or 410 (with a Tombstone) for deleted posts; 0: 404
	authorized     bool // unsigned fetches answer 401 (when authorizedSet)
	authorizedSet  bool // else: GoToSocial only
	failStatus     int  // every fetch of a post answers this (5xx); 0: none
	fetchTimeout   time.Duration
	unsigned       int // unsigned fetches of posts answered
	unsignedAccept []string
}

// SetGoneAnswer sets how the instance answers an ActivityPub fetch of one
// of its deleted posts: http.StatusNotFound (the default, as Mastodon and
// GoToSocial do) or http.StatusGone, with a Tombstone object as body.
func (i *Instance) SetGoneAnswer(status int) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	if status != http.StatusGone {
		status = http.StatusNotFound
	}
	i.ap.goneStatus = status
}

// SetAuthorizedFetch turns "authorized fetch" (Mastodon's secure mode) on
// or off: every unsigned ActivityPub fetch then answers 401, whether the
// post exists or not, while other instances' (signed) fetches still work.
// It is on by default for GoToSocial, off for the others.
func (i *Instance) SetAuthorizedFetch(on bool) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.ap.authorized, i.ap.authorizedSet = on, true
}

// authorizedFetch reports whether unsigned fetches are refused.
func (i *Instance) authorizedFetch() bool {
	if i.ap.authorizedSet {
		return i.ap.authorized
	}
	return i.opts.Quirk == GoToSocial
}

// FailObjects makes every ActivityPub fetch of the instance's posts, signed
// or not, answer status (a 5xx, as from a broken proxy) until called with
// 0. Other instances then cannot fetch its posts either (Mastodon's search
// answers 503 "Remote data could not be fetched", the others nothing).
func (i *Instance) FailObjects(status int) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.ap.failStatus = status
}

// SetFetchTimeout makes the instance give up fetching a post from another
// instance after d (0, the default: it waits as long as the request
// lasts), as real servers do: a resolving search for a post of a slow
// server then answers as if the server were down.
func (i *Instance) SetFetchTimeout(d time.Duration) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.ap.fetchTimeout = d
}

// UnsignedFetches returns how many unsigned ActivityPub fetches of its
// posts the instance answered (clients asking a post's own server; other
// instances sign their fetches), and the Accept header of each.
func (i *Instance) UnsignedFetches() (int, []string) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return i.ap.unsigned, append([]string(nil), i.ap.unsignedAccept...)
}

// wantsObject reports whether r asks for ActivityPub JSON rather than a
// web page.
func wantsObject(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "activity+json") || strings.Contains(accept, "ld+json")
}

// signer returns the host of the instance that signed r (the host of its
// Signature keyId), or "" for an unsigned request.
func signer(r *http.Request) string {
	sig := r.Header.Get("Signature")
	_, rest, ok := strings.Cut(sig, `keyId="`)
	if !ok {
		return ""
	}
	keyID, _, _ := strings.Cut(rest, `"`)
	u, err := url.Parse(keyID)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// sign marks a fetch made by instance from, as servers sign theirs
// (HTTP Signatures); only the keyId means anything here.
func sign(req *http.Request, from *Instance) {
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s/actor#main-key",algorithm="hs2019",headers="(request-target) host date",signature="bWFzdG9kb250ZXN0"`, from.URL()))
}

// serveObject answers an ActivityPub fetch of one of the instance's posts.
// It runs with n.mu held and may release it (see handshake).
func (i *Instance) serveObject(r *http.Request) reply {
	from := signer(r)
	if from == "" {
		i.ap.unsigned++
		i.ap.unsignedAccept = append(i.ap.unsignedAccept, r.Header.Get("Accept"))
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errReply(http.StatusNotFound, "Record not found")
	}
	if i.ap.failStatus != 0 {
		return errReply(i.ap.failStatus, failMessage(i.ap.failStatus))
	}
	if from == "" && i.authorizedFetch() {
		return errReply(http.StatusUnauthorized, "Request not signed")
	}
	p := i.n.lookup(i.URL() + r.URL.Path)
	if p == nil || p.origin != i {
		return errReply(http.StatusNotFound, "Record not found")
	}
	if p.deleted {
		if i.ap.goneStatus == http.StatusGone {
			return objectReply(http.StatusGone, map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams", "id": p.uri, "type": "Tombstone",
			})
		}
		return errReply(http.StatusNotFound, "Record not found")
	}
	if from == "" && p.visibility != "public" && p.visibility != "unlisted" {
		// Mastodon answers an unsigned fetch of a followers-only or direct
		// post as if there were none.
		return errReply(http.StatusNotFound, "Record not found")
	}
	if rp, raced := i.handshake(r.Context(), from); raced {
		return rp
	}
	if p.deleted { // deleted while the lock was released
		return errReply(http.StatusNotFound, "Record not found")
	}
	return objectReply(http.StatusOK, noteJSON(p))
}

func objectReply(status int, obj map[string]any) reply {
	b, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("mastodontest: encode object: %v", err)) // a bug in this package
	}
	return reply{status: status, ctype: "application/activity+json; charset=utf-8", body: b}
}

// fetchContext is the context of a fetch the instance makes of another's
// post while answering r: it ends with r, or after SetFetchTimeout.
func (i *Instance) fetchContext(r *http.Request) (context.Context, context.CancelFunc) {
	if d := i.ap.fetchTimeout; d > 0 {
		return context.WithTimeout(r.Context(), d)
	}
	return context.WithCancel(r.Context())
}
