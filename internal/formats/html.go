package formats

import (
	"bufio"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

func init() {
	Register(Format{
		Name:        "html",
		Description: "an HTML page of every post with the images backup --media kept, readable offline; loads nothing from the network",
		Extension:   ".html",
		MediaType:   "text/html; charset=utf-8",
		New:         newHTMLEncoder,
	})
}

// htmlHead, htmlArticle, htmlBody and htmlFoot are the page's templates,
// parsed for each Encoder (no package-level state). The page is streamed: head on the first Encode (or on Close for an empty
// export), one article per bookmark, the foot on Close. html/template
// escapes every value by context; the post's content is the only HTML
// inserted as such, and only after posthtml.Sanitize; the only files it
// loads are checked local copies (LocalCopy). The Content Security Policy
// forbids every script and every fetch but images and media from beside
// the page or embedded, so the page stays inert even if something slipped
// through.
const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fedimarks">
<title>{{.Title}}</title>
<style>
:root { color-scheme: light dark; --fg: #1f2328; --muted: #656d76; --bg: #ffffff; --card: #f6f8fa; --line: #d0d7de; --link: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --bg: #0d1117; --card: #161b22; --line: #30363d; --link: #6cb6ff; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 46rem; padding: 1.5rem 1rem 4rem; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); background: var(--bg); }
header h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
header p, footer { color: var(--muted); font-size: .9rem; margin: 0; }
article { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .9rem 1.1rem; margin: 1rem 0; overflow-wrap: anywhere; }
article.removed { opacity: .75; border-style: dashed; }
.meta { display: flex; flex-wrap: wrap; gap: .15rem .5rem; align-items: center; font-size: .92rem; }
.avatar { width: 40px; height: 40px; border-radius: .4rem; flex: none; object-fit: cover; background: var(--line) center / cover no-repeat; }
.avatar.placeholder { display: inline-flex; align-items: center; justify-content: center; background: var(--link); color: var(--bg); font-weight: 700; }
.name { font-weight: 600; }
.handle, .when, .note, .vis { color: var(--muted); }
.handle { min-width: 0; overflow: hidden; text-overflow: ellipsis; overflow-wrap: normal; }
.handle > span { white-space: nowrap; }
.vis { border: 1px solid var(--line); border-radius: .3rem; padding: 0 .3rem; font-size: .8rem; }
.when { margin-inline-start: auto; }
a { color: var(--link); }
.content p { margin: .55rem 0; }
.content p, .content li { unicode-bidi: plaintext; }
.content .invisible { display: none; }
.content .ellipsis::after { content: "…"; }
details { margin: .55rem 0; }
summary { cursor: pointer; font-weight: 600; }
ul.media { margin: .5rem 0; padding: 0; list-style: none; font-size: .92rem; }
ul.media li { margin: .4rem 0; }
ul.media img, ul.media video { display: block; max-width: 100%; max-height: 32rem; border-radius: .4rem; margin-bottom: .2rem; }
ul.media audio { display: block; width: 100%; }
.tags { font-size: .85rem; color: var(--muted); margin: .4rem 0 0; }
.original { font-size: .88rem; margin: .5rem 0 0; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
{{if .Generated}}<p>Exported by fedimarks on <time datetime="{{.GeneratedISO}}">{{.Generated}}</time>.</p>{{end}}
</header>
<main>
`

const htmlArticle = `<article{{if .Removed}} class="removed"{{end}}{{with .Lang}} lang="{{.}}"{{end}}>
<div class="meta">{{if .AvatarSrc}}<img class="avatar" src="{{.AvatarSrc}}" alt="" width="40" height="40">{{else if .AvatarClass}}<span class="avatar {{.AvatarClass}}" aria-hidden="true"></span>{{else}}<span class="avatar placeholder" aria-hidden="true">{{.Initial}}</span>{{end}} {{if .ProfileURL}}<a class="name" href="{{.ProfileURL}}" rel="nofollow noopener noreferrer" target="_blank" dir="auto">{{.Name}}</a>{{else}}<span class="name" dir="auto">{{.Name}}</span>{{end}}{{with .Handle}} <span class="handle" title="@{{.}}">{{handle .}}</span>{{end}}{{with .Vis}} <span class="vis">{{.}}</span>{{end}}{{if .When}} <time class="when" datetime="{{.WhenISO}}">{{.When}}</time>{{end}}</div>
{{if .Spoiler}}<details>
<summary dir="auto">{{.Spoiler}}</summary>
{{template "body" .}}</details>
{{else}}{{template "body" .}}{{end}}{{if .Tags}}<p class="tags">{{range $i, $t := .Tags}}{{if $i}} {{end}}#{{$t}}{{end}}</p>
{{end}}{{with .LocalTags}}<p class="tags local">{{.}}</p>
{{end}}{{with .Note}}<p class="note" dir="auto">Note: {{.}}</p>
{{end}}{{with .Thread}}{{template "thread" .}}{{end}}{{if .Link}}<p class="original"><a href="{{.Link}}" rel="nofollow noopener noreferrer" target="_blank">Original post</a>{{if .Removed}} <span class="note">· removed from bookmarks {{.Removed}}</span>{{end}}</p>
{{else if .Removed}}<p class="original note">Removed from bookmarks {{.Removed}}</p>
{{end}}</article>
`

const htmlBody = `{{define "body"}}<div class="content" dir="auto">{{.Content}}</div>
{{if .Media}}{{if .Sensitive}}<details class="sensitive"><summary>Sensitive media</summary>
{{template "media" .Media}}</details>
{{else}}{{template "media" .Media}}{{end}}{{end}}{{end}}
{{define "media"}}<ul class="media">
{{range .}}<li>{{if .Src}}{{if eq .Kind "image"}}<img src="{{.Src}}" alt="{{.Description}}" loading="lazy">
{{else if eq .Kind "video"}}<video src="{{.Src}}" {{if .Loop}}autoplay muted loop playsinline{{else}}controls preload="metadata"{{end}} aria-label="{{.Description}}"></video>
{{else}}<audio src="{{.Src}}" controls preload="metadata" aria-label="{{.Description}}"></audio>
{{end}}{{end}}{{if .URL}}<a href="{{.URL}}" rel="nofollow noopener noreferrer" target="_blank">{{.Label}}</a>{{else}}{{.Label}}{{end}}{{with .Note}} <span class="note">({{.}})</span>{{end}}{{with .Description}}: <span dir="auto">{{.}}</span>{{end}}</li>
{{end}}</ul>
{{end}}`

const htmlFoot = `</main>
<footer><p>{{.Count}} {{if eq .Count 1}}bookmark{{else}}bookmarks{{end}}.</p></footer>
</body>
</html>
`

type htmlEncoder struct {
	w           *bufio.Writer
	meta        Meta
	tpl         *template.Template
	started     bool
	n           int
	avatars     map[string]string // embedded avatar → its class
	avatarOrder []string          // the embedded avatars in order of use
	err         stickyErr
	closed      bool
}

func newHTMLEncoder(w io.Writer, meta Meta) Encoder {
	tpl := template.Must(template.New("head").Funcs(template.FuncMap{"handle": handleHTML}).Parse(htmlHead))
	template.Must(tpl.New("article").Parse(htmlArticle))
	template.Must(tpl.New("body").Parse(htmlBody))
	template.Must(tpl.New("threads").Parse(htmlThreadTemplate))
	template.Must(tpl.New("foot").Parse(htmlFoot))
	return &htmlEncoder{w: bufio.NewWriter(w), meta: meta, tpl: tpl}
}

func (e *htmlEncoder) start() {
	if e.started {
		return
	}
	e.started = true
	title := "Bookmarks"
	if e.meta.Account != "" {
		title = "Bookmarks of " + e.meta.Account
	}
	data := struct{ Title, Generated, GeneratedISO string }{Title: title}
	if !e.meta.Generated.IsZero() {
		data.Generated = e.meta.Generated.UTC().Format(displayTime)
		data.GeneratedISO = e.meta.Generated.UTC().Format(time.RFC3339)
	}
	e.err.set(e.tpl.ExecuteTemplate(e.w, "head", data))
}

type htmlMedia struct {
	URL, Label, Description string
	Src                     template.URL // a checked local copy (LocalCopy.kind)
	Kind                    string       // how Src shows: image, video, audio
	Loop                    bool         // a gifv: plays muted in a loop, as Mastodon does
	Note                    string       // why a copy is not shown, or is only the preview
}

type htmlPost struct {
	Name, Handle, ProfileURL string
	AvatarSrc                template.URL // the avatar's copy in the folder beside the page
	AvatarClass              string       // the class of the avatar's embedded copy
	Initial                  string       // shown when there is no avatar
	Vis                      string       // "followers only" or "direct"
	When, WhenISO            string
	Lang                     string
	Spoiler                  string
	Content                  template.HTML
	Media                    []htmlMedia
	Sensitive                bool // the media fold behind "Sensitive media"
	Tags                     []string
	LocalTags, Note          string
	Thread                   *htmlThread
	Link                     string
	Removed                  string
}

func (e *htmlEncoder) Encode(b fedimarks.Bookmark) error {
	if err := begin(e.closed, e.start, &e.err); err != nil {
		return err
	}
	s := b.Status.Original()
	local := localCopies{find: e.meta.LocalCopy, uri: s.URI}
	// HTML has no use for control characters (a parse error) and the page
	// may be read on a terminal: the server's text goes without them.
	p := htmlPost{
		Name:    fedimarks.CleanText(displayName(s.Account)),
		Handle:  fedimarks.CleanText(s.AuthorHandle(fedimarks.Handle(b.Account).Host())),
		Lang:    langTag(s.Language),
		Spoiler: fedimarks.CleanLines(s.SpoilerText),
		// Sanitize is the one place untrusted markup becomes HTML.
		Content: template.HTML(posthtml.Sanitize(s.Content)),
		Link:    s.WebLink(),
		// Mastodon hides a sensitive post's media until asked.
		Sensitive: s.Sensitive,
	}
	p.Initial = initial(p.Name)
	switch s.Audience() {
	case fedimarks.VisibilityPrivate:
		p.Vis = "followers only"
	case fedimarks.VisibilityDirect:
		p.Vis = "direct"
	}
	if av := avatarOf(s.Account, local); av.embedded() {
		p.AvatarClass = e.avatarClass(av.Src)
	} else if av.Src != "" {
		p.AvatarSrc = template.URL(av.Src)
	}
	p.ProfileURL = fedimarks.WebURL(s.Account.URL)
	if !s.CreatedAt.IsZero() {
		p.When = s.CreatedAt.UTC().Format(displayTime)
		p.WhenISO = s.CreatedAt.UTC().Format(time.RFC3339)
	}
	if b.RemovedAt != nil {
		p.Removed = b.RemovedAt.UTC().Format(displayDate)
	}
	// A hashtag the text shows is not listed again.
	for _, t := range hashtagsNotIn(s.Tags, posthtml.Text(s.Content)) {
		p.Tags = append(p.Tags, fedimarks.CleanText(t))
	}
	p.LocalTags, p.Note = labelLine(b.Tags), fedimarks.CleanLines(b.Note)
	p.Thread = htmlThreadOf(b)
	for _, m := range s.Media {
		p.Media = append(p.Media, htmlMediaOf(m, local))
	}
	e.n++
	return e.err.set(e.tpl.ExecuteTemplate(e.w, "article", p))
}

// avatarClass returns the class that shows the embedded avatar src,
// making one for a new avatar: the page holds each avatar once, in a
// style sheet written at its end, however many posts show it.
func (e *htmlEncoder) avatarClass(src string) string {
	if c, ok := e.avatars[src]; ok {
		return c
	}
	if e.avatars == nil {
		e.avatars = map[string]string{}
	}
	c := "f" + strconv.Itoa(len(e.avatars)+1)
	e.avatars[src] = c
	e.avatarOrder = append(e.avatarOrder, src)
	return c
}

func (e *htmlEncoder) Close() error {
	if e.closed {
		return e.err.err
	}
	e.closed = true
	e.start()
	if e.err.err != nil {
		return e.err.err
	}
	if len(e.avatarOrder) > 0 {
		// The sources are checked data: URIs (LocalCopy.kind): base64
		// only, nothing that could end the string or the style.
		e.w.WriteString("<style>\n")
		for _, src := range e.avatarOrder {
			e.w.WriteString("." + e.avatars[src] + " { background-image: url(\"" + src + "\"); }\n")
		}
		e.w.WriteString("</style>\n")
	}
	e.err.set(e.tpl.ExecuteTemplate(e.w, "foot", struct{ Count int }{e.n}))
	return e.err.set(e.w.Flush())
}

// displayName is the author's display name, else the user name.
func displayName(a fedimarks.Author) string {
	if n := strings.TrimSpace(a.DisplayName); n != "" {
		return n
	}
	if a.Username != "" {
		return a.Username
	}
	return a.Acct
}

// langTag returns a language code fit for a lang attribute, or "".
func langTag(s string) string {
	if s == "" || len(s) > 35 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return ""
	}
	return s
}

// mediaLink is the http(s) address of an attachment: the copy on the
// serving instance, else the original.
func mediaLink(m fedimarks.Media) string {
	return fedimarks.WebURL(m.URL, m.RemoteURL)
}

func mediaLabel(m fedimarks.Media) string {
	switch m.Type {
	case "image":
		return "Image"
	case "video":
		return "Video"
	case "gifv":
		return "GIF"
	case "audio":
		return "Audio"
	}
	return "Attachment"
}

// initial is the first letter or digit of a name, upper-cased, for the
// placeholder of a missing avatar.
func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

// handleHTML shows user@host so that it breaks only between the user and
// the host (a <wbr>), never inside either.
func handleHTML(h string) template.HTML {
	user, host, ok := strings.Cut(h, "@")
	out := "<span>@" + template.HTMLEscapeString(user) + "</span>"
	if ok {
		out += "<wbr><span>@" + template.HTMLEscapeString(host) + "</span>"
	}
	return template.HTML(out)
}
