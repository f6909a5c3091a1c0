package formats

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/fedimarks/fedimarks"
)

// pngURI is a data: URI of a tiny PNG, as the CLI embeds a file.
var pngURI = "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake"))

const (
	catName   = "media/0000000000000000000000000000000000000000000000000000000000000001.png"
	videoName = "media/0000000000000000000000000000000000000000000000000000000000000002.mp4"
)

// testCopies are the copies the tests pretend backup --media kept, by
// status URI and remote URL: some fine, some hostile.
func testCopies(t *testing.T) func(uri, remote string) LocalCopy {
	return func(uri, remote string) LocalCopy {
		switch remote {
		case "https://example.social/a.png": // alice's avatar
			return LocalCopy{Src: pngURI, Type: "image/png"}
		case "https://example.social/media/1.png": // md's cat: only its preview
			return LocalCopy{Note: "not embedded: 3.1 MB, over the 1 MiB limit"}
		case "https://example.social/media/1s.png":
			return LocalCopy{Src: catName, Type: "image/png"}
		case "https://example.social/media/2.mp4":
			return LocalCopy{Src: videoName, Type: "video/mp4"}
		case "https://evil.example/m.png\" onerror=\"alert(6)", "javascript:alert('media')":
			// Hostile addresses: nothing but a checked file may load.
			return LocalCopy{Src: "javascript:alert(1)", Type: "image/png"}
		case "https://rtl.example/avatar.png":
			return LocalCopy{Src: "media/../../etc/passwd", Type: "image/png"}
		case "https://pix.example/avatar.png":
			return LocalCopy{Src: "data:image/svg+xml;base64,PHN2Zz4=", Type: "image/svg+xml"}
		case "https://md.example/avatar.png":
			return LocalCopy{Src: catName, Type: "text/html"}
		}
		return LocalCopy{}
	}
}

// mediaBookmarks are the fixtures with avatars on every author, and a
// second post by alice.
func mediaBookmarks(t *testing.T) []fedimarks.Bookmark {
	bs := nastyBookmarks(t)
	for i, av := range []string{"https://example.social/a.png", "https://evil.example/m.png\" onerror=\"alert(6)", "https://rtl.example/avatar.png", "", "https://pix.example/avatar.png"} {
		if av != "" {
			bs[i].Status.Account.Avatar = av
		}
	}
	bs[3].Status.Reblog.Account.AvatarStatic = "https://md.example/avatar.png"
	again := bs[0]
	again.Status.URI += "/2"
	return append(bs, again)
}

func exportWith(t *testing.T, bs []fedimarks.Bookmark, local func(uri, remote string) LocalCopy) string {
	t.Helper()
	var buf bytes.Buffer
	meta := testMeta
	meta.LocalCopy = local
	enc := newHTMLEncoder(&buf, meta)
	for _, b := range bs {
		if err := enc.Encode(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestHTMLShowsLocalCopies: the page shows the images backup --media kept
// (from the folder beside it or embedded), avatars (an embedded one once
// for the whole page, however many posts show it), a video in the folder
// as a video, says why a file is left out, and never loads anything
// unchecked.
func TestHTMLShowsLocalCopies(t *testing.T) {
	out := exportWith(t, mediaBookmarks(t), testCopies(t))
	for _, want := range []string{
		`<img src="` + catName + `" alt="a cat,` + "\n" + `&#34;sleeping&#34;"`,
		`<video src="` + videoName + `" controls`,
		`Image</a> <span class="note">(preview shown; not embedded: 3.1 MB, over the 1 MiB limit)</span>`,
		"img-src 'self' data:", "media-src 'self' data:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("html export lacks %q", want)
		}
	}
	// alice's avatar, on two posts, is embedded once.
	if n := strings.Count(out, pngURI); n != 1 {
		t.Errorf("alice's avatar is embedded %d times, want 1", n)
	}
	avatar := regexp.MustCompile(`<span class="avatar (f\d+)" aria-hidden="true"></span>`).FindAllStringSubmatch(out, -1)
	if len(avatar) != 2 || avatar[0][1] != avatar[1][1] || !strings.Contains(out, "."+avatar[0][1]+" { background-image: url(\""+pngURI+"\"); }") {
		t.Errorf("alice's avatar classes %v do not share one embedded image", avatar)
	}
	// Placeholders with the initial where there is no local avatar.
	if n := strings.Count(out, `<span class="avatar placeholder" aria-hidden="true">`); n != 4 {
		t.Errorf("%d placeholder avatars, want 4 (mallory, noor, md, kim)", n)
	}
	for _, bad := range []string{`src="javascript:`, "etc/passwd", "svg"} {
		if strings.Contains(out, bad) {
			t.Errorf("a hostile copy %q got into the page", bad)
		}
	}
	// Every element that loads something loads a checked copy.
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	checked := regexp.MustCompile(`^(media/[0-9a-f]{64}\.[a-z0-9]+|data:image/png;base64,[A-Za-z0-9+/=]+)$`)
	loads := 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "src" {
					loads++
					if !checked.MatchString(a.Val) {
						t.Errorf("<%s src=%q>", n.Data, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if loads != 2 {
		t.Errorf("%d elements load a file, want 2 (the cat and the video)", loads)
	}
}

// TestHTMLOnce: a hashtag the text shows is not repeated under it, text
// flows in its own direction, handles break only between user and host,
// and followers-only and direct posts say so.
func TestHTMLOnce(t *testing.T) {
	bs := nastyBookmarks(t)
	direct := bs[0]
	direct.Status.Visibility = "direct"
	out := exportWith(t, append(bs, direct), nil)
	if strings.Contains(out, `<p class="tags">#xss`) || !strings.Contains(out, `<p class="tags">#a,b&#34;c&lt;d&gt;</p>`) {
		t.Error("mallory's #xss, in the text, is listed again under it")
	}
	if !strings.Contains(out, `<p class="tags">#markdown #test</p>`) {
		t.Error("tags not in the text are not listed")
	}
	for _, want := range []string{
		`<span class="vis">followers only</span>`,
		`<span class="vis">direct</span>`,
		`.content p, .content li { unicode-bidi: plaintext; }`,
		// A handle breaks between user and host only.
		`<span class="handle" title="@noor@rtl.example"><span>@noor</span><wbr><span>@rtl.example</span></span>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("html export lacks %q", want)
		}
	}
	if n := strings.Count(out, `<span class="vis">`); n != 2 {
		t.Errorf("%d visibility marks, want 2", n)
	}
}
