package mastodontest

import (
	"html"
	"regexp"
	"strings"
)

// Misskey's packed entities, field for field in its order (NoteEntityService,
// UserEntityService, DriveFileEntityService, NoteFavoriteEntityService).

type mkUserLite struct {
	ID                string            `json:"id"`
	Name              *string           `json:"name"`
	Username          string            `json:"username"`
	Host              *string           `json:"host"`
	AvatarURL         string            `json:"avatarUrl"`
	AvatarBlurhash    *string           `json:"avatarBlurhash"`
	AvatarDecorations []any             `json:"avatarDecorations"`
	IsBot             bool              `json:"isBot"`
	IsCat             bool              `json:"isCat"`
	Instance          *mkInstanceJSON   `json:"instance,omitempty"`
	Emojis            map[string]string `json:"emojis"`
	OnlineStatus      string            `json:"onlineStatus"`
	BadgeRoles        []any             `json:"badgeRoles"`
}

// mkInstanceJSON is what a user of another server carries about it.
type mkInstanceJSON struct {
	Name            string  `json:"name"`
	SoftwareName    string  `json:"softwareName"`
	SoftwareVersion string  `json:"softwareVersion"`
	IconURL         *string `json:"iconUrl"`
	FaviconURL      *string `json:"faviconUrl"`
	ThemeColor      *string `json:"themeColor"`
}

// mkUserDetailed is UserDetailedNotMe (MeDetailed adds a few fields).
type mkUserDetailed struct {
	mkUserLite
	URL            *string `json:"url"`
	URI            *string `json:"uri"`
	CreatedAt      string  `json:"createdAt"`
	UpdatedAt      *string `json:"updatedAt"`
	Description    *string `json:"description"`
	IsLocked       bool    `json:"isLocked"`
	FollowersCount int     `json:"followersCount"`
	FollowingCount int     `json:"followingCount"`
	NotesCount     int     `json:"notesCount"`
	PinnedNoteIDs  []any   `json:"pinnedNoteIds"`
}

type mkFileJSON struct {
	ID           string         `json:"id"`
	CreatedAt    string         `json:"createdAt"`
	Name         string         `json:"name"`
	Type         string         `json:"type"`
	MD5          string         `json:"md5"`
	Size         int            `json:"size"`
	IsSensitive  bool           `json:"isSensitive"`
	Blurhash     *string        `json:"blurhash"`
	Properties   map[string]any `json:"properties"`
	URL          string         `json:"url"`
	ThumbnailURL *string        `json:"thumbnailUrl"`
	Comment      *string        `json:"comment"`
	FolderID     *string        `json:"folderId"`
	Folder       any            `json:"folder"`
	UserID       *string        `json:"userId"`
	User         any            `json:"user"`
}

type mkNoteJSON struct {
	ID                 string            `json:"id"`
	CreatedAt          string            `json:"createdAt"`
	UserID             string            `json:"userId"`
	User               mkUserLite        `json:"user"`
	Text               *string           `json:"text"`
	CW                 *string           `json:"cw"`
	Visibility         string            `json:"visibility"`
	LocalOnly          bool              `json:"localOnly"`
	ReactionAcceptance *string           `json:"reactionAcceptance"`
	RenoteCount        int               `json:"renoteCount"`
	RepliesCount       int               `json:"repliesCount"`
	ReactionCount      int               `json:"reactionCount"`
	Reactions          map[string]int    `json:"reactions"`
	ReactionEmojis     map[string]string `json:"reactionEmojis"`
	Tags               []string          `json:"tags,omitempty"`
	FileIDs            []string          `json:"fileIds"`
	Files              []mkFileJSON      `json:"files"`
	ReplyID            *string           `json:"replyId"`
	RenoteID           *string           `json:"renoteId"`
	Mentions           []string          `json:"mentions,omitempty"`
	VisibleUserIDs     []string          `json:"visibleUserIds,omitempty"`
	URI                string            `json:"uri,omitempty"`
	URL                string            `json:"url,omitempty"`
	Reply              *mkNoteJSON       `json:"reply,omitempty"`
	Renote             *mkNoteJSON       `json:"renote,omitempty"`
	IsHidden           bool              `json:"isHidden,omitempty"`
	Extra              extraJSON         `json:"fedimarks_test_extra"`
}

type mkFavoriteJSON struct {
	ID        string     `json:"id"`
	CreatedAt string     `json:"createdAt"`
	NoteID    string     `json:"noteId"`
	Note      mkNoteJSON `json:"note"`
}

// displayName is a's name as servers show it by default.
func (a *Account) displayName() string {
	if a.display != "" {
		return a.display
	}
	return strings.ToUpper(a.username[:1]) + a.username[1:]
}

// software is the name nodeinfo gives for i.
func (i *Instance) software() string {
	if i.opts.Software != "" {
		return i.opts.Software
	}
	return i.opts.Quirk.String()
}

// packUser renders a as Misskey instance i shows it (UserLite).
func (i *Instance) packUser(a *Account) mkUserLite {
	u := mkUserLite{
		ID: i.accountID(a), Name: ptr(a.displayName()), Username: a.username,
		AvatarURL: a.inst.URL() + a.avatar, AvatarDecorations: []any{}, Emojis: map[string]string{},
		OnlineStatus: "unknown", BadgeRoles: []any{},
	}
	if a.inst != i {
		u.Host = ptr(a.inst.host)
		u.Instance = &mkInstanceJSON{Name: a.inst.opts.Title, SoftwareName: a.inst.software(), SoftwareVersion: a.inst.nodeinfoVersion()}
		u.OnlineStatus = "unknown"
	}
	return u
}

// packUserDetailed is UserDetailedNotMe.
func (i *Instance) packUserDetailed(a *Account) mkUserDetailed {
	followers := 0
	for _, inst := range i.n.instances {
		for _, b := range inst.accounts {
			if b.follows[a] {
				followers++
			}
		}
	}
	d := mkUserDetailed{
		mkUserLite: i.packUser(a), CreatedAt: timeJSON(idBase), Description: ptr("A test account."),
		FollowersCount: followers, FollowingCount: len(a.follows), NotesCount: a.posts, PinnedNoteIDs: []any{},
	}
	if a.inst != i {
		d.URL, d.URI = ptr(a.profileURL()), ptr(a.actorURI())
	}
	return d
}

// misskeyVisibility maps a post's visibility to Misskey's.
func misskeyVisibility(v string) string {
	switch v {
	case "unlisted":
		return "home"
	case "private":
		return "followers"
	case "direct":
		return "specified"
	}
	return "public"
}

// mimeOf is the MIME type of an attachment kind.
func mimeOf(typ string) string {
	switch typ {
	case "image":
		return "image/png"
	case "video", "gifv":
		return "video/mp4"
	case "audio":
		return "audio/mpeg"
	}
	return "application/octet-stream"
}

// packNote renders p as Misskey instance i shows it to me (nil:
// anonymous). Replies and renotes are packed one level deep, as with
// detail.
func (i *Instance) packNote(p *post, me *Account, detail bool) mkNoteJSON {
	c := i.copies[p]
	if c == nil {
		i.federate(p)
		c = i.copies[p]
	}
	j := mkNoteJSON{
		ID: c.id, CreatedAt: timeJSON(p.createdAt), UserID: i.accountID(p.author), User: i.packUser(p.author),
		Visibility: misskeyVisibility(p.visibility), Reactions: map[string]int{}, ReactionEmojis: map[string]string{},
		FileIDs: []string{}, Files: []mkFileJSON{}, Extra: extraJSON{Nested: []any{1, "x"}},
	}
	if p.origin != i {
		j.URI = p.uri
		if p.url != "" && p.url != p.uri {
			j.URL = p.url
		}
	}
	if p.reblog == nil || p.quote {
		text := p.mfm
		if text == "" {
			text = htmlText(p.content)
		}
		j.Text = ptr(text)
		if p.spoiler != "" {
			j.CW = ptr(p.spoiler)
		}
	}
	for _, t := range p.tags {
		j.Tags = append(j.Tags, strings.ToLower(t))
	}
	for _, m := range p.mentions {
		j.Mentions = append(j.Mentions, i.accountID(m))
	}
	if p.visibility == "direct" {
		j.VisibleUserIDs = j.Mentions
	}
	for k, m := range p.media {
		f := mkFileJSON{
			ID: c.mediaIDs[k], CreatedAt: timeJSON(p.createdAt), Name: m.original[strings.LastIndex(m.original, "/")+1:],
			Type: mimeOf(m.typ), MD5: md5ID(m.original), Size: p.origin.fileSize(m.original), IsSensitive: p.sensitive,
			Properties: map[string]any{}, URL: m.original, ThumbnailURL: ptr(m.small),
		}
		if m.typ == "image" {
			f.Blurhash = ptr("eEHV6nWB2yk8pyo0adR*.7kCMdnj00M{~qof")
			f.Properties = map[string]any{"width": 1, "height": 1}
		}
		if m.description != "" {
			f.Comment = ptr(m.description)
		}
		if p.origin == i {
			f.UserID = ptr(p.author.id)
		}
		j.FileIDs = append(j.FileIDs, f.ID)
		j.Files = append(j.Files, f)
	}
	if p.inReplyTo != nil {
		if rc := i.copies[p.inReplyTo]; rc != nil {
			j.ReplyID = ptr(rc.id)
			if detail && !p.inReplyTo.deleted {
				r := i.packNote(p.inReplyTo, me, false)
				j.Reply = &r
			}
		}
	}
	if p.reblog != nil {
		i.federate(p.reblog)
		j.RenoteID = ptr(i.copies[p.reblog].id)
		if !p.reblog.deleted {
			r := i.packNote(p.reblog, me, false)
			j.Renote = &r
		}
	}
	if !visible(p, me) {
		// NoteEntityService.hideNote: the note is listed, its content not.
		j.IsHidden, j.Text, j.CW, j.FileIDs, j.Files, j.VisibleUserIDs = true, nil, nil, []string{}, []mkFileJSON{}, nil
	}
	return j
}

// fileSize is the size of the file at u, one of i's.
func (i *Instance) fileSize(u string) int {
	if f := i.files[strings.TrimPrefix(u, i.URL())]; f != nil {
		return f.size
	}
	return 0
}

var (
	breakTags = regexp.MustCompile(`(?i)<br\s*/?>|</p>\s*<p[^>]*>`)
	anyTag    = regexp.MustCompile(`<[^>]*>`)
)

// htmlText is the text of a post's HTML, as Misskey's MfmService.fromHtml
// turns a remote post into MFM: paragraphs and breaks become newlines,
// other tags go.
func htmlText(s string) string {
	s = breakTags.ReplaceAllString(s, "\n")
	return strings.TrimSpace(html.UnescapeString(anyTag.ReplaceAllString(s, "")))
}

// mfmHTML is the HTML a Misskey note federates as (MfmService.toHtml,
// markup left as text): one paragraph, lines broken by <br>.
func mfmHTML(text string) string {
	return "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</p>"
}
