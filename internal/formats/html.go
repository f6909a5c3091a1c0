package formats

import (
	"bufio"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

func init() {
	Register(Format{
		Name:        "html",
		Description: "one self-contained HTML page of every post, readable offline; loads nothing from anywhere",
		Extension:   ".html",
		MediaType:   "text/html; charset=utf-8",
		New:         newHTMLEncoder,
	})
}

// htmlHead, htmlArticle, htmlBody and htmlFoot are the page's templates,
// parsed for each Encoder (no package-level state). The page is streamed: head on the first Encode (or on Close for an empty
// export), one article per bookmark, the foot on Close. html/template
// escapes every value by context; the post's content is the only HTML
// inserted as such, and only after posthtml.Sanitize. The Content Security
// Policy forbids every fetch and every script, so the page stays inert even
// if something slipped through.
const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
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
.meta { display: flex; flex-wrap: wrap; gap: .15rem .5rem; align-items: baseline; font-size: .92rem; }
.name { font-weight: 600; }
.handle, .when, .note { color: var(--muted); }
.when { margin-left: auto; }
a { color: var(--link); }
.content p { margin: .55rem 0; }
.content .invisible { display: none; }
.content .ellipsis::after { content: "…"; }
details { margin: .55rem 0; }
summary { cursor: pointer; font-weight: 600; }
ul.media { margin: .5rem 0; padding-left: 1.2rem; font-size: .92rem; }
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
<div class="meta">{{if .ProfileURL}}<a class="name" href="{{.ProfileURL}}" rel="nofollow noopener noreferrer" target="_blank" dir="auto">{{.Name}}</a>{{else}}<span class="name" dir="auto">{{.Name}}</span>{{end}}{{with .Handle}} <span class="handle">@{{.}}</span>{{end}}{{if .When}} <time class="when" datetime="{{.WhenISO}}">{{.When}}</time>{{end}}</div>
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
{{range .}}<li>{{if .URL}}<a href="{{.URL}}" rel="nofollow noopener noreferrer" target="_blank">{{.Label}}</a>{{else}}{{.Label}}{{end}}{{with .Description}}: <span dir="auto">{{.}}</span>{{end}}</li>
{{end}}</ul>
{{end}}`

const htmlFoot = `</main>
<footer><p>{{.Count}} {{if eq .Count 1}}bookmark{{else}}bookmarks{{end}}.</p></footer>
</body>
</html>
`

type htmlEncoder struct {
	w       *bufio.Writer
	meta    Meta
	tpl     *template.Template
	started bool
	n       int
	err     stickyErr
	closed  bool
}

func newHTMLEncoder(w io.Writer, meta Meta) Encoder {
	tpl := template.Must(template.New("head").Parse(htmlHead))
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

type htmlMedia struct{ URL, Label, Description string }

type htmlPost struct {
	Name, Handle, ProfileURL string
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
	// HTML has no use for control characters (a parse error) and the page
	// may be read on a terminal: the server's text goes without them.
	p := htmlPost{
		Name:    fedimarks.CleanText(displayName(s.Account)),
		Handle:  fedimarks.CleanText(s.Account.Handle(fedimarks.Handle(b.Account).Host())),
		Lang:    langTag(s.Language),
		Spoiler: fedimarks.CleanLines(s.SpoilerText),
		// Sanitize is the one place untrusted markup becomes HTML.
		Content: template.HTML(posthtml.Sanitize(s.Content)),
		Link:    s.WebLink(),
		// Mastodon hides a sensitive post's media until asked.
		Sensitive: s.Sensitive,
	}
	p.ProfileURL = fedimarks.WebURL(s.Account.URL)
	if !s.CreatedAt.IsZero() {
		p.When = s.CreatedAt.UTC().Format(displayTime)
		p.WhenISO = s.CreatedAt.UTC().Format(time.RFC3339)
	}
	if b.RemovedAt != nil {
		p.Removed = b.RemovedAt.UTC().Format(displayDate)
	}
	for _, t := range s.Tags {
		p.Tags = append(p.Tags, fedimarks.CleanText(t))
	}
	p.LocalTags, p.Note = labelLine(b.Tags), fedimarks.CleanLines(b.Note)
	p.Thread = htmlThreadOf(b)
	for _, m := range s.Media {
		p.Media = append(p.Media, htmlMedia{URL: mediaLink(m), Label: mediaLabel(m), Description: fedimarks.CleanLines(m.Description)})
	}
	e.n++
	return e.err.set(e.tpl.ExecuteTemplate(e.w, "article", p))
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
