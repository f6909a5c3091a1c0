package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/web"
)

const (
	alice = fedimarks.Handle("alice@home.example")
	bob   = fedimarks.Handle("bob@other.example")
)

// The XSS payloads stored in posts: in content, content warning and
// display name. None may run or appear as markup.
const (
	xssScript  = `<script>window.xss=1</script>`
	xssImg     = `<img src=x onerror="window.xss=1">`
	xssJSLink  = `<a href="javascript:window.xss=1">click me</a>`
	xssSVG     = `<svg onload="window.xss=1"></svg>`
	xssName    = `Mallory <script>window.xss=1</script><img src=x onerror="window.xss=1">`
	xssSpoiler = `cw <img src=x onerror="window.xss=1"><script>window.xss=1</script>`
	// xssRemoteImg would load from elsewhere if it got through.
	xssRemoteImg = `<img src="https://tracker.example/pixel.png">`
	// xssDescription is an attachment's description (alt and title).
	xssDescription = `" onerror="window.xss=1" x="<script>window.xss=1</script>`
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

type postSpec struct {
	i        int
	content  string
	spoiler  string
	name     string
	acct     string
	media    []map[string]any
	avatar   string
	language string
	// sensitive marks the post's media sensitive.
	sensitive bool
	// url replaces the post's web address, profile the author's.
	url, profile string
	// visibility is public unless set.
	visibility string
}

func (p postSpec) uri() string { return fmt.Sprintf("https://home.example/users/x/statuses/%d", p.i) }

func (p postSpec) status(t testing.TB) fedimarks.Status {
	t.Helper()
	if p.media == nil {
		p.media = []map[string]any{}
	}
	if p.name == "" {
		p.name = fmt.Sprintf("Author %d", p.i%5)
	}
	if p.acct == "" {
		p.acct = fmt.Sprintf("author%d@far.example", p.i%5)
	}
	if p.avatar == "" {
		p.avatar = "https://far.example/avatars/" + fmt.Sprint(p.i%5) + ".png"
	}
	if p.language == "" {
		p.language = "en"
	}
	if p.url == "" {
		p.url = fmt.Sprintf("https://home.example/@x/%d", p.i)
	}
	if p.profile == "" {
		p.profile = "https://far.example/@u"
	}
	if p.visibility == "" {
		p.visibility = "public"
	}
	raw, err := json.Marshal(map[string]any{
		"id":           fmt.Sprint(9000 + p.i),
		"uri":          p.uri(),
		"url":          p.url,
		"created_at":   t0.Add(time.Duration(p.i) * time.Hour).Format(time.RFC3339),
		"content":      p.content,
		"spoiler_text": p.spoiler,
		"language":     p.language,
		"visibility":   p.visibility,
		"sensitive":    p.sensitive,
		"account": map[string]any{"id": "1", "username": "u", "acct": p.acct, "display_name": p.name,
			"url": p.profile, "avatar": p.avatar, "avatar_static": p.avatar},
		"media_attachments": p.media,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := fedimarks.ParseStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testPosts returns alice's 45 bookmarks, oldest first: ordinary posts,
// one with a known unique word (i=3), one with a content warning over a
// unique word (i=7), one full of XSS payloads (i=44, the newest, so on
// page 1), one with an image attachment copied locally (i=43) and one whose
// sensitive attachment was not downloaded (i=42).
func testPosts() []postSpec {
	var ps []postSpec
	for i := range 45 {
		p := postSpec{i: i, content: fmt.Sprintf("<p>Ordinary post number %d about <a href=\"https://example.org/%d\">things</a></p>", i, i)}
		switch i {
		case 3:
			p.content = `<p>The quokka is a small marsupial. <a href="https://en.wikipedia.org/wiki/Quokka">wiki</a></p>`
			p.name = "Quokka Fan"
		case 7:
			// A content-warned post with a unique word in its text only.
			p.content = "<p>The platypus lays eggs, which is a spoiler.</p>"
			p.spoiler = "monotreme facts"
		case 38:
			// A video too large to keep: only its preview is local.
			p.content = "<p>A long video</p>"
			p.media = []map[string]any{{"id": "m38", "type": "video", "url": "https://far.example/media/38.mp4",
				"preview_url": "https://far.example/media/38s.png", "remote_url": nil, "description": "the video"}}
		case 39:
			p.content = "<p>A looping gif</p>"
			p.media = []map[string]any{{"id": "m39", "type": "gifv", "url": "https://far.example/media/39.mp4",
				"preview_url": "https://far.example/media/39s.png", "remote_url": nil, "description": "a gif"}}
		case 37:
			p.acct = "carol" // local to the archived server: no host
		case 41:
			p.url = "javascript:window.xss=1" // the link must fall back to the uri
		case 42:
			p.content = "<p>Picture not downloaded</p>"
			p.sensitive = true
			p.media = []map[string]any{{"id": "m42", "type": "image", "url": "javascript:window.xss=1",
				"preview_url": "https://far.example/media/42s.png", "remote_url": "https://far.example/media/42.png", "description": "remote only"}}
		case 43:
			p.content = "<p>Picture kept locally</p>"
			p.media = []map[string]any{{"id": "m43", "type": "image", "url": "https://far.example/media/43.png",
				"preview_url": "https://far.example/media/43s.png", "remote_url": nil, "description": "a red square"}}
		case 44:
			p.content = "<p>Dangerous " + xssScript + xssImg + xssJSLink + xssSVG + xssRemoteImg + " payloads</p>"
			p.spoiler = xssSpoiler
			p.name = xssName
			p.profile = "javascript:window.xss=1"
			// Attachments with payloads in their description and bad
			// addresses; the first is also copied locally.
			p.media = []map[string]any{
				{"id": "m44a", "type": "image", "url": "https://far.example/media/44.png", "preview_url": "javascript:window.xss=1",
					"remote_url": nil, "description": xssDescription},
				{"id": "m44b", "type": "image", "url": "javascript:window.xss=1", "preview_url": "data:text/html,<script>window.xss=1</script>",
					"remote_url": "https://tracker.example/m.png", "description": xssDescription},
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// redPNG is a 2x2 red PNG.
var redPNG = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
	0x73, 0x00, 0x00, 0x00, 0x12, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
	0x44, 0x0c, 0x50, 0x1a, 0x00, 0x3d, 0xe9, 0x07, 0xf9, 0x6a, 0x3c, 0x0b, 0xd0, 0x00, 0x00, 0x00,
	0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}

// fixture is a real archive with alice's and bob's bookmarks and local
// copies of post 43's image and author 0's avatar.
type fixture struct {
	archive *sqlite.Archive
	posts   []postSpec
	media   web.MediaSource
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := sqlite.Open(ctx, filepath.Join(dir, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	f := &fixture{archive: a, posts: testPosts()}
	save := func(h fedimarks.Handle, ps []postSpec) {
		run, err := a.StartRun(ctx, h, false, t0)
		if err != nil {
			t.Fatal(err)
		}
		var page []fedimarks.Status
		for i := len(ps) - 1; i >= 0; i-- { // newest first
			page = append(page, ps[i].status(t))
		}
		if err := a.SavePage(ctx, run, page, "", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := a.FinishRun(ctx, run, t0); err != nil {
			t.Fatal(err)
		}
	}
	save(alice, f.posts)
	save(bob, []postSpec{{i: 100, content: "<p>Bob's only bookmark mentions wombats</p>"}})

	img := filepath.Join(dir, "media", "43.png")
	avatar := filepath.Join(dir, "media", "avatar0.png")
	if err := os.MkdirAll(filepath.Dir(img), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{img, avatar} {
		if err := os.WriteFile(p, redPNG, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.media = web.MediaFunc(func(ctx context.Context, uri string) ([]web.LocalFile, error) {
		var files []web.LocalFile
		if uri == f.posts[43].uri() {
			files = append(files, web.LocalFile{RemoteURL: "https://far.example/media/43.png", Path: img, ContentType: "image/png"})
		}
		for _, p := range f.posts {
			if p.uri() == uri && p.i%5 == 0 {
				files = append(files, web.LocalFile{RemoteURL: "https://far.example/avatars/0.png", Path: avatar, ContentType: "image/png"})
			}
		}
		for _, p := range f.posts {
			if p.uri() == uri && p.i%5 == 1 {
				// A local avatar that is SVG: never shown as an image.
				files = append(files, web.LocalFile{RemoteURL: "https://far.example/avatars/1.png", Path: avatar, ContentType: "image/svg+xml"})
			}
		}
		switch uri {
		case f.posts[38].uri():
			files = append(files, web.LocalFile{RemoteURL: "https://far.example/media/38s.png", Path: img, ContentType: "image/png"})
		case f.posts[44].uri():
			files = append(files, web.LocalFile{RemoteURL: "https://far.example/media/44.png", Path: img, ContentType: "image/png"})
		case f.posts[39].uri():
			files = append(files, web.LocalFile{RemoteURL: "https://far.example/media/39.mp4", Path: img, ContentType: "video/mp4"})
		}
		if uri == f.posts[10].uri() {
			// A file the archive lists but that is not a media type.
			files = append(files, web.LocalFile{RemoteURL: "https://far.example/x.html", Path: img, ContentType: "text/html"})
		}
		return files, nil
	})
	return f
}
