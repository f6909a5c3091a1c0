package misskey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

func newNet(t *testing.T) (*mastodontest.Instance, *mastodontest.Account, *mastodontest.Account) {
	n := mastodontest.NewNetwork(t)
	mk := n.NewInstance(mastodontest.InstanceOptions{Quirk: mastodontest.Misskey})
	ms := n.NewInstance(mastodontest.InstanceOptions{})
	return mk, mk.AddAccount("alice"), ms.AddAccount("bob")
}

func client(i *mastodontest.Instance, tok string) *Client {
	return New(Options{Server: i.URL(), Token: tok,
		Options: remote.Options{
			Backoff: time.Millisecond,
			Sleep:   func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		},
	})
}

func TestFavoritesPagesToTheEnd(t *testing.T) {
	mk, alice, bob := newNet(t)
	for k := range 250 {
		s := bob.Post(mastodontest.PostOptions{})
		if k%3 == 0 {
			s = alice.Post(mastodontest.PostOptions{})
		}
		alice.Favorite(s)
	}
	c := client(mk, alice.Token())
	var got []string
	cursor, pages := "", 0
	for {
		p, err := c.FavoritesPage(context.Background(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(p.Skipped) > 0 {
			t.Fatalf("skipped %v", p.Skipped)
		}
		for _, s := range p.Statuses {
			got = append(got, s.URI)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if !slices.Equal(got, alice.FavoriteURIs()) || pages != 4 || c.Requests() != 4 {
		t.Errorf("%d pages, %d requests, %d favorites", pages, c.Requests(), len(got))
	}
	// A cursor of another server is refused, not followed.
	if _, err := c.FavoritesPage(context.Background(), "http://elsewhere.example/api/i/favorites?untilId=abc"); !errors.As(err, new(*CursorError)) {
		t.Errorf("foreign cursor: %v", err)
	}
}

func TestNotesBecomeStatuses(t *testing.T) {
	mk, alice, bob := newNet(t)
	carol := mk.AddAccount("carol")
	carol.SetDisplayName("Carol ✨")
	remote := bob.Post(mastodontest.PostOptions{Text: "<p>hi &amp; bye</p>", Visibility: "unlisted", SpoilerText: "cw",
		Media: []mastodontest.MediaOptions{{Description: "alt"}}, Tags: []string{"Cats"}})
	local := carol.Post(mastodontest.PostOptions{Text: "line one\nline <two>\n\npara", Visibility: "private"})
	renote := carol.Post(mastodontest.PostOptions{Reblog: remote})
	hidden := bob.Post(mastodontest.PostOptions{Visibility: "private"})
	for _, s := range []*mastodontest.Status{remote, local, renote, hidden} {
		alice.Favorite(s)
	}
	carol.Follow(carol)
	alice.Follow(carol)
	p, err := client(mk, alice.Token()).FavoritesPage(context.Background(), "")
	if err != nil || len(p.Statuses) != 4 {
		t.Fatalf("%v %d", err, len(p.Statuses))
	}
	h, r, l, m := p.Statuses[0], p.Statuses[1], p.Statuses[2], p.Statuses[3]
	if m.URI != remote.URI() || m.URL != remote.URL() || m.Content != "<p>hi &amp; bye</p>" || m.SpoilerText != "cw" ||
		m.Visibility != "unlisted" || m.Account.Acct != bob.Handle() || len(m.Media) != 1 || m.Media[0].Description != "alt" ||
		m.Media[0].URL != remote.MediaURLs()[0] || !slices.Equal(m.Tags, []string{"cats"}) {
		t.Errorf("remote post: %s", brief(m))
	}
	if l.URI != mk.URL()+"/notes/"+l.ID || l.URL != l.URI || l.Content != "<p>line one<br>line &lt;two&gt;</p><p>para</p>" ||
		l.Visibility != "private" || l.Account.Acct != "carol" || l.Account.DisplayName != "Carol ✨" || l.Account.URL != mk.URL()+"/@carol" {
		t.Errorf("local note: %s", brief(l))
	}
	if r.URI != remote.URI() || r.ID != mk.LocalID(remote.URI()) || r.Reblog != nil {
		t.Errorf("pure renote: %s", brief(r))
	}
	if h.URI != hidden.URI() || h.Content != "" || !h.Hidden {
		t.Errorf("hidden note: %s", brief(h))
	}
	// Raw reads back as the same status, and keeps the server's JSON.
	for _, s := range p.Statuses {
		again, err := fedimarks.ParseStatus(s.Raw)
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Errorf("ParseStatus(Raw) differs for %s: %v", s.URI, err)
		}
		var w struct {
			Fav json.RawMessage `json:"misskey_favorite"`
		}
		json.Unmarshal(s.Raw, &w)
		if !strings.Contains(string(w.Fav), `"fedimarks_test_extra"`) || !strings.Contains(string(w.Fav), `"noteId"`) {
			t.Errorf("server JSON lost for %s: %s", s.URI, w.Fav)
		}
	}
}

func TestQuoteKeepsItsTextAndLink(t *testing.T) {
	text, quoted := "so true", "http://x.example/notes/1"
	st, err := StatusOf("http://mk.example", Note{ID: "9a", Text: &text, Renote: &Note{ID: "1", URI: quoted}}, json.RawMessage(`{}`))
	if err != nil || st.URI != "http://mk.example/notes/9a" || !strings.Contains(st.Content, "so true") || !strings.Contains(st.Content, `RE: <a href="`+quoted) {
		t.Errorf("quote: %s %v", brief(st), err)
	}
	if _, err := StatusOf("http://mk.example", Note{}, nil); err == nil {
		t.Error("a note without an id was read")
	}
}

func TestErrorsBecomeKinds(t *testing.T) {
	mk, alice, _ := newNet(t)
	ctx := context.Background()
	check := func(name string, err error, kind fedimarks.Kind) {
		t.Helper()
		if fedimarks.ErrorKind(err) != kind {
			t.Errorf("%s: kind %q, want %q (%v)", name, fedimarks.ErrorKind(err), kind, err)
		}
	}
	tok := alice.Token()
	_, err := client(mk, "not-a-token").I(ctx)
	check("unknown token", err, fedimarks.KindAuth)
	_, err = client(mk, "").FavoritesPage(ctx, "")
	check("no token", err, fedimarks.KindAuth)
	_, err = client(mk, alice.Token("read:account")).FavoritesPage(ctx, "")
	check("no read:favorites", err, fedimarks.KindScope)
	var re *fedimarks.RemoteError
	if errors.As(err, &re); re == nil || re.Scope != "read:favorites" || re.Status != "403 Forbidden" ||
		!strings.Contains(err.Error(), "PERMISSION_DENIED") {
		t.Errorf("scope refusal: %+v", re)
	}
	mk.FailNext(6, http.StatusBadGateway, 0)
	_, err = client(mk, tok).I(ctx)
	check("502 after retries", err, fedimarks.KindUnreachable)
	mk.FailNext(2, http.StatusServiceUnavailable, 0)
	if _, err := client(mk, tok).I(ctx); err != nil {
		t.Errorf("two 503s are retried: %v", err)
	}
	mk.DropNext(2)
	if _, err := client(mk, tok).I(ctx); err != nil {
		t.Errorf("two dropped connections are retried: %v", err)
	}
	mk.SetEndpointLimit("i", 1, time.Hour)
	client(mk, tok).I(ctx)
	_, err = client(mk, tok).I(ctx)
	check("429 after 10 retries", err, fedimarks.KindRateLimited)
	mk.SetDown(true)
	_, err = client(mk, tok).I(ctx)
	check("down", err, fedimarks.KindUnreachable)
	for code, kind := range map[string]fedimarks.Kind{
		"NO_SUCH_NOTE": fedimarks.KindNotFound, "NO_SUCH_OBJECT": fedimarks.KindNotFound, "ALREADY_FAVORITED": fedimarks.KindConflict,
		"REQUEST_FAILED": fedimarks.KindRemoteFetch, "INVALID_PARAM": fedimarks.KindInvalid, "UNKNOWN_API_ENDPOINT": "",
		"INTERNAL_ERROR": fedimarks.KindServerError, "YOUR_ACCOUNT_SUSPENDED": fedimarks.KindForbidden,
	} {
		check(code, Remote(&APIError{Endpoint: "ap/show", StatusCode: 400, Code: code}), kind)
	}
}

func TestTokenStaysOut(t *testing.T) {
	mk, alice, _ := newNet(t)
	tok := alice.Token()
	c := client(mk, tok)
	o := Options{Server: mk.URL(), Token: tok}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprint(o), fmt.Sprintf("%#v", o)} {
		if strings.Contains(s, tok) {
			t.Errorf("token printed: %s", s)
		}
	}
	mk.RevokeToken(tok)
	if _, err := c.I(context.Background()); err == nil || strings.Contains(err.Error(), tok) {
		t.Errorf("error: %v", err)
	}
}

// brief shows a status without its raw JSON.
func brief(s fedimarks.Status) string {
	s.Raw = nil
	return fmt.Sprintf("%+v", s)
}
