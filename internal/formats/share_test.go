package formats

import (
	"regexp"
	"strings"
	"testing"
)

// TestNetscapePrivate: followers-only and direct posts carry PRIVATE="1",
// as browsers, Pinboard and linkding read it (a private bookmark is not
// shared), public and unlisted ones do not.
func TestNetscapePrivate(t *testing.T) {
	bs := nastyBookmarks(t)
	direct := bs[2]
	direct.Status.Visibility = "direct"
	direct.Status.URL = "https://rtl.example/@noor/43"
	bs = append(bs, direct)
	out := string(export(t, "netscape", bs))
	entry := regexp.MustCompile(`<DT><A HREF="([^"]*)"[^>]*>`)
	private := map[string]bool{}
	for _, m := range entry.FindAllStringSubmatch(out, -1) {
		private[m[1]] = strings.Contains(m[0], ` PRIVATE="1"`)
	}
	for link, want := range map[string]bool{
		"https://example.social/@alice/112233445566778899": false, // public
		"https://evil.example/users/mallory/statuses/1":    false, // unlisted
		"https://md.example/notes/9ab":                     false, // a boost of a public post
		"https://pix.example/p/kim/4242":                   true,  // followers only
		"https://rtl.example/@noor/43":                     true,  // direct
	} {
		got, ok := private[link]
		if !ok {
			t.Errorf("no entry for %s in\n%s", link, out)
		} else if got != want {
			t.Errorf("%s: PRIVATE=%v, want %v", link, got, want)
		}
	}
	// What the writer marks private, the reader still imports.
	res, err := Read(t.Context(), "x.html", strings.NewReader(out))
	if err != nil || len(res.Items) != len(private) {
		t.Fatalf("read back: %v, %d items, want %d", err, len(res.Items), len(private))
	}
}
