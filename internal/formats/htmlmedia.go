package formats

import (
	"html/template"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// LocalCopy is a file that backup --media kept, as the html page may show
// it: Src is where the page loads it from, a file in the folder beside
// the page ("media/" and the file's SHA-256 in hex, with an extension) or
// a data: URI (base64) holding it; Type is its media type as checked from
// its content (image/png, video/mp4, ...). A copy without Src is left out
// of the page, and Note, when set, says why ("not embedded: 3.1 MB, over
// the 1 MiB limit"). The writer shows a copy only when Src has one of
// these two forms and Type is a raster image, a video or an audio file of
// the kind the attachment is; anything else is ignored.
type LocalCopy struct {
	Src  string
	Type string
	Note string
}

// mediaKinds are the media types the page shows inline, by kind. SVG is
// never one: it can hold scripts and links.
var mediaKinds = map[string]string{
	"image/png": "image", "image/jpeg": "image", "image/gif": "image", "image/webp": "image", "image/avif": "image",
	"video/mp4": "video", "video/webm": "video", "video/quicktime": "video",
	"audio/mpeg": "audio", "audio/ogg": "audio", "audio/wav": "audio", "audio/wave": "audio", "audio/mp4": "audio",
	"audio/webm": "audio", "audio/flac": "audio", "audio/aac": "audio",
}

// kind returns the kind of page element that may show c (image, video,
// audio), or "" when c is not a copy the page may load.
func (c LocalCopy) kind() string {
	k := mediaKinds[c.Type]
	if k == "" {
		return ""
	}
	if rest, ok := strings.CutPrefix(c.Src, "data:"+c.Type+";base64,"); ok {
		if rest == "" || strings.TrimRight(strings.TrimLeft(rest, base64Chars), "=") != "" || len(rest)-len(strings.TrimRight(rest, "=")) > 2 {
			return ""
		}
		return k
	}
	name, ok := strings.CutPrefix(c.Src, "media/")
	if !ok {
		return ""
	}
	sum, ext, ok := strings.Cut(name, ".")
	if !ok || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" ||
		ext == "" || len(ext) > 5 || strings.Trim(ext, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return ""
	}
	return k
}

const base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// embedded reports whether the page holds c itself (a data: URI) rather
// than a file beside it.
func (c LocalCopy) embedded() bool { return strings.HasPrefix(c.Src, "data:") }

// localCopies looks a post's files up through Meta.LocalCopy.
type localCopies struct {
	find func(statusURI, remoteURL string) LocalCopy
	uri  string
}

// of returns the copy of remote if the page may show it as kind, with the
// note of a copy it may not show.
func (l localCopies) of(remote, kind string) (c LocalCopy, note string) {
	if l.find == nil || remote == "" {
		return LocalCopy{}, ""
	}
	c = l.find(l.uri, remote)
	if c.Src != "" && c.kind() == kind {
		return c, c.Note
	}
	return LocalCopy{}, c.Note
}

// htmlMediaOf shows one attachment: its local copy when kept (the
// original, else the preview for an image, video or audio), and always a
// link to the original on its server.
func htmlMediaOf(m fedimarks.Media, local localCopies) htmlMedia {
	hm := htmlMedia{URL: mediaLink(m), Label: mediaLabel(m), Description: fedimarks.CleanLines(m.Description), Loop: m.Type == "gifv"}
	kind := map[string]string{"image": "image", "gifv": "video", "video": "video", "audio": "audio"}[m.Type]
	if kind == "" {
		return hm
	}
	note := ""
	for _, u := range []string{m.URL, m.RemoteURL} {
		c, n := local.of(u, kind)
		if c.Src != "" {
			hm.Src, hm.Kind = template.URL(c.Src), kind
			return hm
		}
		if n != "" {
			note = n
			break
		}
	}
	if c, _ := local.of(m.PreviewURL, "image"); c.Src != "" {
		hm.Src, hm.Kind, hm.Loop = template.URL(c.Src), "image", false
		switch {
		case note != "":
			note = "preview shown; " + note
		case kind != "image":
			note = "only its preview is kept"
		}
	}
	hm.Note = note
	return hm
}

// avatarOf returns the local copy of an author's avatar (the still one
// first), if kept.
func avatarOf(a fedimarks.Author, local localCopies) LocalCopy {
	for _, u := range []string{a.AvatarStatic, a.Avatar} {
		if c, _ := local.of(u, "image"); c.Src != "" {
			return c
		}
	}
	return LocalCopy{}
}

// hashtagsNotIn returns the tags that text (a post's plain text) does not
// show as #tag, so that the page lists each hashtag once.
func hashtagsNotIn(tags []string, text string) []string {
	text = strings.ToLower(text)
	var out []string
	for _, t := range tags {
		if !containsHashtag(text, "#"+strings.ToLower(t)) {
			out = append(out, t)
		}
	}
	return out
}

// containsHashtag reports whether text holds tag followed by something
// that cannot continue a hashtag.
func containsHashtag(text, tag string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], tag)
		if j < 0 {
			return false
		}
		end := i + j + len(tag)
		if end == len(text) || !isTagRune(rune(text[end])) {
			return true
		}
		i = end
	}
}

func isTagRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 0x80
}
