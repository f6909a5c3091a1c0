// Package fedimarks is the domain of fedimarks, a tool that backs up,
// exports, imports and migrates fediverse bookmarks.
//
// The package holds the vocabulary every other package speaks: a Status as a
// server returned it (raw JSON kept byte for byte), a Bookmark in an
// account's archive, an ImportItem and its Outcome, the Error type that
// carries a code and a message meant for a person. It imports nothing of
// this module; adapters (internal/mastodon, internal/sqlite,
// internal/formats, ...) and engines (internal/backup, internal/transfer)
// import it.
package fedimarks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Status is one post as a Mastodon-compatible server returned it.
//
// Raw holds the JSON object exactly as received, unknown fields included;
// the other fields are extracted from it for convenience and are never the
// source of truth. The zero value is an empty status with no Raw.
type Status struct {
	// ID is the post's id on the server that returned it (not portable).
	ID string
	// URI is the post's ActivityPub id, the same on every server.
	URI string
	// URL is the post's web page, when the server gives one.
	URL         string
	CreatedAt   time.Time
	Account     Author
	Content     string // HTML, untrusted
	SpoilerText string
	Language    string
	Visibility  string
	Sensitive   bool
	Media       []Media
	Tags        []string
	// Mentions are the accounts the post mentions, as the server lists
	// them (none when its list cannot be read).
	Mentions []Mention
	// Reblog is set when the status is a boost; bookmarking a boost
	// bookmarks the original post.
	Reblog *Status
	// Hidden says the server lists the post but no longer shows its
	// content to this account (Misskey's isHidden, as "fedimarks_hidden"
	// in Raw): a copy archived before is kept as it was.
	Hidden bool
	Raw    json.RawMessage
	// Server is the host of the server that returned this copy (the
	// archive's statuses.host; "" when not known): an acct without a host
	// is local to it. See AuthorHandle.
	Server string
}

// Mention is an account a post mentions: its acct as the serving
// instance sees it and its profile page.
type Mention struct {
	Acct string `json:"acct"`
	URL  string `json:"url"`
}

// Author is the account that wrote a status.
type Author struct {
	ID           string
	Username     string
	Acct         string // user or user@host as the serving instance sees it
	DisplayName  string
	URL          string // profile page
	Avatar       string
	AvatarStatic string
}

// Handle returns the author as user@host, without a leading @ and with the
// host lower-cased; "" when Acct is empty. A server gives its own users'
// acct without a host: the host is then serverHost (the host of the server
// that returned the post, Status.Server: see Status.AuthorHandle), else the
// host of the author's profile URL; with neither, the bare acct.
func (a Author) Handle(serverHost string) string {
	acct := strings.TrimPrefix(strings.TrimSpace(a.Acct), "@")
	if user, host, ok := strings.Cut(acct, "@"); ok {
		if host != "" {
			return user + "@" + strings.ToLower(host)
		}
		acct = user
	}
	if acct == "" {
		return ""
	}
	host := strings.ToLower(serverHost)
	if host == "" {
		host = HostOf(a.URL)
	}
	if host == "" {
		return acct
	}
	return acct + "@" + host
}

// Media is one attachment of a status.
type Media struct {
	ID          string
	Type        string // image, video, gifv, audio, unknown
	URL         string
	PreviewURL  string
	RemoteURL   string
	Description string
}

// wireStatus mirrors the fields of Mastodon's Status entity that we extract.
type wireStatus struct {
	ID          json.RawMessage `json:"id"`
	URI         string          `json:"uri"`
	URL         *string         `json:"url"`
	CreatedAt   string          `json:"created_at"`
	Content     string          `json:"content"`
	SpoilerText string          `json:"spoiler_text"`
	Language    *string         `json:"language"`
	Visibility  string          `json:"visibility"`
	Sensitive   bool            `json:"sensitive"`
	Account     struct {
		ID           json.RawMessage `json:"id"`
		Username     string          `json:"username"`
		Acct         string          `json:"acct"`
		DisplayName  string          `json:"display_name"`
		URL          string          `json:"url"`
		Avatar       string          `json:"avatar"`
		AvatarStatic string          `json:"avatar_static"`
	} `json:"account"`
	MediaAttachments []struct {
		ID          json.RawMessage `json:"id"`
		Type        string          `json:"type"`
		URL         *string         `json:"url"`
		PreviewURL  *string         `json:"preview_url"`
		RemoteURL   *string         `json:"remote_url"`
		Description *string         `json:"description"`
	} `json:"media_attachments"`
	Tags []struct {
		Name string `json:"name"`
	} `json:"tags"`
	Reblog   json.RawMessage `json:"reblog"`
	Mentions json.RawMessage `json:"mentions"`
	Hidden   bool            `json:"fedimarks_hidden"`
}

// Skipped is an element of a page of a server's listing that is not a
// usable status: its JSON as the server sent it, and why.
type Skipped struct {
	Raw json.RawMessage
	Err error
}

// ParseStatus decodes one Status JSON object and keeps raw as Status.Raw.
// IDs may be JSON strings (Mastodon, GoToSocial) or numbers (some Pixelfed
// and Akkoma versions); both become strings. A status without an id or a uri
// is an error, since nothing could be done with it.
func ParseStatus(raw []byte) (Status, error) {
	var w wireStatus
	if err := json.Unmarshal(raw, &w); err != nil {
		return Status{}, fmt.Errorf("decode status: %w", err)
	}
	s := Status{
		ID:          IDString(w.ID),
		URI:         w.URI,
		URL:         deref(w.URL),
		Content:     w.Content,
		SpoilerText: w.SpoilerText,
		Language:    deref(w.Language),
		Visibility:  w.Visibility,
		Sensitive:   w.Sensitive,
		Hidden:      w.Hidden,
		Account: Author{
			ID:           IDString(w.Account.ID),
			Username:     w.Account.Username,
			Acct:         w.Account.Acct,
			DisplayName:  w.Account.DisplayName,
			URL:          w.Account.URL,
			Avatar:       w.Account.Avatar,
			AvatarStatic: w.Account.AvatarStatic,
		},
		Raw: append(json.RawMessage(nil), raw...),
	}
	if s.ID == "" {
		return Status{}, fmt.Errorf("decode status: no id")
	}
	if s.URI == "" {
		return Status{}, fmt.Errorf("decode status %s: no uri", s.ID)
	}
	if w.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, w.CreatedAt)
		if err != nil {
			return Status{}, fmt.Errorf("decode status %s: created_at: %w", s.ID, err)
		}
		s.CreatedAt = t.UTC()
	}
	for _, m := range w.MediaAttachments {
		s.Media = append(s.Media, Media{
			ID: IDString(m.ID), Type: m.Type, URL: deref(m.URL), PreviewURL: deref(m.PreviewURL),
			RemoteURL: deref(m.RemoteURL), Description: deref(m.Description),
		})
	}
	for _, t := range w.Tags {
		s.Tags = append(s.Tags, t.Name)
	}
	// Read on their own: a list of another shape leaves the post without
	// mentions, it does not make the post unreadable.
	if len(w.Mentions) > 0 && json.Unmarshal(w.Mentions, &s.Mentions) != nil {
		s.Mentions = nil
	}
	if len(w.Reblog) > 0 && string(w.Reblog) != "null" {
		r, err := ParseStatus(w.Reblog)
		if err != nil {
			return Status{}, fmt.Errorf("decode status %s: reblog: %w", s.ID, err)
		}
		s.Reblog = &r
	}
	return s, nil
}

// IDString returns a JSON id as a string: servers send ids as strings
// (Mastodon) or numbers (some others), and a number is kept as written.
// It returns "" for a missing or null id and for any other JSON value.
func IDString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TimeLayout is the layout of a time shown to a person, e.g.
// "2024-05-01 10:20": the terminal and the local web page show local time
// this way, exports show UTC this way followed by " UTC". Files meant for
// programs use RFC 3339 instead.
const TimeLayout = "2006-01-02 15:04"

// Original returns the status that a bookmark of s really points at: the
// boosted post for a boost, s itself otherwise.
func (s Status) Original() Status {
	if s.Reblog != nil {
		o := *s.Reblog
		if o.Server == "" {
			o.Server = s.Server // one server returned both
		}
		return o
	}
	return s
}

// AuthorHandle returns the author of s as user@host (see Author.Handle).
// An acct without a host is local to the server that returned this copy,
// s.Server, whichever account it is shown for; viewerHost, the host of
// the account it is shown for, stands in only when s.Server is not known
// (a status not read from the archive).
func (s Status) AuthorHandle(viewerHost string) string {
	if s.Server != "" {
		return s.Account.Handle(s.Server)
	}
	return s.Account.Handle(viewerHost)
}

// Link returns the best address for a person: the web URL, else the URI,
// whatever their scheme. Anything that shows or links the address should
// use WebLink, which takes http(s) addresses only.
func (s Status) Link() string {
	if s.URL != "" {
		return s.URL
	}
	return s.URI
}

// WebLink returns the address of the post a bookmark of s points at (the
// boosted post, for a boost) that a page or a terminal may show: its web
// URL, else its URI, whichever is an absolute http(s) URL first; "" if
// neither is. A hostile server could send a javascript: URL; this never
// returns one.
func (s Status) WebLink() string {
	o := s.Original()
	return WebURL(o.URL, o.URI)
}

// WebURL returns the first of candidates that is an absolute http(s) URL
// with a host, or "" if none is.
func WebURL(candidates ...string) string {
	for _, u := range candidates {
		if HostOf(u) != "" {
			return u
		}
	}
	return ""
}

// Bookmark is one status in one account's archive.
type Bookmark struct {
	// Account is the handle (user@host) of the archived account.
	Account string
	Status  Status
	// FirstSeen and LastSeen are when a backup first and last saw the
	// bookmark on the server. Servers do not expose when a bookmark was made,
	// so FirstSeen is the closest we know.
	FirstSeen time.Time
	LastSeen  time.Time
	// RemovedAt is set when a full backup found the bookmark gone; the row
	// is kept as history.
	RemovedAt *time.Time
	// Tags and Note are the account's own labels on the post (local to
	// the archive, never sent to a server); see ValidTag.
	Tags []string
	Note string
	// Folder is the server's bookmark folder the bookmark is in (Pleroma),
	// as the last backup saw it; nil for none. Its name is also a local
	// tag (FolderTag).
	Folder *Folder
	// Thread, when set (export --with-context), is the post's thread as
	// backup --context kept it.
	Thread *Thread
}

// Thread is a post's thread: Before, the posts it replies to, oldest
// first; After, the replies below it in the server's order.
type Thread struct {
	Before, After []Status
}

// Handle is an account's name as user@host, where host may carry a port
// (loopback test servers do).
type Handle string

// ParseHandle checks s is of the form user@host (an optional leading @ is
// dropped) and returns it lower-cased in the host part. A handle never
// holds spaces, controls or invisible characters: it names an account in
// messages and keys its token.
func ParseHandle(s string) (Handle, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	user, host, ok := strings.Cut(s, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(s, " /\\") || strings.Contains(host, "@") || strings.ContainsFunc(s, isInvisible) {
		return "", Errorf(EInvalid, "%q is not an account: expected user@host", s)
	}
	return Handle(user + "@" + strings.ToLower(host)), nil
}

// User is the part before the @.
func (h Handle) User() string { u, _, _ := strings.Cut(string(h), "@"); return u }

// Host is the part after the @ (host, or host:port).
func (h Handle) Host() string { _, host, _ := strings.Cut(string(h), "@"); return host }

// Account is a signed-in account that fedimarks may act for. The token is
// never part of it: it lives in a token store.
type Account struct {
	Handle Handle
	// ID is the account's id on its server.
	ID string
	// Server is the instance's base URL (https://host or, for loopback
	// testing only, http://host:port).
	Server string
	Scopes []string
	// Software is what the server says it runs ("mastodon 4.3.0", ...),
	// when known.
	Software string
	// API is the family whose API fedimarks speaks to the server, chosen
	// at login ("" for accounts saved before it: Mastodon's); see Family.
	API Family
	// LastBackup is when a backup of this account last completed.
	LastBackup time.Time
	// TokenStore says where the token is kept ("keyring" or a file path).
	TokenStore string
}

// HostOf returns the host (with port, if any) of a URL, lower-cased, or ""
// if s is not an absolute http(s) URL.
func HostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}
