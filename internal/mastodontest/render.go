package mastodontest

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
)

// The JSON entities, field for field in Mastodon's order.

type accountJSON struct {
	ID             string   `json:"id"`
	Username       string   `json:"username"`
	Acct           string   `json:"acct"`
	DisplayName    string   `json:"display_name"`
	Locked         bool     `json:"locked"`
	Bot            bool     `json:"bot"`
	Discoverable   bool     `json:"discoverable"`
	Group          bool     `json:"group"`
	CreatedAt      string   `json:"created_at"`
	Note           string   `json:"note"`
	URL            string   `json:"url"`
	URI            string   `json:"uri"`
	Avatar         string   `json:"avatar"`
	AvatarStatic   string   `json:"avatar_static"`
	Header         string   `json:"header"`
	HeaderStatic   string   `json:"header_static"`
	FollowersCount int      `json:"followers_count"`
	FollowingCount int      `json:"following_count"`
	StatusesCount  int      `json:"statuses_count"`
	LastStatusAt   *string  `json:"last_status_at"`
	Emojis         []any    `json:"emojis"`
	Fields         []any    `json:"fields"`
	Source         *sourceJ `json:"source,omitempty"`
}

type sourceJ struct {
	Privacy             string `json:"privacy"`
	Sensitive           bool   `json:"sensitive"`
	Language            string `json:"language"`
	Note                string `json:"note"`
	Fields              []any  `json:"fields"`
	FollowRequestsCount int    `json:"follow_requests_count"`
}

type mediaJSON struct {
	ID               string  `json:"id"`
	Type             string  `json:"type"`
	URL              string  `json:"url"`
	PreviewURL       string  `json:"preview_url"`
	RemoteURL        *string `json:"remote_url"`
	PreviewRemoteURL *string `json:"preview_remote_url"`
	TextURL          *string `json:"text_url"`
	Meta             any     `json:"meta"`
	Description      *string `json:"description"`
	Blurhash         *string `json:"blurhash"`
}

type mentionJSON struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

type tagJSON struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type applicationJSON struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

// extraJSON is a field no real server sends, so that callers can check
// they keep the raw JSON.
type extraJSON struct {
	Nested []any `json:"nested"`
}

type statusJSON struct {
	ID                 string           `json:"id"`
	CreatedAt          string           `json:"created_at"`
	InReplyToID        *string          `json:"in_reply_to_id"`
	InReplyToAccountID *string          `json:"in_reply_to_account_id"`
	Sensitive          bool             `json:"sensitive"`
	SpoilerText        string           `json:"spoiler_text"`
	Visibility         string           `json:"visibility"`
	Language           *string          `json:"language"`
	URI                string           `json:"uri"`
	URL                *string          `json:"url"`
	RepliesCount       int              `json:"replies_count"`
	ReblogsCount       int              `json:"reblogs_count"`
	FavouritesCount    int              `json:"favourites_count"`
	EditedAt           *string          `json:"edited_at"`
	Favourited         *bool            `json:"favourited,omitempty"`
	Reblogged          *bool            `json:"reblogged,omitempty"`
	Muted              *bool            `json:"muted,omitempty"`
	Bookmarked         *bool            `json:"bookmarked,omitempty"`
	Pinned             *bool            `json:"pinned,omitempty"`
	Content            string           `json:"content"`
	Filtered           []any            `json:"filtered"`
	Reblog             *statusJSON      `json:"reblog"`
	Application        *applicationJSON `json:"application"`
	Account            accountJSON      `json:"account"`
	MediaAttachments   []mediaJSON      `json:"media_attachments"`
	Mentions           []mentionJSON    `json:"mentions"`
	Tags               []tagJSON        `json:"tags"`
	Emojis             []any            `json:"emojis"`
	Card               any              `json:"card"`
	Poll               any              `json:"poll"`
	Pleroma            *pleromaJSON     `json:"pleroma,omitempty"`
	Extra              extraJSON        `json:"fedimarks_test_extra"`
}

// timeJSON formats a time as Mastodon does: milliseconds, UTC.
func timeJSON(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func ptr[T any](v T) *T { return &v }

// acct is how i names a: "name" for its own accounts, "name@host" else.
func (i *Instance) acct(a *Account) string {
	if a.inst == i {
		return a.username
	}
	return a.username + "@" + a.inst.host
}

// renderAccount renders a as i shows it.
func (i *Instance) renderAccount(a *Account) accountJSON {
	followers := 0
	for _, inst := range i.n.instances {
		for _, b := range inst.accounts {
			if b.follows[a] {
				followers++
			}
		}
	}
	av := a.inst.URL() + a.avatar
	display := a.display
	if display == "" {
		display = strings.ToUpper(a.username[:1]) + a.username[1:]
	}
	j := accountJSON{
		ID: i.accountID(a), Username: a.username, Acct: i.acct(a), DisplayName: display,
		Discoverable: true, CreatedAt: idBase.Format("2006-01-02T00:00:00.000Z"), Note: "<p>A test account.</p>",
		URL: a.profileURL(), URI: a.actorURI(), Avatar: av, AvatarStatic: av,
		Header: i.URL() + "/headers/original/missing.png", HeaderStatic: i.URL() + "/headers/original/missing.png",
		FollowersCount: followers, FollowingCount: len(a.follows), StatusesCount: a.posts,
		Emojis: []any{}, Fields: []any{},
	}
	if a.posts > 0 {
		j.LastStatusAt = ptr(postBase.Format("2006-01-02"))
	}
	return j
}

// renderStatus renders p as i shows it to viewer (nil: anonymous or an
// app). i must have a copy of p.
func (i *Instance) renderStatus(p *post, viewer *Account) statusJSON {
	c := i.copies[p]
	if c == nil {
		i.federate(p)
		c = i.copies[p]
	}
	j := statusJSON{
		ID: c.id, CreatedAt: timeJSON(p.createdAt), Sensitive: p.sensitive, SpoilerText: p.spoiler,
		Visibility: p.visibility, URI: p.uri, Content: p.content, Filtered: []any{},
		Account: i.renderAccount(p.author), MediaAttachments: []mediaJSON{}, Mentions: []mentionJSON{},
		Tags: []tagJSON{}, Emojis: []any{},
		Extra: extraJSON{Nested: []any{1, "x"}},
	}
	if p.language != "" {
		j.Language = ptr(p.language)
	}
	if p.url != "" {
		j.URL = ptr(p.url)
	}
	if p.origin == i && p.reblog == nil {
		j.Application = &applicationJSON{Name: "Web"}
	}
	if viewer != nil {
		f := false
		j.Favourited, j.Reblogged, j.Muted, j.Pinned = &f, &f, &f, &f
		j.Bookmarked = ptr(viewer.inst == i && viewer.bookmarkOf(p) != nil)
	}
	i.renderReplyTo(&j, p)
	i.renderPleroma(&j, p, viewer)
	if p.reblog != nil {
		r := i.renderStatus(p.reblog, viewer)
		j.Reblog = &r
		j.Content = ""
	}
	for k, m := range p.media {
		mj := mediaJSON{ID: c.mediaIDs[k], Type: m.typ, URL: m.original, PreviewURL: m.small}
		if p.origin != i {
			mj.RemoteURL, mj.PreviewRemoteURL = ptr(m.original), ptr(m.small)
		}
		if m.description != "" {
			mj.Description = ptr(m.description)
		}
		if m.typ == "image" {
			mj.Blurhash = ptr("UEHV6nWB2yk8pyo0adR*.7kCMdnj00M{~qof")
			dim := map[string]any{"width": 1, "height": 1, "size": "1x1", "aspect": 1.0}
			mj.Meta = map[string]any{"original": dim, "small": dim}
		} else {
			mj.Meta = map[string]any{}
		}
		j.MediaAttachments = append(j.MediaAttachments, mj)
	}
	for _, a := range p.mentions {
		j.Mentions = append(j.Mentions, mentionJSON{ID: i.accountID(a), Username: a.username, URL: a.profileURL(), Acct: i.acct(a)})
	}
	for _, t := range p.tags {
		j.Tags = append(j.Tags, tagJSON{Name: strings.ToLower(t), URL: i.URL() + "/tags/" + url.PathEscape(strings.ToLower(t))})
	}
	return j
}

// noteJSON is the ActivityPub object the origin serves for p.
func noteJSON(p *post) map[string]any {
	to, cc := []string{"https://www.w3.org/ns/activitystreams#Public"}, []string{p.author.actorURI() + "/followers"}
	switch p.visibility {
	case "unlisted":
		to, cc = cc, to
	case "private":
		to, cc = cc, []string{}
	case "direct":
		to, cc = []string{}, []string{}
		for _, m := range p.mentions {
			to = append(to, m.actorURI())
		}
	}
	if p.reblog != nil {
		return map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": p.uri, "type": "Announce",
			"actor": p.author.actorURI(), "published": timeJSON(p.createdAt), "to": to, "cc": cc, "object": p.reblog.uri,
		}
	}
	var att []any
	for _, m := range p.media {
		att = append(att, map[string]any{"type": "Document", "url": m.original, "name": m.description})
	}
	obj := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": p.uri, "type": "Note",
		"attributedTo": p.author.actorURI(), "url": p.url, "published": timeJSON(p.createdAt),
		"to": to, "cc": cc, "sensitive": p.sensitive, "summary": p.spoiler, "content": p.content,
		"attachment": att,
	}
	if p.mfm != "" { // as Misskey federates a note: its MFM source beside the HTML
		obj["_misskey_content"] = p.mfm
		obj["source"] = map[string]any{"content": p.mfm, "mediaType": "text/x.misskeymarkdown"}
	}
	return obj
}

// instanceV1 is GET /api/v1/instance.
func (i *Instance) instanceV1() map[string]any {
	users, statuses := 0, 0
	for _, a := range i.accounts {
		users++
		statuses += a.posts
	}
	return i.withPleroma(map[string]any{
		"uri": i.host, "title": i.opts.Title, "short_description": "A fake server for tests.",
		"description": "A fake server for tests.", "email": "admin@" + i.host, "version": i.opts.Version,
		"urls":      map[string]any{"streaming_api": "ws://" + i.host},
		"stats":     map[string]any{"user_count": users, "status_count": statuses, "domain_count": len(i.n.instances)},
		"thumbnail": nil, "languages": []string{"en"}, "registrations": false, "approval_required": false,
		"invites_enabled": false,
		"configuration": map[string]any{
			"statuses":          map[string]any{"max_characters": 500, "max_media_attachments": 4},
			"media_attachments": map[string]any{"supported_mime_types": []string{"image/png", "image/jpeg", "video/mp4", "audio/mpeg"}},
		},
		"contact_account": nil, "rules": []any{},
	})
}

// instanceV2 is GET /api/v2/instance.
func (i *Instance) instanceV2() map[string]any {
	return i.withPleroma(map[string]any{
		"domain": i.host, "title": i.opts.Title, "version": i.opts.Version,
		"source_url": sourceURL(i.opts.Quirk), "description": "A fake server for tests.",
		"usage":     map[string]any{"users": map[string]any{"active_month": len(i.accounts)}},
		"thumbnail": map[string]any{"url": i.URL() + "/packs/media/images/preview.png"},
		"languages": []string{"en"},
		"configuration": map[string]any{
			"urls":     map[string]any{"streaming": "ws://" + i.host},
			"statuses": map[string]any{"max_characters": 500, "max_media_attachments": 4},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": false, "message": nil},
		"contact":       map[string]any{"email": "admin@" + i.host, "account": nil},
		"rules":         []any{},
	})
}

func sourceURL(q Quirk) string {
	switch q {
	case GoToSocial:
		return "https://github.com/superseriousbusiness/gotosocial"
	case Pixelfed:
		return "https://github.com/pixelfed/pixelfed"
	case Snac:
		return "https://codeberg.org/grunfink/snac2"
	case Misskey:
		return "https://github.com/misskey-dev/misskey"
	case Pleroma:
		return "https://git.pleroma.social/pleroma/pleroma"
	}
	return "https://github.com/mastodon/mastodon"
}

// pageHTML is the web page of a post, for a browser.
func pageHTML(p *post) string {
	return fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>%s</title><link rel=\"alternate\" type=\"application/activity+json\" href=\"%s\"></head><body><article>%s</article></body></html>\n",
		html.EscapeString(p.author.username), html.EscapeString(p.uri), p.content)
}
