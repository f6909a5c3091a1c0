package mastodontest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

func init() {
	registerMisskey(
		&misskeyEndpoint{name: "meta", allowGet: true, handle: (*Instance).mkMeta},
		&misskeyEndpoint{name: "i", credential: true, kind: "read:account", handle: (*Instance).mkI},
		&misskeyEndpoint{name: "i/favorites", credential: true, kind: "read:favorites", handle: (*Instance).mkFavorites},
		&misskeyEndpoint{name: "notes/show", handle: (*Instance).mkShowNote},
		&misskeyEndpoint{name: "notes/favorites/create", credential: true, kind: "write:favorites", handle: (*Instance).mkFavoriteCreate},
		&misskeyEndpoint{name: "notes/favorites/delete", credential: true, kind: "write:favorites", handle: (*Instance).mkFavoriteDelete},
		&misskeyEndpoint{name: "ap/show", credential: true, kind: "read:account", limit: misskeyLimit{max: 30, duration: time.Hour}, handle: (*Instance).mkAPShow},
	)
}

// mkMeta is POST (or GET) /api/meta.
func (i *Instance) mkMeta(c *misskeyCall) reply {
	return jsonReply(http.StatusOK, map[string]any{
		"maintainerName": "Admin", "maintainerEmail": "admin@" + i.host, "version": i.opts.Version,
		"providesTarball": false, "name": i.opts.Title, "shortName": nil, "uri": i.URL(),
		"description": "A fake server for tests.", "langs": []string{"en"}, "tosUrl": nil,
		"repositoryUrl": "https://github.com/misskey-dev/misskey", "feedbackUrl": nil,
		"disableRegistration": true, "emailRequiredForSignup": false, "enableHcaptcha": false,
		"maxNoteTextLength": 3000, "iconUrl": nil, "backgroundImageUrl": nil, "themeColor": nil,
		"policies": map[string]any{"rateLimitFactor": 1},
		"features": map[string]any{"registration": false, "localTimeline": true, "miauth": true},
	})
}

// mkI is POST /api/i: the signed-in user (MeDetailed).
func (i *Instance) mkI(c *misskeyCall) reply {
	return jsonReply(http.StatusOK, i.packUserDetailed(c.user))
}

// mkFavorites is POST /api/i/favorites: makePaginationQuery over the
// favorite ids, newest first (oldest first with sinceId alone).
func (i *Instance) mkFavorites(c *misskeyCall) reply {
	limit, ok := c.intParam("limit", 10, 1, 100)
	if !ok {
		return invalidParam("limit", "must be an integer from 1 to 100")
	}
	since, ok1 := c.idParam("sinceId")
	until, ok2 := c.idParam("untilId")
	if !ok1 || !ok2 {
		return invalidParam("untilId", "must be a misskey:id")
	}
	var sel []*bookmark // newest first
	for k := len(c.user.bookmarks) - 1; k >= 0; k-- {
		b := c.user.bookmarks[k]
		id := favoriteID(b)
		if b.p.deleted || (until != "" && id >= until) || (since != "" && id <= since) {
			continue
		}
		sel = append(sel, b)
	}
	if since != "" && until == "" {
		slices.Reverse(sel)
	}
	sel = sel[:min(limit, len(sel))]
	out := make([]mkFavoriteJSON, 0, len(sel))
	for _, b := range sel {
		n := i.packNote(b.p, c.user, true)
		out = append(out, mkFavoriteJSON{ID: favoriteID(b), CreatedAt: timeJSON(favoriteTime(b)), NoteID: n.ID, Note: n})
	}
	return jsonReply(http.StatusOK, out)
}

// note finds the note a call's noteId names; nil if none or deleted.
func (i *Instance) note(c *misskeyCall) *post {
	id, _ := c.str("noteId")
	p := i.byID[id]
	if p == nil || p.deleted {
		return nil
	}
	return p
}

// mkShowNote is POST /api/notes/show.
func (i *Instance) mkShowNote(c *misskeyCall) reply {
	if _, ok := c.str("noteId"); !ok {
		return invalidParam("noteId", "required")
	}
	p := i.note(c)
	if p == nil {
		return mkNoSuchNote.reply(nil)
	}
	return jsonReply(http.StatusOK, i.packNote(p, c.user, true))
}

var (
	mkFavNoSuchNote      = misskeyError{http.StatusBadRequest, "NO_SUCH_NOTE", "No such note.", "6dd26674-e060-4816-909a-45ba3f4da458", ""}
	mkAlreadyFavorited   = misskeyError{http.StatusBadRequest, "ALREADY_FAVORITED", "The note has already been marked as a favorite.", "a402c12b-34dd-41d2-97d8-4d2ffd96a1a6", ""}
	mkUnfavNoSuchNote    = misskeyError{http.StatusBadRequest, "NO_SUCH_NOTE", "No such note.", "80848a2c-398f-4343-baa9-df1d57696c56", ""}
	mkNotFavorited       = misskeyError{http.StatusBadRequest, "NOT_FAVORITED", "You have not marked that note a favorite.", "b625fc69-635e-45e9-86f4-dbefbef35af5", ""}
	mkAPNoSuchObject     = misskeyError{http.StatusBadRequest, "NO_SUCH_OBJECT", "No such object.", "dc94d745-1262-4e63-a17d-fecaa57efc82", ""}
	mkAPRequestFailed    = misskeyError{http.StatusBadRequest, "REQUEST_FAILED", "Request failed.", "81b539cf-4f57-4b29-bc98-032c33c0792e", ""}
	mkAPURIInvalid       = misskeyError{http.StatusBadRequest, "URI_INVALID", "URI is invalid.", "1a5eab56-e47b-48c2-8d5e-217b897d70db", ""}
	mkAPResponseInvalid  = misskeyError{http.StatusBadRequest, "RESPONSE_INVALID", "Response from remote server is invalid.", "70193c39-54f3-4813-82f0-70a680f7495b", ""}
	mkAPFederationDenied = misskeyError{http.StatusBadRequest, "FEDERATION_NOT_ALLOWED", "Federation for this host is not allowed.", "974b799e-1a29-4889-b706-18d4dd93e266", ""}
)

// mkFavoriteCreate is POST /api/notes/favorites/create: 204, or
// NO_SUCH_NOTE (also for a note the user may not see), ALREADY_FAVORITED.
func (i *Instance) mkFavoriteCreate(c *misskeyCall) reply {
	if _, ok := c.str("noteId"); !ok {
		return invalidParam("noteId", "required")
	}
	p := i.note(c)
	if p == nil || !visible(p, c.user) {
		return mkFavNoSuchNote.reply(nil)
	}
	if !c.user.favorite(p) {
		return mkAlreadyFavorited.reply(nil)
	}
	return reply{}
}

// mkFavoriteDelete is POST /api/notes/favorites/delete.
func (i *Instance) mkFavoriteDelete(c *misskeyCall) reply {
	if _, ok := c.str("noteId"); !ok {
		return invalidParam("noteId", "required")
	}
	p := i.note(c)
	if p == nil {
		return mkUnfavNoSuchNote.reply(nil)
	}
	if !c.user.unfavorite(p) {
		return mkNotFavorited.reply(nil)
	}
	return reply{}
}

// mkAPShow is POST /api/ap/show as Misskey 2024 answers for notes: a note
// the instance has (by ActivityPub id or URL) at once; a local URI it does
// not have NO_SUCH_OBJECT; else it fetches the object from its server,
// releasing n.mu meanwhile: any failure to fetch (the server down, 404,
// 410, 5xx) is REQUEST_FAILED, an object that is no post NO_SUCH_OBJECT.
func (i *Instance) mkAPShow(c *misskeyCall) reply {
	n := i.n
	uri, ok := c.str("uri")
	if !ok {
		return invalidParam("uri", "required")
	}
	found := func(p *post) reply {
		return jsonReply(http.StatusOK, map[string]any{"type": "Note", "object": i.packNote(p, c.user, true)})
	}
	if p := n.lookup(uri); p != nil && i.copies[p] != nil && !p.deleted {
		return found(p)
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return mkAPURIInvalid.reply(nil)
	}
	if strings.EqualFold(u.Host, i.host) {
		return mkAPNoSuchObject.reply(nil)
	}
	origin := n.byHost[strings.ToLower(u.Host)]
	if origin == nil {
		return mkAPRequestFailed.reply(nil)
	}
	ctx, cancel := i.fetchContext(c.r)
	n.mu.Unlock()
	id, typ, status, err := n.fetchObject(ctx, i, uri)
	cancel()
	n.mu.Lock()
	switch {
	case err != nil || status != http.StatusOK:
		return mkAPRequestFailed.reply(nil)
	case id == "":
		return mkAPResponseInvalid.reply(nil)
	case typ != "Note":
		return mkAPNoSuchObject.reply(nil)
	}
	p := n.byURI[id]
	if p == nil || p.origin != origin || p.deleted {
		return mkAPNoSuchObject.reply(nil)
	}
	if !visible(p, c.user) {
		return mkAPRequestFailed.reply(nil) // not served to the instance actor (misskey_write.go)
	}
	i.federate(p)
	return found(p)
}
