package mastodontest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Bookmark folders, as Pleroma (2.7+) has them (read in pleroma's source:
// lib/pleroma/bookmark_folder.ex, bookmark.ex, the BookmarkFolder
// controller and view, StatusController.bookmark and .bookmarks,
// StatusView, InstanceView). Akkoma, which forked before them, has none.
//
//   - GET /api/v1/pleroma/bookmark_folders (read:bookmarks): the account's
//     folders, [{"id","name","emoji","emoji_url"}], emoji null or a
//     Unicode emoji (emoji_url null), or a local custom emoji's shortcode
//     with its URL.
//   - POST /api/v1/pleroma/bookmark_folders (write:bookmarks), JSON or form
//     body {name, emoji?}: the new folder; 422 without a name, for a name
//     the account already has, or an emoji that is neither Unicode nor one
//     of the server's custom emoji ("Invalid emoji").
//   - PATCH and DELETE /api/v1/pleroma/bookmark_folders/:id: 403 for a
//     folder that is not the account's (unknown ids too); deleting keeps
//     its bookmarks, in no folder.
//   - POST /api/v1/statuses/:id/bookmark with folder_id in the body (JSON
//     or form; the query string is not read): the bookmark is created or
//     updated, in that folder when it is the account's, else in none. So
//     bookmarking an already bookmarked post without folder_id takes it out
//     of its folder; its place in the listing does not change.
//   - GET /api/v1/bookmarks?folder_id=ID lists one folder (an unknown id:
//     nothing); the Link header keeps the query's other parameters, and
//     Pleroma sends next and prev on every non-empty page.
//   - A status shows "pleroma": {"bookmark_folder": ID or null, ...} to the
//     account that bookmarked it.
//   - /api/v1/instance and /api/v2/instance list "pleroma:bookmark_folders"
//     in pleroma.metadata.features.

// folderState holds an instance's folders. Guarded by n.mu.
type folderState struct {
	seq  int64
	byID map[string]*folder
	of   map[*bookmark]*folder
}

type folder struct {
	id, name, emoji string
	owner           *Account
	n               int64 // creation order
}

// Folder is a bookmark folder as a test sees it.
type Folder struct {
	ID, Name, Emoji string
}

type folderJSON struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Emoji    *string `json:"emoji"`
	EmojiURL *string `json:"emoji_url"`
}

type pleromaJSON struct {
	Local          bool    `json:"local"`
	ConversationID int64   `json:"conversation_id"`
	BookmarkFolder *string `json:"bookmark_folder"`
}

// folderFeatures is what the instance lists in pleroma.metadata.features.
var folderFeatures = []string{"pleroma_api", "mastodon_api", "mastodon_api_streaming", "polls",
	"pleroma_explicit_addressing", "shareable_emoji_packs", "multifetch", "editing", "quote_posting",
	"pleroma_emoji_reactions", "pleroma_custom_emoji_reactions", "pleroma_chat_messages",
	"pleroma:get:main/ostatus", "pleroma:group_actors", "pleroma:bookmark_folders", "pleroma:block_expiration"}

func (i *Instance) withPleroma(m map[string]any) map[string]any {
	if i.opts.Quirk == Pleroma {
		m["pleroma"] = map[string]any{
			"metadata":         map[string]any{"features": folderFeatures, "post_formats": []string{"text/plain", "text/html"}},
			"vapid_public_key": "",
		}
	}
	return m
}

func (i *Instance) renderPleroma(j *statusJSON, p *post, viewer *Account) {
	if i.opts.Quirk != Pleroma {
		return
	}
	pj := &pleromaJSON{Local: p.origin == i, ConversationID: int64(len(p.uri))}
	if viewer != nil && viewer.inst == i {
		if b := viewer.bookmarkOf(p); b != nil {
			if f := i.folders.of[b]; f != nil {
				pj.BookmarkFolder = ptr(f.id)
			}
		}
	}
	j.Pleroma = pj
}

func renderFolder(f *folder) folderJSON {
	j := folderJSON{ID: f.id, Name: f.name}
	if f.emoji != "" {
		j.Emoji = ptr(f.emoji)
	}
	return j
}

// bodyParams reads a request's JSON or form body (not its query string),
// as Pleroma's body_params.
func bodyParams(r *http.Request) url.Values {
	v := url.Values{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]any
		if json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m) == nil {
			for k, x := range m {
				switch x := x.(type) {
				case string:
					v.Set(k, x)
				case float64:
					v.Set(k, strconv.FormatFloat(x, 'f', -1, 64))
				}
			}
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if r.ParseMultipartForm(1<<20) == nil || r.PostForm != nil {
			for k, vs := range r.PostForm {
				v[k] = vs
			}
		}
	}
	return v
}

// folderEndpoint answers /api/v1/pleroma/bookmark_folders[/:id].
func (i *Instance) folderEndpoint(r *http.Request, a auth) reply {
	id, hasID := strings.CutPrefix(r.URL.Path, "/api/v1/pleroma/bookmark_folders/")
	if r.URL.Path != "/api/v1/pleroma/bookmark_folders" && !hasID {
		return i.notFound("")
	}
	switch {
	case !hasID && r.Method == http.MethodGet:
		if rp, ok := i.require(a, true, "read:bookmarks", "read"); !ok {
			return rp
		}
		out := []folderJSON{}
		for _, f := range i.foldersOf(a.tok.account) {
			out = append(out, renderFolder(f))
		}
		return jsonReply(http.StatusOK, out)
	case !hasID && r.Method == http.MethodPost:
		if rp, ok := i.require(a, true, "write:bookmarks", "write"); !ok {
			return rp
		}
		v := bodyParams(r)
		f, rp := i.newFolder(a.tok.account, v.Get("name"), v.Get("emoji"))
		if f == nil {
			return rp
		}
		return jsonReply(http.StatusOK, renderFolder(f))
	case hasID && (r.Method == http.MethodPatch || r.Method == http.MethodDelete):
		if rp, ok := i.require(a, true, "write:bookmarks", "write"); !ok {
			return rp
		}
		f := i.folders.byID[id]
		if f == nil || f.owner != a.tok.account {
			return errReply(http.StatusForbidden, "Access denied")
		}
		if r.Method == http.MethodDelete {
			i.deleteFolder(f)
			return jsonReply(http.StatusOK, renderFolder(f))
		}
		v := bodyParams(r)
		name, emoji := f.name, f.emoji
		if v.Has("name") {
			name = v.Get("name")
		}
		if v.Has("emoji") {
			emoji = v.Get("emoji")
		}
		if rp, ok := i.checkFolder(f.owner, f, name, emoji); !ok {
			return rp
		}
		f.name, f.emoji = name, emoji
		return jsonReply(http.StatusOK, renderFolder(f))
	}
	return i.notFound("")
}

func (i *Instance) foldersOf(a *Account) []*folder {
	var out []*folder
	for _, f := range i.folders.byID {
		if f.owner == a {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(x, y *folder) int { return int(x.n - y.n) })
	return out
}

// checkFolder validates a folder's name and emoji as Pleroma's changeset
// does (f is the folder being changed, nil for a new one).
func (i *Instance) checkFolder(owner *Account, f *folder, name, emoji string) (reply, bool) {
	if strings.TrimSpace(name) == "" {
		return errReply(http.StatusUnprocessableEntity, "Name can't be blank"), false
	}
	for _, g := range i.foldersOf(owner) {
		if g != f && g.name == name {
			return errReply(http.StatusUnprocessableEntity, "Name has already been taken"), false
		}
	}
	if emoji != "" && !unicodeEmoji(emoji) {
		return errReply(http.StatusUnprocessableEntity, "Invalid emoji"), false
	}
	return reply{}, true
}

// unicodeEmoji is a loose Emoji.unicode?: symbols, with joiners and
// variation selectors. The fake has no custom emoji.
func unicodeEmoji(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.So, r), unicode.Is(unicode.Sk, r), r == 0x200d, r >= 0xfe00 && r <= 0xfe0f,
			r >= 0x1f3fb && r <= 0x1f3ff, r >= 0xe0020 && r <= 0xe007f:
		default:
			return false
		}
	}
	return true
}

func (i *Instance) newFolder(owner *Account, name, emoji string) (*folder, reply) {
	if rp, ok := i.checkFolder(owner, nil, name, emoji); !ok {
		return nil, rp
	}
	if i.folders.byID == nil {
		i.folders.byID = map[string]*folder{}
		i.folders.of = map[*bookmark]*folder{}
	}
	i.folders.seq++
	i.seq++
	// Pleroma's ids are FlakeIds: 18 base-62 characters.
	f := &folder{id: fmt.Sprintf("AqF%015d", i.seq), name: name, emoji: emoji, owner: owner, n: i.folders.seq}
	i.folders.byID[f.id] = f
	return f, reply{}
}

func (i *Instance) deleteFolder(f *folder) {
	delete(i.folders.byID, f.id)
	for b, g := range i.folders.of {
		if g == f {
			delete(i.folders.of, b) // on_delete: nilify_all
		}
	}
}

// bookmarkInFolder is Pleroma's POST /api/v1/statuses/:id/bookmark: an
// upsert that sets the folder (none when folder_id is absent or not the
// account's).
func (i *Instance) bookmarkInFolder(id string, a auth, r *http.Request) reply {
	rp := i.setBookmark(id, a, true)
	if rp.status != http.StatusOK {
		return rp
	}
	viewer := a.tok.account
	p := i.byID[id]
	if p.reblog != nil {
		p = p.reblog
	}
	b := viewer.bookmarkOf(p)
	f := i.folders.byID[bodyParams(r).Get("folder_id")]
	if f != nil && f.owner == viewer {
		i.fileBookmark(b, f)
	} else if i.folders.of != nil {
		delete(i.folders.of, b)
	}
	return jsonReply(http.StatusOK, i.renderStatus(p, viewer))
}

func (i *Instance) fileBookmark(b *bookmark, f *folder) {
	if i.folders.of == nil {
		i.folders.of = map[*bookmark]*folder{}
	}
	i.folders.of[b] = f
}

// listPleroma is Pleroma's GET /api/v1/bookmarks: Mastodon's cursors,
// folder_id, and next and prev links on every non-empty page carrying the
// query's other parameters.
func (i *Instance) listPleroma(q url.Values, acct *Account) reply {
	_, shown := i.listed(acct)
	if fid := q.Get("folder_id"); fid != "" {
		f := i.folders.byID[fid]
		shown = slices.DeleteFunc(shown, func(b *bookmark) bool { return f == nil || i.folders.of[b] != f })
	}
	limit := parseLimit(q.Get("limit"), 20, 40)
	page := byIDCursors(shown, q, limit)
	out := make([]statusJSON, 0, len(page))
	for _, b := range page {
		out = append(out, i.renderStatus(b.p, acct))
	}
	rp := jsonReply(http.StatusOK, out)
	if len(page) > 0 {
		keep := url.Values{}
		for k, vs := range q {
			if k != "max_id" && k != "min_id" && k != "since_id" {
				keep[k] = vs
			}
		}
		at := func(k string, b *bookmark) string {
			v := url.Values{}
			for kk, vs := range keep {
				v[kk] = vs
			}
			v.Set(k, strconv.FormatInt(b.seq, 10))
			return i.URL() + "/api/v1/bookmarks?" + v.Encode()
		}
		rp.set("Link", i.listingLink([]string{link(at("max_id", page[len(page)-1]), "next"), link(at("min_id", page[0]), "prev")}))
	}
	return rp
}

// CreateFolder makes a bookmark folder of a's (test setup; emoji may be
// "") and returns its id. It fails the test for a name a has already.
func (a *Account) CreateFolder(name, emoji string) string {
	n := a.n
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	f, rp := a.inst.newFolder(a, name, emoji)
	if f == nil {
		n.t.Fatalf("mastodontest: create folder %q: %s", name, rp.body)
	}
	return f.id
}

// RenameFolder renames a's folder id, as PATCH does.
func (a *Account) RenameFolder(id, name string) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	if f := a.inst.folders.byID[id]; f != nil && f.owner == a {
		f.name = name
	}
}

// DeleteFolder deletes a's folder id; its bookmarks stay, in no folder.
func (a *Account) DeleteFolder(id string) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	if f := a.inst.folders.byID[id]; f != nil && f.owner == a {
		a.inst.deleteFolder(f)
	}
}

// BookmarkIn bookmarks s for a (as Bookmark does) and files it in a's
// folder id ("": in no folder), as bookmarking with folder_id does.
func (a *Account) BookmarkIn(s *Status, id string) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.bookmark(s.p)
	p := s.p
	if p.reblog != nil {
		p = p.reblog
	}
	b := a.bookmarkOf(p)
	if f := a.inst.folders.byID[id]; f != nil && f.owner == a {
		a.inst.fileBookmark(b, f)
	} else if a.inst.folders.of != nil {
		delete(a.inst.folders.of, b)
	}
}

// Folders returns a's folders, oldest first.
func (a *Account) Folders() []Folder {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	var out []Folder
	for _, f := range a.inst.foldersOf(a) {
		out = append(out, Folder{ID: f.id, Name: f.name, Emoji: f.emoji})
	}
	return out
}

// FolderMembers returns the origin URIs of a's bookmarks in each folder,
// by folder name, newest bookmark first; bookmarks in no folder are
// under "".
func (a *Account) FolderMembers() map[string][]string {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	out := map[string][]string{}
	for _, b := range slices.Backward(a.bookmarks) {
		if b.p.deleted {
			continue
		}
		name := ""
		if f := a.inst.folders.of[b]; f != nil {
			name = f.name
		}
		out[name] = append(out[name], b.p.uri)
	}
	return out
}
