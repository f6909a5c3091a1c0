package mastodontest

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

func TestStatusEntity(t *testing.T) {
	n := NewNetwork(t)
	home := n.NewInstance(InstanceOptions{})
	origin := n.NewInstance(InstanceOptions{})
	alice := home.AddAccount("alice")
	bob := origin.AddAccount("bob")
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	s := bob.Post(PostOptions{
		Text: "<p>Hello <b>world</b></p>", Visibility: "unlisted", SpoilerText: "cw", Language: "de", Sensitive: true,
		CreatedAt: created, Tags: []string{"Go"}, Mentions: []*Account{alice},
		Media: []MediaOptions{{Description: "a dot"}, {Type: "video", Size: 5000}, {Missing: true}},
	})
	alice.Bookmark(s)
	r := call(t, "GET", home.URL()+"/api/v1/bookmarks", alice.Token(), nil)
	var raw []json.RawMessage
	r.json(t, &raw)
	if len(raw) != 1 {
		t.Fatalf("bookmarks: %s", r.body)
	}
	st, err := fedimarks.ParseStatus(raw[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != home.LocalID(s.URI()) || st.URI != s.URI() || st.URL != s.URL() || !st.CreatedAt.Equal(created) ||
		st.Content != "<p>Hello <b>world</b></p>" || st.SpoilerText != "cw" || st.Language != "de" || !st.Sensitive ||
		st.Visibility != "unlisted" || st.Account.Acct != "bob@"+origin.Host() || st.Account.Username != "bob" ||
		st.Account.URL != origin.URL()+"/@bob" || len(st.Tags) != 1 || st.Tags[0] != "go" || len(st.Media) != 3 {
		t.Fatalf("parsed status: %+v", st)
	}
	var m map[string]any
	json.Unmarshal(raw[0], &m)
	for _, k := range []string{"in_reply_to_id", "in_reply_to_account_id", "replies_count", "reblogs_count", "favourites_count",
		"edited_at", "favourited", "reblogged", "muted", "bookmarked", "pinned", "filtered", "reblog", "application",
		"mentions", "emojis", "card", "poll"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status lacks %q", k)
		}
	}
	if !bytes.Contains(raw[0], []byte(`"fedimarks_test_extra":{"nested":[1,"x"]}`)) {
		t.Errorf("no unknown field: %s", raw[0])
	}
	if !regexp.MustCompile(`"mentions":\[\{"id":"\d+","username":"alice","url":"` + regexp.QuoteMeta(home.URL()) + `/@alice","acct":"alice"\}\]`).Match(raw[0]) {
		t.Errorf("mentions: %s", raw[0])
	}

	// Files are served by the origin with the configured size and type.
	img := st.Media[0]
	if img.Type != "image" || img.Description != "a dot" || img.RemoteURL != img.URL || !strings.HasPrefix(img.URL, origin.URL()+"/system/media_attachments/") {
		t.Fatalf("image %+v", img)
	}
	resp, err := http.Get(img.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.ContentLength != 1234 {
		t.Fatalf("image file: %d %s %d", resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength)
	}
	if _, err := png.Decode(resp.Body); err != nil {
		t.Fatalf("image is not a PNG: %v", err)
	}
	r = call(t, "GET", st.Media[1].URL, "", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "video/mp4" || len(r.body) != 5000 {
		t.Fatalf("video file: %d %s %d", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	if r := call(t, "GET", st.Media[1].PreviewURL, "", nil); r.status != 200 || len(r.body) != 1250 {
		t.Fatalf("video preview: %d %d", r.status, len(r.body))
	}
	for _, u := range []string{st.Media[2].URL, st.Media[2].PreviewURL} {
		if r := call(t, "GET", u, "", nil); r.status != 404 {
			t.Fatalf("missing file %s: %d", u, r.status)
		}
	}
	if r := call(t, "GET", st.Account.Avatar, "", nil); r.status != 200 || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("avatar %s: %d", st.Account.Avatar, r.status)
	}

	// The origin serves the post to other instances and to browsers.
	req, _ := http.NewRequest("GET", s.URI(), nil)
	req.Header.Set("Accept", "application/activity+json")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var note struct{ ID, Type string }
	json.NewDecoder(resp2.Body).Decode(&note)
	resp2.Body.Close()
	if note.ID != s.URI() || note.Type != "Note" {
		t.Fatalf("note %+v", note)
	}
	if r := call(t, "GET", s.URL(), "", nil); r.status != 200 || !strings.Contains(string(r.body), "<b>world</b>") {
		t.Fatalf("web page: %d %s", r.status, r.body)
	}
}

func TestQuirkShapes(t *testing.T) {
	n := NewNetwork(t)
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	ulidRE := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	digits := regexp.MustCompile(`^\d+$`)
	for _, c := range []struct {
		q       Quirk
		version string
		v2      int
		id      *regexp.Regexp
		uri     string // with HOST, NAME, ID
		url     string
	}{
		{Mastodon, "4.3.0", 200, digits, "HOST/users/NAME/statuses/ID", "HOST/@NAME/ID"},
		{GoToSocial, "0.17.3 git-c0ffee", 200, ulidRE, "HOST/users/NAME/statuses/ID", "HOST/@NAME/statuses/ID"},
		{Pixelfed, "3.5.3 (compatible; Pixelfed 0.12.4)", 404, digits, "HOST/p/NAME/ID", "HOST/p/NAME/ID"},
		{Snac, "4.0.0 (compatible; snac/2.59)", 404, hex32, "", ""},
	} {
		i := n.NewInstance(InstanceOptions{Quirk: c.q})
		a := i.AddAccount("alice")
		s := a.Post(PostOptions{})
		if !c.id.MatchString(s.ID()) {
			t.Errorf("%v: id %q", c.q, s.ID())
		}
		rep := strings.NewReplacer("HOST", i.URL(), "NAME", "alice", "ID", s.ID())
		if c.uri != "" && (s.URI() != rep.Replace(c.uri) || s.URL() != rep.Replace(c.url)) {
			t.Errorf("%v: uri %s url %s", c.q, s.URI(), s.URL())
		}
		if c.q == Snac && !strings.HasPrefix(s.URI(), i.URL()+"/alice/p/") {
			t.Errorf("snac uri %s", s.URI())
		}
		var v1 struct{ URI, Version string }
		call(t, "GET", i.URL()+"/api/v1/instance", "", nil).json(t, &v1)
		if v1.URI != i.Host() || v1.Version != c.version {
			t.Errorf("%v: v1 instance %+v", c.q, v1)
		}
		r := call(t, "GET", i.URL()+"/api/v2/instance", "", nil)
		if r.status != c.v2 {
			t.Errorf("%v: v2 instance %d", c.q, r.status)
		}
		if r.status == 200 {
			var v2 struct{ Domain, Version string }
			r.json(t, &v2)
			if v2.Domain != i.Host() || v2.Version != c.version {
				t.Errorf("%v: v2 %+v", c.q, v2)
			}
		}
		if got := a.Handle(); got != "alice@"+i.Host() {
			t.Errorf("handle %s", got)
		}
		if n.Instance(i.Host()) != i {
			t.Errorf("Network.Instance(%s) is not the instance", i.Host())
		}
	}
	if n.Instance("127.0.0.1:1") != nil {
		t.Error("unknown host found")
	}
	// Snowflake ids grow with creation time.
	i := n.NewInstance(InstanceOptions{})
	a := i.AddAccount("bob")
	s1 := a.Post(PostOptions{CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	s2 := a.Post(PostOptions{CreatedAt: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)})
	x, _ := strconv.ParseInt(s1.ID(), 10, 64)
	y, _ := strconv.ParseInt(s2.ID(), 10, 64)
	if x >= y || x>>16 != time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("snowflakes %d %d", x, y)
	}
}
