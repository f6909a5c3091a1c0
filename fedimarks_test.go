package fedimarks

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	raw := `{"id":"109","uri":"https://a.example/users/x/statuses/109","url":"https://a.example/@x/109",
	"created_at":"2024-05-01T10:20:30.123Z","content":"<p>hi</p>","spoiler_text":"cw","language":null,
	"visibility":"private","sensitive":true,
	"account":{"id":7,"username":"x","acct":"x","display_name":"X","url":"https://a.example/@x","avatar":"https://a.example/av.png"},
	"media_attachments":[{"id":"m1","type":"image","url":"https://a.example/m.png","preview_url":null,"description":"alt"}],
	"tags":[{"name":"go"}],"unknown_field":{"kept":[1,2]},
	"reblog":null}`
	s, err := ParseStatus([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Raw) != raw {
		t.Error("Raw is not the bytes given")
	}
	want := Status{ID: "109", URI: "https://a.example/users/x/statuses/109", URL: "https://a.example/@x/109",
		CreatedAt: time.Date(2024, 5, 1, 10, 20, 30, 123e6, time.UTC), Content: "<p>hi</p>", SpoilerText: "cw",
		Visibility: "private", Sensitive: true}
	if s.ID != want.ID || s.URI != want.URI || s.URL != want.URL || !s.CreatedAt.Equal(want.CreatedAt) ||
		s.Content != want.Content || s.SpoilerText != want.SpoilerText || s.Visibility != want.Visibility || !s.Sensitive {
		t.Errorf("got %+v", s)
	}
	if s.Account.ID != "7" || s.Account.DisplayName != "X" || s.Account.Avatar != "https://a.example/av.png" {
		t.Errorf("account %+v (numeric ids become strings)", s.Account)
	}
	if len(s.Media) != 1 || s.Media[0].Description != "alt" || s.Media[0].PreviewURL != "" || len(s.Tags) != 1 {
		t.Errorf("media %+v tags %v", s.Media, s.Tags)
	}
	if s.Reblog != nil || s.Original().URI != s.URI || s.Link() != s.URL {
		t.Error("a status that is not a boost is its own original")
	}
}

func TestParseStatusBoostAndErrors(t *testing.T) {
	boost := `{"id":"2","uri":"https://b.example/users/y/statuses/2/activity","url":null,
	"reblog":{"id":"1","uri":"https://a.example/users/x/statuses/1","content":"orig"}}`
	s, err := ParseStatus([]byte(boost))
	if err != nil {
		t.Fatal(err)
	}
	if s.Original().URI != "https://a.example/users/x/statuses/1" || s.Link() != s.URI {
		t.Errorf("boost: original %q, link %q", s.Original().URI, s.Link())
	}
	for _, bad := range []string{`{"uri":"https://x"}`, `{"id":"1"}`, `{"id":"1","uri":"u","created_at":"yesterday"}`, `[1]`, `{"id":"1","uri":"u","reblog":{"id":"2"}}`} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("ParseStatus(%s): want an error", bad)
		}
	}
}

func TestParseHandle(t *testing.T) {
	for in, want := range map[string]string{
		"alice@Mastodon.Social": "alice@mastodon.social",
		"@bob@127.0.0.1:8080":   "bob@127.0.0.1:8080",
		" carol@h.example ":     "carol@h.example",
	} {
		h, err := ParseHandle(in)
		if err != nil || string(h) != want {
			t.Errorf("ParseHandle(%q) = %q, %v; want %q", in, h, err, want)
		}
	}
	for _, in := range []string{"alice", "@h.example", "alice@", "a b@h", "a@h/x", "a@b@c", ""} {
		if _, err := ParseHandle(in); ErrorCode(err) != EInvalid {
			t.Errorf("ParseHandle(%q): want an EInvalid error, got %v", in, err)
		}
	}
	h := Handle("alice@h.example:99")
	if h.User() != "alice" || h.Host() != "h.example:99" {
		t.Errorf("User/Host of %s: %q %q", h, h.User(), h.Host())
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://A.example/x":   "a.example",
		"http://127.0.0.1:80/y": "127.0.0.1:80",
		"ftp://a.example/":      "",
		"a.example/users/x":     "",
		"https:///nohost":       "",
		"javascript:alert(1)":   "",
	} {
		if got := HostOf(in); got != want {
			t.Errorf("HostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorsAndOutcomes(t *testing.T) {
	e := &Error{Code: EAuth, Message: "token refused", Hint: "log in again"}
	wrapped := fmt.Errorf("backup: %w", e)
	if ErrorCode(wrapped) != EAuth || ErrorCode(errors.New("x")) != EInternal || ErrorCode(nil) != "" {
		t.Error("ErrorCode does not find codes through wrapping")
	}
	if e.Error() != "token refused (log in again)" {
		t.Errorf("Error() = %q", e.Error())
	}
	for _, o := range Outcomes {
		if o.Succeeded() != (o == Imported || o == Already || o == Duplicate) {
			t.Errorf("%s.Succeeded() = %v", o, o.Succeeded())
		}
	}
}

func TestAuthorHandle(t *testing.T) {
	for _, c := range []struct {
		acct, url, server, want string
	}{
		{"", "https://a.example/@x", "b.example", ""},
		{"bob@Remote.Example", "https://remote.example/@bob", "b.example", "bob@remote.example"},
		{"@bob@remote.example", "", "", "bob@remote.example"},
		{"Alice", "https://profile.example/@Alice", "Home.Example:8443", "Alice@home.example:8443"},
		{"alice", "https://Profile.Example/@alice", "", "alice@profile.example"},
		{"alice", "javascript:alert(1)", "", "alice"},
		{"alice@", "", "home.example", "alice@home.example"},
	} {
		a := Author{Acct: c.acct, URL: c.url}
		if got := a.Handle(c.server); got != c.want {
			t.Errorf("Author{Acct: %q, URL: %q}.Handle(%q) = %q, want %q", c.acct, c.url, c.server, got, c.want)
		}
	}
}

func TestWebURLAndWebLink(t *testing.T) {
	if got := WebURL("", "javascript:alert(1)", "mailto:a@b.example", "/relative", "https://ok.example/1", "https://later.example"); got != "https://ok.example/1" {
		t.Errorf("WebURL = %q", got)
	}
	if got := WebURL("ftp://x.example/", "http:opaque"); got != "" {
		t.Errorf("WebURL of no http(s) URL = %q, want empty", got)
	}
	orig := Status{URI: "https://a.example/users/x/statuses/1", URL: "javascript:alert(1)"}
	boost := Status{URI: "https://b.example/users/y/statuses/9/activity", URL: "https://b.example/@y/9", Reblog: &orig}
	if got := boost.WebLink(); got != orig.URI {
		t.Errorf("boost WebLink = %q, want the original's URI %q", got, orig.URI)
	}
	plain := Status{URI: "tag:x", URL: "https://a.example/@x/2"}
	if got := plain.WebLink(); got != plain.URL {
		t.Errorf("WebLink = %q, want URL first", got)
	}
	if got := (Status{URI: "tag:x"}).WebLink(); got != "" {
		t.Errorf("WebLink with no http(s) address = %q", got)
	}
}

func TestIDString(t *testing.T) {
	for raw, want := range map[string]string{
		``: "", `null`: "", `"109"`: "109", `42`: "42", ` 42 `: "42", `1e3`: "1e3",
		`true`: "", `{"id":1}`: "", `[1]`: "", `"`: "",
	} {
		if got := IDString(json.RawMessage(raw)); got != want {
			t.Errorf("IDString(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestMediaState(t *testing.T) {
	for _, c := range []struct {
		s                MediaState
		retried, failure bool
	}{
		{MediaPending, true, false}, {MediaDone, false, false}, {MediaMissing, false, true},
		{MediaTooLarge, false, true}, {MediaInvalid, false, true}, {MediaFailed, true, true}, {"bogus", false, false},
	} {
		if c.s.Retried() != c.retried || c.s.Failure() != c.failure {
			t.Errorf("%q: Retried %v Failure %v, want %v %v", c.s, c.s.Retried(), c.s.Failure(), c.retried, c.failure)
		}
	}
}
