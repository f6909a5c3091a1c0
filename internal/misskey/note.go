package misskey

import (
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// A note becomes a fedimarks.Status as a Mastodon-API server would show it,
// so that everything that reads the archive reads notes as it reads
// statuses. Its Raw is that status's JSON, with the server's own answer
// kept byte for byte under RawKey: nothing the server said is lost, and
// ParseStatus(Raw) gives the same Status back.
//
// What a note carries maps as follows:
//
//   - uri: the note's ActivityPub id; a local note has none in its JSON
//     (Misskey leaves it out), and its id is SERVER/notes/ID;
//   - url: the note's url, else its uri;
//   - text (MFM) becomes content as text: escaped, lines broken with <br>,
//     its markup left as written; cw is spoiler_text (the page and the
//     exports collapse it as they collapse a content warning);
//   - a quote (text and a renote) is the note, with "RE: uri" after its
//     text; a pure renote (no text, no files) is the renoted note: as a
//     bookmark of a boost bookmarks the original, the favorite keeps the
//     post that was renoted, under its own id;
//   - visibility home, followers and specified are unlisted, private and
//     direct;
//   - files are media attachments (image, video, audio by MIME type, else
//     unknown; thumbnailUrl the preview; comment the description; the
//     note is sensitive when a file is);
//   - the user is the account: acct user or user@host, display name,
//     avatar, and as profile page the server's own page of the user
//     (SERVER/@user or SERVER/@user@host), which always exists;
//   - a note the account may no longer see (isHidden) has no text or
//     files: it is kept with what is known (its id, author and time).

// RawKey is the field of a Status's Raw that holds the server's own JSON:
// the favorite (id, createdAt, noteId, note) for a favorite.
const RawKey = "misskey_favorite"

// Note is the part of a packed Misskey note that fedimarks reads.
type Note struct {
	ID         string   `json:"id"`
	CreatedAt  string   `json:"createdAt"`
	Text       *string  `json:"text"`
	CW         *string  `json:"cw"`
	Visibility string   `json:"visibility"`
	URI        string   `json:"uri"`
	URL        string   `json:"url"`
	User       User     `json:"user"`
	Files      []File   `json:"files"`
	Tags       []string `json:"tags"`
	ReplyID    *string  `json:"replyId"`
	RenoteID   *string  `json:"renoteId"`
	Renote     *Note    `json:"renote"`
	IsHidden   bool     `json:"isHidden"`
}

// User is the part of a packed Misskey user that fedimarks reads.
type User struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	Username  string  `json:"username"`
	Host      *string `json:"host"`
	AvatarURL *string `json:"avatarUrl"`
}

// File is the part of a packed drive file that fedimarks reads.
type File struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	URL          string  `json:"url"`
	ThumbnailURL *string `json:"thumbnailUrl"`
	Comment      *string `json:"comment"`
	IsSensitive  bool    `json:"isSensitive"`
}

// status is the Mastodon-shaped JSON a note becomes.
type status struct {
	ID               string          `json:"id"`
	URI              string          `json:"uri"`
	URL              string          `json:"url"`
	CreatedAt        string          `json:"created_at"`
	InReplyToID      *string         `json:"in_reply_to_id"`
	Sensitive        bool            `json:"sensitive"`
	SpoilerText      string          `json:"spoiler_text"`
	Visibility       string          `json:"visibility"`
	Language         *string         `json:"language"`
	Content          string          `json:"content"`
	Account          account         `json:"account"`
	MediaAttachments []media         `json:"media_attachments"`
	Mentions         []any           `json:"mentions"`
	Tags             []tag           `json:"tags"`
	Reblog           *status         `json:"reblog"`
	Hidden           bool            `json:"fedimarks_hidden,omitempty"`
	Source           json.RawMessage `json:"misskey_favorite,omitempty"`
}

type account struct {
	ID           string `json:"id"`
	Username     string `json:"username"`
	Acct         string `json:"acct"`
	DisplayName  string `json:"display_name"`
	URL          string `json:"url"`
	Avatar       string `json:"avatar"`
	AvatarStatic string `json:"avatar_static"`
}

type media struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	URL         string  `json:"url"`
	PreviewURL  string  `json:"preview_url"`
	RemoteURL   *string `json:"remote_url"`
	Description *string `json:"description"`
}

type tag struct {
	Name string `json:"name"`
}

// StatusOf turns a note that server returned into a Status; source is the
// server's JSON kept in its Raw (the favorite, or the note itself).
func StatusOf(server string, n Note, source json.RawMessage) (fedimarks.Status, error) {
	server = strings.TrimRight(server, "/")
	if n.ID == "" {
		return fedimarks.Status{}, fmt.Errorf("decode note: no id")
	}
	if pureRenote(n) {
		n = *n.Renote
	}
	st := convert(server, n)
	st.Source = source
	raw, err := json.Marshal(st)
	if err != nil {
		return fedimarks.Status{}, fmt.Errorf("encode note %s: %w", n.ID, err)
	}
	return fedimarks.ParseStatus(raw)
}

// pureRenote reports whether n only renotes another note.
func pureRenote(n Note) bool {
	return n.Renote != nil && n.Renote.ID != "" && (n.Text == nil || *n.Text == "") && len(n.Files) == 0
}

// URIOf is a note's ActivityPub id: its uri, or for a note of server's
// own, SERVER/notes/ID.
func URIOf(server string, n Note) string {
	if n.URI != "" {
		return n.URI
	}
	return strings.TrimRight(server, "/") + "/notes/" + n.ID
}

func convert(server string, n Note) status {
	st := status{
		ID: n.ID, URI: URIOf(server, n), URL: n.URL, CreatedAt: n.CreatedAt, InReplyToID: n.ReplyID,
		Visibility: visibility(n.Visibility), Account: accountOf(server, n.User),
		MediaAttachments: []media{}, Mentions: []any{}, Tags: []tag{}, Hidden: n.IsHidden,
	}
	if st.URL == "" {
		st.URL = st.URI
	}
	if n.CW != nil {
		st.SpoilerText = *n.CW
	}
	var text string
	if n.Text != nil {
		text = *n.Text
	}
	st.Content = textHTML(text)
	if n.Renote != nil && n.Renote.ID != "" {
		quoted := URIOf(server, *n.Renote)
		st.Content += `<p class="quote-inline">RE: <a href="` + html.EscapeString(quoted) + `">` + html.EscapeString(quoted) + `</a></p>`
	}
	for _, f := range n.Files {
		m := media{ID: f.ID, Type: mediaType(f.Type), URL: f.URL, Description: f.Comment}
		if f.ThumbnailURL != nil {
			m.PreviewURL = *f.ThumbnailURL
		}
		if n.User.Host != nil {
			m.RemoteURL = &m.URL
		}
		st.Sensitive = st.Sensitive || f.IsSensitive
		st.MediaAttachments = append(st.MediaAttachments, m)
	}
	for _, t := range n.Tags {
		st.Tags = append(st.Tags, tag{Name: t})
	}
	return st
}

// textHTML shows MFM text as text, in HTML: escaped, one paragraph per
// blank-line-separated block, lines broken with <br>; "" for none.
func textHTML(text string) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return ""
	}
	var b strings.Builder
	for _, para := range strings.Split(text, "\n\n") {
		if para = strings.Trim(para, "\n"); para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

func visibility(v string) string {
	switch v {
	case "home":
		return "unlisted"
	case "followers":
		return "private"
	case "specified":
		return "direct"
	}
	return "public"
}

// mediaType is the Mastodon attachment type of a MIME type.
func mediaType(mimeType string) string {
	t, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		return "unknown"
	}
	switch {
	case strings.HasPrefix(t, "image/"):
		return "image"
	case strings.HasPrefix(t, "video/"):
		return "video"
	case strings.HasPrefix(t, "audio/"):
		return "audio"
	}
	return "unknown"
}

func accountOf(server string, u User) account {
	a := account{ID: u.ID, Username: u.Username, Acct: u.Username, URL: server + "/@" + u.Username}
	if u.Host != nil && *u.Host != "" {
		a.Acct = u.Username + "@" + *u.Host
		a.URL = server + "/@" + a.Acct
	}
	a.DisplayName = u.Username
	if u.Name != nil && *u.Name != "" {
		a.DisplayName = *u.Name
	}
	if u.AvatarURL != nil {
		a.Avatar, a.AvatarStatic = *u.AvatarURL, *u.AvatarURL
	}
	return a
}
