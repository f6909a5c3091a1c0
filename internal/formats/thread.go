package formats

import (
	"html/template"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

// Threads in html and markdown exports (export --with-context): the posts
// a bookmark replies to, then the replies below it, as
// fedimarks.Bookmark.Thread holds them. In html they are folded in a
// <details> under the post; in markdown they are quoted paragraphs of the
// bookmark's list item.

// htmlThreadPost is one thread post as the html template shows it.
type htmlThreadPost struct {
	Name, Handle, When, WhenISO, Link string
	Content                           template.HTML // sanitized
}

// htmlThread is a bookmark's thread for the html template.
type htmlThread struct {
	Before, After []htmlThreadPost
}

func htmlThreadOf(b fedimarks.Bookmark) *htmlThread {
	if b.Thread == nil {
		return nil
	}
	host := fedimarks.Handle(b.Account).Host()
	view := func(ss []fedimarks.Status) []htmlThreadPost {
		var out []htmlThreadPost
		for _, s := range ss {
			o := s.Original()
			p := htmlThreadPost{
				Name:    fedimarks.CleanText(displayName(o.Account)),
				Handle:  fedimarks.CleanText(o.AuthorHandle(host)),
				Link:    o.WebLink(),
				Content: template.HTML(posthtml.Sanitize(o.Content)), // the one place markup goes in: sanitized
			}
			if !o.CreatedAt.IsZero() {
				p.When, p.WhenISO = o.CreatedAt.UTC().Format(displayTime), o.CreatedAt.UTC().Format(time.RFC3339)
			}
			out = append(out, p)
		}
		return out
	}
	return &htmlThread{Before: view(b.Thread.Before), After: view(b.Thread.After)}
}

// htmlThreadTemplate is the fold of a thread, for the article template.
const htmlThreadTemplate = `{{define "thread"}}<details class="thread"><summary>Thread: {{len .Before}} before, {{len .After}} after</summary>
{{range .Before}}{{template "threadpost" .}}{{end}}<p class="note">↑ the bookmarked post ↓</p>
{{range .After}}{{template "threadpost" .}}{{end}}</details>
{{end}}{{define "threadpost"}}<div class="thread-post"><p class="meta"><span class="name" dir="auto">{{.Name}}</span>{{with .Handle}} <span class="handle">@{{.}}</span>{{end}}{{if .Link}} <a class="when" href="{{.Link}}" rel="nofollow noopener noreferrer" target="_blank">{{if .When}}<time datetime="{{.WhenISO}}">{{.When}}</time>{{else}}original{{end}}</a>{{else if .When}} <time class="when" datetime="{{.WhenISO}}">{{.When}}</time>{{end}}</p>
<div class="content" dir="auto">{{.Content}}</div></div>
{{end}}`

// writeThread writes b's thread as quoted paragraphs of its list item.
func (e *markdownEncoder) writeThread(b fedimarks.Bookmark) {
	if b.Thread == nil {
		return
	}
	host := fedimarks.Handle(b.Account).Host()
	part := func(label string, ss []fedimarks.Status) {
		if len(ss) == 0 {
			return
		}
		e.writeBlock("*" + label + "*")
		for _, s := range ss {
			o := s.Original()
			head := "**" + mdEscape(oneLineText(displayName(o.Account))) + "**"
			if h := o.AuthorHandle(host); h != "" {
				head += " (@" + mdEscape(oneLineText(h)) + ")"
			}
			if !o.CreatedAt.IsZero() {
				head += " · " + o.CreatedAt.UTC().Format(displayTime)
			}
			if link := o.WebLink(); link != "" {
				head += " · [original](<" + mdLinkTarget(link) + ">)"
			}
			text := head
			if t := posthtml.Text(o.Content); t != "" {
				text += "\n" + mdEscapeBlock(t)
			}
			e.writeBlock("> " + strings.ReplaceAll(text, "\n", "\n> "))
		}
	}
	part("In reply to:", b.Thread.Before)
	part("Replies below it:", b.Thread.After)
}
