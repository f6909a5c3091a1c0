package mastodontest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
)

// mkCall POSTs a JSON body to a Misskey endpoint.
func mkCall(t *testing.T, i *Instance, endpoint string, body map[string]any) result {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, i.URL()+"/api/"+endpoint, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return result{resp.StatusCode, resp.Header, buf.Bytes()}
}

// mkErr is a Misskey error body.
type mkErr struct {
	Error struct {
		Code, Message, ID, Kind string
		Info                    map[string]any
	}
}

func (r result) mkCode(t *testing.T) string {
	t.Helper()
	var e mkErr
	r.json(t, &e)
	return e.Error.Code
}

type wireFav struct {
	ID     string `json:"id"`
	NoteID string `json:"noteId"`
	Note   struct {
		ID       string  `json:"id"`
		Text     *string `json:"text"`
		CW       *string `json:"cw"`
		URI      *string `json:"uri"`
		RenoteID *string `json:"renoteId"`
		Renote   *struct {
			URI  string `json:"uri"`
			Text string `json:"text"`
		} `json:"renote"`
		IsHidden bool `json:"isHidden"`
		User     struct {
			Username string  `json:"username"`
			Host     *string `json:"host"`
		} `json:"user"`
		Files []struct {
			URL  string `json:"url"`
			Type string `json:"type"`
			Size int    `json:"size"`
		} `json:"files"`
	} `json:"note"`
}

// misskeyNet is a Misskey instance with alice, and a Mastodon one with bob.
func misskeyNet(t *testing.T) (*Network, *Instance, *Account, *Instance, *Account) {
	n := NewNetwork(t)
	mk := n.NewInstance(InstanceOptions{Quirk: Misskey})
	ms := n.NewInstance(InstanceOptions{})
	return n, mk, mk.AddAccount("alice"), ms, ms.AddAccount("bob")
}

func TestMisskeyFavoritesPageByUntilIDNewestFirst(t *testing.T) {
	_, mk, alice, _, bob := misskeyNet(t)
	var want []string
	for k := range 25 {
		var s *Status
		if k%2 == 0 {
			s = bob.Post(PostOptions{})
		} else {
			s = alice.Post(PostOptions{})
		}
		alice.Favorite(s)
		want = append([]string{s.URI()}, want...)
	}
	tok := alice.Token()
	var got []string
	until, pages := "", 0
	for {
		body := map[string]any{"i": tok, "limit": 10}
		if until != "" {
			body["untilId"] = until
		}
		r := mkCall(t, mk, "i/favorites", body)
		if r.status != http.StatusOK {
			t.Fatalf("i/favorites: %d %s", r.status, r.body)
		}
		var favs []wireFav
		r.json(t, &favs)
		pages++
		if len(favs) == 0 {
			break
		}
		for _, f := range favs {
			uri := mk.URL() + "/notes/" + f.Note.ID // a local note has no uri
			if f.Note.URI != nil {
				uri = *f.Note.URI
			}
			got = append(got, uri)
			if f.NoteID != f.Note.ID {
				t.Errorf("noteId %s, note.id %s", f.NoteID, f.Note.ID)
			}
		}
		until = favs[len(favs)-1].ID
	}
	if !slices.Equal(got, want) || pages != 4 {
		t.Fatalf("%d pages, got\n%v\nwant\n%v", pages, got, want)
	}
	if !slices.Equal(alice.FavoriteURIs(), want) {
		t.Errorf("FavoriteURIs = %v", alice.FavoriteURIs())
	}

	// sinceId alone lists the ones after it, oldest first.
	r := mkCall(t, mk, "i/favorites", map[string]any{"i": tok, "limit": 3, "sinceId": ""})
	if r.status != http.StatusBadRequest || r.mkCode(t) != "INVALID_PARAM" {
		t.Errorf("empty sinceId: %d %s", r.status, r.body)
	}
	var all []wireFav
	mkCall(t, mk, "i/favorites", map[string]any{"i": tok, "limit": 100}).json(t, &all)
	var since []wireFav
	mkCall(t, mk, "i/favorites", map[string]any{"i": tok, "limit": 3, "sinceId": all[10].ID}).json(t, &since)
	if len(since) != 3 || since[0].ID != all[9].ID || since[2].ID != all[7].ID {
		t.Errorf("sinceId page: %+v", since)
	}
	if r := mkCall(t, mk, "i/favorites", map[string]any{"i": tok, "limit": 101}); r.status != http.StatusBadRequest || r.mkCode(t) != "INVALID_PARAM" {
		t.Errorf("limit 101: %d %s", r.status, r.body)
	}
	var def []wireFav
	mkCall(t, mk, "i/favorites", map[string]any{"i": tok}).json(t, &def)
	if len(def) != 10 {
		t.Errorf("default limit: %d favorites", len(def))
	}
}

func TestMisskeyAuthAndErrorShapes(t *testing.T) {
	_, mk, alice, _, _ := misskeyNet(t)
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"no token", map[string]any{}, 401, "CREDENTIAL_REQUIRED"},
		{"unknown token", map[string]any{"i": "nope"}, 401, "AUTHENTICATION_FAILED"},
		{"no permission", map[string]any{"i": alice.Token("read:account")}, 403, "PERMISSION_DENIED"},
	}
	for _, c := range cases {
		r := mkCall(t, mk, "i/favorites", c.body)
		var e mkErr
		r.json(t, &e)
		if r.status != c.status || e.Error.Code != c.code || e.Error.ID == "" || e.Error.Message == "" {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
		if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer realm="Misskey"`) {
			t.Errorf("%s: WWW-Authenticate %q", c.name, r.header.Get("WWW-Authenticate"))
		}
	}
	// A Bearer header works as "i" does.
	r := call(t, "POST", mk.URL()+"/api/i", alice.Token(), nil)
	var me struct {
		Username string  `json:"username"`
		Host     *string `json:"host"`
	}
	r.json(t, &me)
	if r.status != 200 || me.Username != "alice" || me.Host != nil {
		t.Errorf("i with Bearer: %d %s", r.status, r.body)
	}
	if r := call(t, "GET", mk.URL()+"/api/i/favorites", alice.Token(), nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET i/favorites: %d", r.status)
	}
	if r := call(t, "GET", mk.URL()+"/api/v1/instance", "", nil); r.status != 404 || r.mkCode(t) != "UNKNOWN_API_ENDPOINT" {
		t.Errorf("Mastodon API on Misskey: %d %s", r.status, r.body)
	}
	var meta struct{ Version, URI string }
	r = call(t, "GET", mk.URL()+"/api/meta", "", nil)
	r.json(t, &meta)
	if r.status != 200 || meta.Version != "2024.11.0" || meta.URI != mk.URL() {
		t.Errorf("meta: %d %s", r.status, r.body)
	}
}

func TestMisskeyNotesKeepTheirQuirks(t *testing.T) {
	n, mk, alice, ms, bob := misskeyNet(t)
	carol := mk.AddAccount("carol")
	withFile := bob.Post(PostOptions{Text: "<p>a &amp; b<br>line two</p>", SpoilerText: "spoiler", Media: []MediaOptions{{Size: 500, Description: "a cat"}}})
	local := carol.Post(PostOptions{Text: "**bold** $[x2 big]\nsecond", Media: []MediaOptions{{Type: "video"}}})
	renote := carol.Post(PostOptions{Reblog: withFile})
	gone := bob.Post(PostOptions{})
	hidden := bob.Post(PostOptions{Visibility: "private"})
	for _, s := range []*Status{withFile, local, renote, gone, hidden} {
		alice.Favorite(s)
	}
	gone.Delete()
	var favs []wireFav
	mkCall(t, mk, "i/favorites", map[string]any{"i": alice.Token(), "limit": 100}).json(t, &favs)
	if len(favs) != 4 {
		t.Fatalf("%d favorites, want 4 (the deleted note's is gone)", len(favs))
	}
	h, r, l, f := favs[0].Note, favs[1].Note, favs[2].Note, favs[3].Note
	if !h.IsHidden || h.Text != nil {
		t.Errorf("followers-only note of an unfollowed user: %+v", h)
	}
	if r.Text != nil || r.RenoteID == nil || r.Renote == nil || r.Renote.URI != withFile.URI() || r.URI != nil {
		t.Errorf("favorited renote: %+v", r)
	}
	if l.URI != nil || l.Text == nil || *l.Text != "**bold** $[x2 big]\nsecond" || l.User.Host != nil || len(l.Files) != 1 || l.Files[0].Type != "video/mp4" {
		t.Errorf("local note: %+v", l)
	}
	if f.URI == nil || *f.URI != withFile.URI() || f.Text == nil || *f.Text != "a & b\nline two" || f.CW == nil || *f.CW != "spoiler" {
		t.Errorf("remote note: %+v", f)
	}
	if f.User.Host == nil || *f.User.Host != ms.Host() || len(f.Files) != 1 || f.Files[0].Size != 500 || f.Files[0].URL != withFile.MediaURLs()[0] {
		t.Errorf("remote note's user or file: %+v", f)
	}
	// The local note's files are served by the instance.
	resp, err := http.Get(local.MediaURLs()[0])
	if err != nil || resp.StatusCode != 200 || !strings.Contains(local.MediaURLs()[0], "/files/") {
		t.Fatalf("local file %s: %v %v", local.MediaURLs()[0], resp, err)
	}
	resp.Body.Close()
	// A Misskey note is an ActivityPub Note with its MFM source beside the HTML.
	req, _ := http.NewRequest("GET", local.URI(), nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	json.NewDecoder(resp.Body).Decode(&obj)
	resp.Body.Close()
	if obj["id"] != local.URI() || obj["_misskey_content"] != "**bold** $[x2 big]\nsecond" || !strings.Contains(obj["content"].(string), "<br>") {
		t.Errorf("AP object: %v", obj)
	}
	if !strings.HasPrefix(local.URI(), mk.URL()+"/notes/") || !strings.HasPrefix(obj["attributedTo"].(string), mk.URL()+"/users/") {
		t.Errorf("Misskey URIs: %s %v", local.URI(), obj["attributedTo"])
	}
	_ = n
}

func TestMisskeyFederatesWithMastodon(t *testing.T) {
	_, mk, alice, ms, bob := misskeyNet(t)
	note := alice.Post(PostOptions{Text: "hello from misskey"})
	other := bob.Post(PostOptions{})
	// Mastodon resolves a Misskey note by its URI.
	r, s := search(t, ms, note.URI(), bob.Token())
	if r.status != 200 || len(s.Statuses) != 1 || s.Statuses[0].URI != note.URI() {
		t.Fatalf("Mastodon search for a Misskey note: %d %s", r.status, r.body)
	}
	// Misskey resolves a Mastodon post with ap/show, then favorites it.
	tok := alice.Token()
	r = mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": other.URI()})
	var shown struct {
		Type   string
		Object struct{ ID, URI string }
	}
	r.json(t, &shown)
	if r.status != 200 || shown.Type != "Note" || shown.Object.URI != other.URI() || shown.Object.ID != mk.LocalID(other.URI()) {
		t.Fatalf("ap/show: %d %s", r.status, r.body)
	}
	if r := mkCall(t, mk, "notes/favorites/create", map[string]any{"i": tok, "noteId": shown.Object.ID}); r.status != 204 {
		t.Fatalf("favorite: %d %s", r.status, r.body)
	}
	if r := mkCall(t, mk, "notes/favorites/create", map[string]any{"i": tok, "noteId": shown.Object.ID}); r.status != 400 || r.mkCode(t) != "ALREADY_FAVORITED" {
		t.Errorf("favorite again: %d %s", r.status, r.body)
	}
	if r := mkCall(t, mk, "notes/favorites/create", map[string]any{"i": tok, "noteId": "0000nope"}); r.status != 400 || r.mkCode(t) != "NO_SUCH_NOTE" {
		t.Errorf("favorite unknown: %d %s", r.status, r.body)
	}
	if got := alice.FavoriteURIs(); !slices.Equal(got, []string{other.URI()}) {
		t.Errorf("favorites %v", got)
	}
	// The local note by its URI; an unknown local one; a deleted remote
	// one and a down server are both REQUEST_FAILED (Misskey cannot tell).
	if r := mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": note.URI()}); r.status != 200 {
		t.Errorf("ap/show local: %d %s", r.status, r.body)
	}
	if r := mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": mk.URL() + "/notes/9zzzzzzz"}); r.mkCode(t) != "NO_SUCH_OBJECT" {
		t.Errorf("ap/show unknown local: %d %s", r.status, r.body)
	}
	gone := bob.Post(PostOptions{})
	gone.Delete()
	if r := mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": gone.URI()}); r.mkCode(t) != "REQUEST_FAILED" {
		t.Errorf("ap/show deleted: %d %s", r.status, r.body)
	}
	later := bob.Post(PostOptions{})
	ms.SetDown(true)
	if r := mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": later.URI()}); r.mkCode(t) != "REQUEST_FAILED" {
		t.Errorf("ap/show down: %d %s", r.status, r.body)
	}
}

func TestMisskeyRateLimitPerEndpoint(t *testing.T) {
	n, mk, alice, _, _ := misskeyNet(t)
	clock := clocktest.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	n.SetClock(clock.Now)
	mk.SetEndpointLimit("i/favorites", 2, time.Minute)
	tok := alice.Token()
	for k := range 2 {
		if r := mkCall(t, mk, "i/favorites", map[string]any{"i": tok}); r.status != 200 {
			t.Fatalf("call %d: %d", k, r.status)
		}
	}
	clock.Advance(20 * time.Second)
	r := mkCall(t, mk, "i/favorites", map[string]any{"i": tok})
	var e mkErr
	r.json(t, &e)
	// Misskey's 429 has no header: the window's end is info.resetMs.
	reset := clock.Now().Add(40 * time.Second).UnixMilli()
	if r.status != 429 || e.Error.Code != "RATE_LIMIT_EXCEEDED" || r.header.Get("Retry-After") != "" ||
		r.header.Get("X-RateLimit-Remaining") != "" || e.Error.Info["resetMs"] != float64(reset) {
		t.Fatalf("over the limit: %d %v %s", r.status, r.header, r.body)
	}
	if r := mkCall(t, mk, "i", map[string]any{"i": tok}); r.status != 200 {
		t.Errorf("another endpoint: %d", r.status)
	}
	clock.Advance(40 * time.Second)
	if r := mkCall(t, mk, "i/favorites", map[string]any{"i": tok}); r.status != 200 {
		t.Errorf("after the window: %d %s", r.status, r.body)
	}
	if mk.Responses(429) != 1 {
		t.Errorf("Responses(429) = %d", mk.Responses(429))
	}
	// ap/show has Misskey's own limit: 30 an hour.
	for k := range 31 {
		r := mkCall(t, mk, "ap/show", map[string]any{"i": tok, "uri": mk.URL() + "/notes/x"})
		if (k < 30) != (r.status != 429) {
			t.Fatalf("ap/show call %d: %d", k, r.status)
		}
	}
}

func TestMiAuthApprovesOnceAndDenies(t *testing.T) {
	_, mk, alice, _, _ := misskeyNet(t)
	mk.SetAuthorizingUser(alice)
	check := func(session string) (ok bool, tok, user string) {
		r := mkCall(t, mk, "miauth/"+session+"/check", nil)
		var c struct {
			OK    bool   `json:"ok"`
			Token string `json:"token"`
			User  struct{ Username string }
		}
		r.json(t, &c)
		return c.OK, c.Token, c.User.Username
	}
	if ok, _, _ := check("s1"); ok {
		t.Fatal("check before approval is ok")
	}
	u := mk.URL() + "/miauth/s1?" + url.Values{"name": {"fedimarks"}, "callback": {"http://127.0.0.1:9/cb"}, "permission": {"read:favorites,read:account"}}.Encode()
	r := call(t, "GET", u, "", nil)
	if r.status != http.StatusFound || r.header.Get("Location") != "http://127.0.0.1:9/cb?session=s1" {
		t.Fatalf("miauth page: %d %v", r.status, r.header)
	}
	ok, tok, user := check("s1")
	if !ok || len(tok) != 32 || user != "alice" {
		t.Fatalf("check: %v %q %q", ok, tok, user)
	}
	if ok, _, _ := check("s1"); ok {
		t.Error("second check is ok")
	}
	if r := mkCall(t, mk, "i/favorites", map[string]any{"i": tok}); r.status != 200 {
		t.Errorf("token: %d %s", r.status, r.body)
	}
	if r := mkCall(t, mk, "notes/favorites/create", map[string]any{"i": tok, "noteId": "x"}); r.status != 403 {
		t.Errorf("token without write:favorites: %d %s", r.status, r.body)
	}
	if c, perms := mk.MiAuthSessions(); c != 1 || !slices.Equal(perms, []string{"read:favorites", "read:account"}) {
		t.Errorf("sessions %d %v", c, perms)
	}
	mk.SetMiAuthDenied(true)
	r = call(t, "GET", mk.URL()+"/miauth/s2?name=x&callback=http://127.0.0.1:9/cb", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "denied") {
		t.Errorf("denied page: %d %s", r.status, r.body)
	}
	if ok, _, _ := check("s2"); ok {
		t.Error("denied session checks ok")
	}
}

func TestNodeinfoNamesEachFamily(t *testing.T) {
	n := NewNetwork(t)
	cases := []struct {
		opts          InstanceOptions
		name, version string
	}{
		{InstanceOptions{}, "mastodon", "4.3.0"},
		{InstanceOptions{Quirk: GoToSocial}, "gotosocial", "0.17.3 git-c0ffee"},
		{InstanceOptions{Quirk: Pixelfed}, "pixelfed", "0.12.4"},
		{InstanceOptions{Quirk: Snac}, "snac", "2.59"},
		{InstanceOptions{Quirk: Misskey}, "misskey", "2024.11.0"},
		{InstanceOptions{Quirk: Misskey, Software: "sharkey", Version: "2024.11.2"}, "sharkey", "2024.11.2"},
	}
	for _, c := range cases {
		i := n.NewInstance(c.opts)
		var wk struct{ Links []struct{ Rel, Href string } }
		call(t, "GET", i.URL()+"/.well-known/nodeinfo", "", nil).json(t, &wk)
		if len(wk.Links) == 0 {
			t.Fatalf("%s: no links", c.name)
		}
		var doc struct {
			Software struct{ Name, Version string }
		}
		r := call(t, "GET", wk.Links[0].Href, "", nil)
		r.json(t, &doc)
		if r.status != 200 || doc.Software.Name != c.name || doc.Software.Version != c.version {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
	}
	i := n.NewInstance(InstanceOptions{NoNodeinfo: true})
	if r := call(t, "GET", i.URL()+"/.well-known/nodeinfo", "", nil); r.status != 404 {
		t.Errorf("NoNodeinfo: %d", r.status)
	}
}
