package mastodontest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// postBase is when default posts are made: the k-th post of a network is
// created k minutes after it, so default creation times are reproducible.
var postBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Account is a user of one Instance. Its methods are test setup and
// assertions; they are safe for concurrent use.
type Account struct {
	n        *Network
	inst     *Instance
	username string
	id       string
	avatar   string // path of the avatar file on inst
	display  string // display name; "" renders the capitalized username

	// Guarded by n.mu.
	follows   map[*Account]bool
	bookmarks []*bookmark // oldest first
	marked    map[*post]*bookmark
	posts     int
}

type bookmark struct {
	seq int64 // per-instance bookmark id, the paging cursor
	p   *post // never a boost
}

// post is a status on its origin instance; local copies on other instances
// point at the same post.
type post struct {
	origin     *Instance
	author     *Account
	id         string // on the origin
	uri, url   string
	content    string
	visibility string
	spoiler    string
	language   string
	sensitive  bool
	createdAt  time.Time
	media      []*mediaFile
	mentions   []*Account
	tags       []string
	reblog     *post
	deleted    bool
	inReplyTo  *post  // see Status.Reply
	mfm        string // a Misskey note's source text (content is its HTML)
	quote      bool   // a Misskey quote: a renote (reblog) with text of its own
}

// mediaFile is one attachment as served by the origin.
type mediaFile struct {
	typ         string
	description string
	original    string // URL on the origin
	small       string
}

// localCopy is a post as an instance knows it: its own id for it and for
// its attachments.
type localCopy struct {
	id       string
	mediaIDs []string
}

// Status is a post made with Account.Post. Its methods are safe for
// concurrent use.
type Status struct {
	n *Network
	p *post
}

// PostOptions describes a post. The zero value is a public post with a
// generated text.
type PostOptions struct {
	// Text is the HTML content; default "<p>Post N by @name</p>".
	Text string
	// Visibility is public (default), unlisted, private (followers only)
	// or direct (mentioned accounts only).
	Visibility  string
	SpoilerText string
	// Language is an ISO 639-1 code; "" renders as null.
	Language  string
	Sensitive bool
	// CreatedAt defaults to 2024-01-01T00:00:00Z plus one minute per post
	// made on the network so far.
	CreatedAt time.Time
	Media     []MediaOptions
	Mentions  []*Account
	Tags      []string
	// Reblog makes the post a boost of another status (Text, Media and
	// the like are then ignored). Bookmarking a boost bookmarks the
	// original.
	Reblog *Status
}

// MediaOptions describes one attachment.
type MediaOptions struct {
	// Type is image (default), video, gifv, audio or unknown.
	Type string
	// Size is the number of bytes of the original file (default 1234);
	// the small preview has Size/4 bytes (at least 1). Images are valid
	// PNG files padded to the size when Size allows (at least 80 bytes).
	Size int
	// Missing makes both files answer 404.
	Missing     bool
	Description string
}

// AddAccount creates a local account, or returns the existing one of that
// username.
func (i *Instance) AddAccount(username string) *Account {
	n := i.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if a := i.accounts[strings.ToLower(username)]; a != nil {
		return a
	}
	a := &Account{n: n, inst: i, username: username, follows: map[*Account]bool{}, marked: map[*post]*bookmark{}}
	i.seq++
	switch i.opts.Quirk {
	case GoToSocial:
		a.id = ulid(idBase.Add(time.Duration(i.seq)*time.Second), i.seq)
	case Snac:
		a.id = md5ID(a.actorURI())
	case Misskey:
		a.id = aidx(idBase.Add(time.Duration(i.seq)*time.Second), i.seq)
	default:
		a.id = snowflake(idBase.Add(time.Duration(i.seq)*time.Second), i.seq)
	}
	i.accounts[strings.ToLower(username)] = a
	i.accountByID[a.id] = a
	a.avatar = fmt.Sprintf("/system/accounts/avatars/%s/original/%s.png", numberPath(i.seq), username)
	i.files[a.avatar] = &file{ctype: "image/png", size: 1234}
	return a
}

// numberPath splits a number the way Mastodon's Paperclip paths do:
// 7 -> "000/000/007".
func numberPath(k int64) string {
	s := fmt.Sprintf("%09d", k)
	return s[0:3] + "/" + s[3:6] + "/" + s[6:]
}

// Handle returns "name@127.0.0.1:PORT".
func (a *Account) Handle() string { return a.username + "@" + a.inst.host }

// Username returns the account's name without the host.
func (a *Account) Username() string { return a.username }

// ID returns the account's id on its own instance.
func (a *Account) ID() string { return a.id }

// Instance returns the account's instance.
func (a *Account) Instance() *Instance { return a.inst }

// actorURI is the account's ActivityPub id.
func (a *Account) actorURI() string {
	switch a.inst.opts.Quirk {
	case Snac:
		return a.inst.URL() + "/" + a.username
	case Misskey:
		return a.inst.URL() + "/users/" + a.id // Misskey names actors by id
	}
	return a.inst.URL() + "/users/" + a.username
}

// profileURL is the account's web page.
func (a *Account) profileURL() string {
	switch a.inst.opts.Quirk {
	case Pixelfed, Snac:
		return a.inst.URL() + "/" + a.username
	}
	return a.inst.URL() + "/@" + a.username
}

// Post makes a post by a on its instance.
func (a *Account) Post(o PostOptions) *Status {
	n := a.n
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	i := a.inst
	vis := o.Visibility
	if vis == "" {
		vis = "public"
	}
	if !slices.Contains([]string{"public", "unlisted", "private", "direct"}, vis) {
		n.t.Fatalf("mastodontest: bad visibility %q", vis)
	}
	n.postSeq++
	created := o.CreatedAt
	if created.IsZero() {
		created = postBase.Add(time.Duration(n.postSeq) * time.Minute)
	}
	p := &post{
		origin: i, author: a, visibility: vis, spoiler: o.SpoilerText, language: o.Language,
		sensitive: o.Sensitive, createdAt: created.UTC(), mentions: slices.Clone(o.Mentions),
		tags: slices.Clone(o.Tags),
	}
	if o.Reblog != nil {
		p.reblog = o.Reblog.p
		if p.reblog.reblog != nil {
			p.reblog = p.reblog.reblog
		}
		i.federate(p.reblog)
		p.spoiler, p.language, p.sensitive, p.mentions, p.tags = "", "", false, nil, nil
	}
	i.seq++
	seq := i.seq
	switch i.opts.Quirk {
	case GoToSocial:
		p.id = ulid(p.createdAt, seq)
		p.uri = a.actorURI() + "/statuses/" + p.id
		p.url = a.profileURL() + "/statuses/" + p.id
	case Pixelfed:
		p.id = snowflake(p.createdAt, seq)
		p.uri = i.URL() + "/p/" + a.username + "/" + p.id
		p.url = p.uri
	case Snac:
		p.uri = fmt.Sprintf("%s/p/%d.%06d", a.actorURI(), p.createdAt.Unix(), seq%1000000)
		p.url = p.uri
		p.id = md5ID(p.uri)
	case Misskey:
		p.id = aidx(p.createdAt, seq)
		p.uri = i.URL() + "/notes/" + p.id
		p.url = p.uri
	default:
		p.id = snowflake(p.createdAt, seq)
		p.uri = a.actorURI() + "/statuses/" + p.id
		p.url = a.profileURL() + "/" + p.id
	}
	if p.reblog != nil {
		p.uri += "/activity"
		p.url = ""
	} else {
		p.content = o.Text
		if p.content == "" {
			p.content = fmt.Sprintf("<p>Post %d by @%s</p>", n.postSeq, a.username)
			if i.opts.Quirk == Misskey {
				p.content = fmt.Sprintf("Note %d by @%s", n.postSeq, a.username)
			}
		}
		if i.opts.Quirk == Misskey {
			p.mfm, p.content = p.content, mfmHTML(p.content)
		}
		for k, m := range o.Media {
			p.media = append(p.media, i.addMedia(m, seq, k))
		}
	}
	a.posts++
	n.byURI[p.uri] = p
	if p.url != "" {
		n.byURL[p.url] = p
	}
	i.copies[p] = &localCopy{id: p.id, mediaIDs: i.mediaIDs(p)}
	i.byID[p.id] = p
	return &Status{n: n, p: p}
}

// addMedia registers the files of one attachment on the origin.
func (i *Instance) addMedia(m MediaOptions, seq int64, k int) *mediaFile {
	typ := m.Type
	if typ == "" {
		typ = "image"
	}
	size := m.Size
	if size <= 0 {
		size = 1234
	}
	ext, ctype := "bin", "application/octet-stream"
	switch typ {
	case "image":
		ext, ctype = "png", "image/png"
	case "video", "gifv":
		ext, ctype = "mp4", "video/mp4"
	case "audio":
		ext, ctype = "mp3", "audio/mpeg"
	}
	dir := fmt.Sprintf("/system/media_attachments/files/%s", numberPath(seq*100+int64(k)))
	if i.opts.Quirk == Misskey {
		dir = fmt.Sprintf("/files/%s", numberPath(seq*100+int64(k)))
	}
	mf := &mediaFile{
		typ:         typ,
		description: m.Description,
		original:    fmt.Sprintf("%s/original/%d.%s", dir, k, ext),
		small:       fmt.Sprintf("%s/small/%d.%s", dir, k, ext),
	}
	small := max(size/4, 1)
	if typ == "video" || typ == "gifv" {
		mf.small = fmt.Sprintf("%s/small/%d.png", dir, k) // Mastodon's previews of videos are images
		i.files[mf.small] = &file{ctype: "image/png", size: small, missing: m.Missing}
	} else {
		i.files[mf.small] = &file{ctype: ctype, size: small, missing: m.Missing}
	}
	i.files[mf.original] = &file{ctype: ctype, size: size, missing: m.Missing}
	mf.original = i.URL() + mf.original
	mf.small = i.URL() + mf.small
	return mf
}

// mediaIDs assigns i's ids to p's attachments.
func (i *Instance) mediaIDs(p *post) []string {
	var ids []string
	for range p.media {
		i.seq++
		switch i.opts.Quirk {
		case GoToSocial:
			ids = append(ids, ulid(idBase.Add(time.Duration(i.seq)*time.Second), i.seq))
		case Misskey:
			ids = append(ids, aidx(idBase.Add(time.Duration(i.seq)*time.Second), i.seq))
		default:
			ids = append(ids, strconv.FormatInt(i.seq, 10))
		}
	}
	return ids
}

// federate makes (once) i's local copy of p and returns its local id.
func (i *Instance) federate(p *post) string {
	if c := i.copies[p]; c != nil {
		return c.id
	}
	if p.reblog != nil {
		i.federate(p.reblog)
	}
	i.seq++
	var id string
	switch i.opts.Quirk {
	case GoToSocial:
		id = ulid(p.createdAt, i.seq)
	case Snac:
		id = md5ID(p.uri)
	case Misskey:
		id = aidx(p.createdAt, i.seq)
	default:
		id = snowflake(p.createdAt, i.seq)
	}
	i.copies[p] = &localCopy{id: id, mediaIDs: i.mediaIDs(p)}
	i.byID[id] = p
	return id
}

// Federate makes i's local copy of s, as if it had been delivered to i,
// and returns its id on i (stable: the same on every call). For s's own
// instance it returns s.ID().
func (i *Instance) Federate(s *Status) string {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return i.federate(s.p)
}

// LocalID returns the id on i of the post whose origin URI (or URL) is
// uri, or "" if i has no copy of it or it was deleted.
func (i *Instance) LocalID(uri string) string {
	n := i.n
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.lookup(uri)
	if p == nil || p.deleted {
		return ""
	}
	if c := i.copies[p]; c != nil {
		return c.id
	}
	return ""
}

// lookup finds a post by URI or URL.
func (n *Network) lookup(s string) *post {
	if p := n.byURI[s]; p != nil {
		return p
	}
	return n.byURL[s]
}

// accountID returns i's id for a (assigning one to a remote account once).
func (i *Instance) accountID(a *Account) string {
	if a.inst == i {
		return a.id
	}
	if id, ok := i.remoteIDs[a]; ok {
		return id
	}
	i.seq++
	var id string
	switch i.opts.Quirk {
	case GoToSocial:
		id = ulid(idBase.Add(time.Duration(i.seq)*time.Second), i.seq)
	case Snac:
		id = md5ID(a.actorURI())
	case Misskey:
		id = aidx(idBase.Add(time.Duration(i.seq)*time.Second), i.seq)
	default:
		id = snowflake(idBase.Add(time.Duration(i.seq)*time.Second), i.seq)
	}
	i.remoteIDs[a] = id
	i.accountByID[id] = a
	return id
}

// URI returns the post's ActivityPub id on its origin, e.g. Mastodon
// "http://HOST/users/NAME/statuses/ID".
func (s *Status) URI() string { return s.p.uri }

// URL returns the post's web page, e.g. Mastodon "http://HOST/@NAME/ID"
// ("" for a boost).
func (s *Status) URL() string { return s.p.url }

// ID returns the post's id on its origin instance.
func (s *Status) ID() string { return s.p.id }

// Author returns the account that made the post.
func (s *Status) Author() *Account { return s.p.author }

// MediaURLs returns the URLs of the original files of the attachments.
func (s *Status) MediaURLs() []string {
	var u []string
	for _, m := range s.p.media {
		u = append(u, m.original)
	}
	return u
}

// Delete deletes the post everywhere: the origin answers 404 for it (over
// ActivityPub too, or 410 with a Tombstone: see SetGoneAnswer), resolving
// finds nothing, and bookmark listings on every instance leave it out, as
// Mastodon's do.
func (s *Status) Delete() {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	s.p.deleted = true
}

// Follow makes a follow b (accepted at once).
func (a *Account) Follow(b *Account) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.follows[b] = true
}

// Unfollow undoes Follow.
func (a *Account) Unfollow(b *Account) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	delete(a.follows, b)
}

// Bookmark bookmarks s for a as test setup (no visibility check), making a
// local copy on a's instance if s is remote; a boost bookmarks its
// original. The new bookmark is the newest; bookmarking again changes
// nothing.
func (a *Account) Bookmark(s *Status) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.bookmark(s.p)
}

func (a *Account) bookmark(p *post) (added bool) {
	if p.reblog != nil {
		p = p.reblog
	}
	a.inst.federate(p)
	if a.bookmarkOf(p) != nil {
		return false
	}
	a.inst.bookmarkSeq++
	b := &bookmark{seq: a.inst.bookmarkSeq, p: p}
	a.bookmarks = append(a.bookmarks, b)
	a.marked[p] = b
	return true
}

func (a *Account) bookmarkOf(p *post) *bookmark { return a.marked[p] }

// Unbookmark removes a's bookmark of s (or of the original of a boost), if any.
func (a *Account) Unbookmark(s *Status) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.unbookmark(s.p)
}

func (a *Account) unbookmark(p *post) {
	if p.reblog != nil {
		p = p.reblog
	}
	if a.marked[p] == nil {
		return
	}
	delete(a.marked, p)
	a.bookmarks = slices.DeleteFunc(a.bookmarks, func(b *bookmark) bool { return b.p == p })
}

// BookmarkURIs returns the origin URIs of a's bookmarks, newest first, as
// paging through GET /api/v1/bookmarks to the end collects them: deleted
// posts are left out (as in Mastodon's CSV export), and so are the
// bookmarks hidden by InstanceOptions.HideEvery or HideUnfollowed.
func (a *Account) BookmarkURIs() []string { return a.bookmarkURIs(false) }

// AllBookmarkURIs is BookmarkURIs with the bookmarks hidden by
// InstanceOptions.HideEvery or HideUnfollowed kept.
func (a *Account) AllBookmarkURIs() []string { return a.bookmarkURIs(true) }

func (a *Account) bookmarkURIs(withHidden bool) []string {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	var out []string
	for _, b := range slices.Backward(a.bookmarks) {
		if !b.p.deleted && (withHidden || !a.inst.hidden(a, b)) {
			out = append(out, b.p.uri)
		}
	}
	return out
}

// visible reports whether viewer (nil: anonymous or an app) may see p.
func visible(p *post, viewer *Account) bool {
	if p.deleted {
		return false
	}
	if p.reblog != nil && !visible(p.reblog, viewer) {
		return false
	}
	switch p.visibility {
	case "public", "unlisted":
		return true
	}
	if viewer == nil {
		return false
	}
	if viewer == p.author {
		return true
	}
	if p.visibility == "private" {
		return viewer.follows[p.author]
	}
	return slices.Contains(p.mentions, viewer)
}
