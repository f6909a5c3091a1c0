package cli

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fedimarks/fedimarks/internal/browsertest"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// mediaWorld is alice with bookmarks kept by backup --media: a public post
// in Arabic then English with an image, a public post with a 3 MB video
// (over the embedding limit; its preview is small), and a followers-only
// post with an image.
func mediaWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, mastodontest.Mastodon, 0)
	carol := w.a.AddAccount("carol")
	w.alice.Follow(carol)
	for _, o := range []mastodontest.PostOptions{
		{Text: "<p>مرحبا بالعالم</p><p>An English paragraph.</p>", Language: "ar",
			Media: []mastodontest.MediaOptions{{Size: 5000, Description: "a blue dot"}}},
		{Text: "<p>a video</p>", Media: []mastodontest.MediaOptions{{Type: "video", Size: 3_000_000, Description: "the video"}}},
		{Text: "<p>for my followers</p>", Visibility: "private", Media: []mastodontest.MediaOptions{{Size: 3000, Description: "private dot"}}},
	} {
		w.alice.Bookmark(carol.Post(o))
	}
	w.login(t)
	mustRun(t, 0, w.home, "", "backup", "--media")
	return w
}

var mediaName = regexp.MustCompile(`^[0-9a-f]{64}\.[a-z0-9]+$`)

// TestExportHTMLFolder: -o DIR/ writes DIR/index.html and, in DIR/media,
// the files the page shows (images, the video, avatars), each once and
// named by its content; a later export there with --visibility removes
// the files of the posts it leaves out.
func TestExportHTMLFolder(t *testing.T) {
	w := mediaWorld(t)
	dir := filepath.Join(t.TempDir(), "page") + string(filepath.Separator)
	r := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "html", "-o", dir)
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatalf("no index.html: %v (stderr %q)", err, r.stderr)
	}
	files := folderFiles(t, filepath.Join(dir, "media"))
	// Two images, the video, carol's avatar.
	if len(files) != 4 {
		t.Errorf("media/ holds %d files, want 4: %v", len(files), files)
	}
	// The archive's copies stay as they were: named by content, private.
	mediaFiles(t, filepath.Join(w.home, "media"))
	for name := range files {
		if !strings.Contains(string(index), `src="media/`+name+`"`) {
			t.Errorf("media/%s is not shown by the page", name)
		}
		// A hard link to the archive's copy.
		sum := strings.TrimSuffix(name, filepath.Ext(name))
		exported, err1 := os.Stat(filepath.Join(dir, "media", name))
		kept, err2 := os.Stat(filepath.Join(w.home, "media", sum[:2], sum))
		if err1 != nil || err2 != nil || !os.SameFile(exported, kept) {
			t.Errorf("media/%s is not a hard link to the archive's copy (%v, %v)", name, err1, err2)
		}
	}
	if n := strings.Count(string(index), `src="media/`); n != 6 {
		t.Errorf("%d elements load a file from media/, want 6 (3 avatars, 2 images, the video)", n)
	}
	if !strings.Contains(string(index), `<video src="media/`) || !strings.Contains(string(index), ".mp4") {
		t.Error("the video is not shown as one")
	}
	if !strings.Contains(r.stderr, "4 files in "+filepath.Join(dir, "media")) {
		t.Errorf("stderr %q does not say where the files went", r.stderr)
	}
	checkPage(t, "file://"+filepath.Join(dir, "index.html"), 5, "folder")

	// Again, public posts only: the followers-only image is gone.
	mustRun(t, 0, w.home, "", "export", "--offline", "--format", "html", "--visibility", "public", "-o", dir)
	after := folderFiles(t, filepath.Join(dir, "media"))
	if len(after) != 3 {
		t.Errorf("after --visibility public media/ holds %d files, want 3: %v", len(after), after)
	}
	index, _ = os.ReadFile(filepath.Join(dir, "index.html"))
	if strings.Contains(string(index), "for my followers") {
		t.Error("the followers-only post is still in the page")
	}

	// Any other format refuses a folder, as before.
	r = mustRun(t, ExitUsage, w.home, "", "export", "--offline", "--format", "csv", "-o", dir)
	if !strings.Contains(r.stderr, "is a directory") {
		t.Errorf("csv into a folder: %q", r.stderr)
	}
}

// folderFiles lists a media folder: content-named files, private.
func folderFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if !mediaName.MatchString(e.Name()) || !fi.Mode().IsRegular() {
			t.Errorf("media/%s: unexpected", e.Name())
		}
		// Private, and read-only: it may be the archive's own copy.
		if fi.Mode().Perm()&0o277 != 0 && runtime.GOOS != "windows" {
			t.Errorf("media/%s has mode %v, want 0400", e.Name(), fi.Mode().Perm())
		}
		out[e.Name()] = fi.Size()
	}
	return out
}

// TestExportHTMLEmbedded: -o FILE.html embeds the images and avatars as
// data: URIs, each avatar once, and leaves out a file over the limit with
// a note (the video: its preview shows instead).
func TestExportHTMLEmbedded(t *testing.T) {
	w := mediaWorld(t)
	out := filepath.Join(t.TempDir(), "bookmarks.html")
	r := mustRun(t, 0, w.home, "", "export", "--offline", "--format", "html", "-o", out)
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "media")); err == nil {
		t.Error("a single-file export made a media folder")
	}
	if n := bytes.Count(page, []byte(`<img src="data:image/png;base64,`)); n != 3 {
		t.Errorf("%d embedded images, want 3 (two images, the video's preview)", n)
	}
	if n := bytes.Count(page, []byte(`{ background-image: url("data:image/png;base64,`)); n != 1 {
		t.Errorf("carol's avatar embedded %d times, want once", n)
	}
	if !bytes.Contains(page, []byte("preview shown; not embedded: 2.9 MiB, over the 1.0 MiB limit for a file")) {
		t.Errorf("the video's note is missing:\n%s", page)
	}
	if !strings.Contains(r.stderr, "embedded 4 files") || !strings.Contains(r.stderr, "1 left out") || !strings.Contains(r.stderr, "-o DIR/") {
		t.Errorf("stderr %q does not say what was embedded and how to keep the rest", r.stderr)
	}
	// The embedded image is the kept file, byte for byte.
	m := regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)" alt="a blue dot"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("the blue dot is not embedded")
	}
	if b, err := base64.StdEncoding.DecodeString(string(m[1])); err != nil || len(b) != 5000 {
		t.Errorf("embedded blue dot: %d bytes, %v", len(b), err)
	}
	checkPage(t, "file://"+out, 3, "embedded")
}

// checkPage opens an exported page in a real browser at 1280 and 390 px:
// every image it shows (images of attachments and avatars) loads (from the folder or embedded), no script is
// there, Arabic text is laid out from the right and English from the
// left, no handle breaks inside a word, and the page never scrolls
// sideways. It saves screenshots.
func checkPage(t *testing.T, url string, images int, name string) {
	t.Helper()
	ctx := browsertest.New(t, 1280, 1000, 60*time.Second)
	for _, width := range []int64{1280, 390} {
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(url),
			chromedp.WaitReady(chromedp.CSS(`footer`)),
		)
		if err != nil {
			t.Fatalf("%s at %d px: %v", url, width, err)
		}
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
			const imgs = [...document.images];
			return [imgs.length, imgs.filter(i => i.complete && i.naturalWidth > 0).length,
				document.querySelectorAll('script').length,
				[...document.querySelectorAll('.avatar')].filter(a => getComputedStyle(a).backgroundImage.startsWith('url(') || a.tagName === 'IMG').length];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if loaded[0] < images || loaded[1] != loaded[0] || loaded[2] != 0 || loaded[3] != 3 {
			t.Errorf("%s at %d px: %d images, %d loaded (want at least %d, all); %d scripts; %d avatars shown (want 3)",
				name, width, loaded[0], loaded[1], images, loaded[2], loaded[3])
		}
		bad, err := browsertest.CheckDirection(ctx, "مرحبا", "English paragraph")
		if err != nil {
			t.Fatal(err)
		}
		if bad != "" {
			t.Errorf("%s at %d px: %s", name, width, bad)
		}
		broken, err := browsertest.Broken(ctx, `.handle > span`)
		if err != nil {
			t.Fatal(err)
		}
		if len(broken) > 0 {
			t.Errorf("%s at %d px: handles broken inside a word: %q", name, width, broken)
		}
		sw, cw, err := browsertest.NoSidewaysScroll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sw > cw {
			t.Errorf("%s at %d px scrolls sideways: scrollWidth %d > clientWidth %d", name, width, sw, cw)
		}
		browsertest.Screenshot(t, ctx, "export-"+name+"-"+map[int64]string{1280: "1280", 390: "390"}[width]+".png")
	}
}
