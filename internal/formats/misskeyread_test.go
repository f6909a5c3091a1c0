package formats

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// misskeyExport is a favorites export as Misskey writes it (the fields and
// order of ExportFavoritesProcessorService; oldest favorite first): a
// note of a Mastodon server, a followers-only note of another Misskey,
// a note of the exporting server itself (no uri, no user host), and a
// remote user's note with no uri (broken).
const misskeyExport = `[{"id":"9vx1","createdAt":"2024-01-02T03:04:05.000Z","note":{"id":"9aa1","text":"hello","createdAt":"2023-12-31T00:00:00.000Z","fileIds":[],"replyId":null,"renoteId":null,"poll":null,"cw":null,"visibility":"public","visibleUserIds":[],"localOnly":false,"reactionAcceptance":null,"uri":"https://mastodon.example/users/ann/statuses/110","url":"https://mastodon.example/@ann/110","user":{"id":"9u1","name":"Ann","username":"ann","host":"mastodon.example","uri":"https://mastodon.example/users/ann"}}},
{"id":"9vx2","createdAt":"2024-01-03T03:04:05.000Z","note":{"id":"9aa2","text":"psst","createdAt":"2024-01-01T00:00:00.000Z","fileIds":["f1"],"replyId":null,"renoteId":null,"poll":null,"cw":"cw","visibility":"followers","visibleUserIds":[],"localOnly":false,"reactionAcceptance":null,"uri":"https://misskey.example/notes/9zz","url":null,"user":{"id":"9u2","name":null,"username":"bo","host":"misskey.example","uri":"https://misskey.example/users/9u2"}}},
{"id":"9vx3","createdAt":"2024-01-04T03:04:05.000Z","note":{"id":"9aa3","text":"local","createdAt":"2024-01-02T00:00:00.000Z","fileIds":[],"replyId":null,"renoteId":null,"poll":null,"cw":null,"visibility":"home","visibleUserIds":[],"localOnly":false,"reactionAcceptance":null,"uri":null,"url":null,"user":{"id":"9u3","name":"Cy","username":"cy","host":null,"uri":null}}},
{"id":"9vx4","createdAt":"2024-01-05T03:04:05.000Z","note":{"id":"9aa4","text":"x","createdAt":"2024-01-02T00:00:00.000Z","visibility":"public","uri":null,"url":null,"user":{"id":"9u4","username":"dee","host":"far.example","uri":"https://far.example/users/dee"}}}]`

func TestReadMisskeyExport(t *testing.T) {
	res, err := Read(context.Background(), "favorites-2024-01-05-00-00-00.json", strings.NewReader(misskeyExport))
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "misskey" || len(res.Items) != 4 {
		t.Fatalf("format %q, %d items; want misskey, 4", res.Format, len(res.Items))
	}
	a, b, c, d := res.Items[0], res.Items[1], res.Items[2], res.Items[3]
	if a.URI != "https://mastodon.example/users/ann/statuses/110" || a.URL != "https://mastodon.example/@ann/110" ||
		a.AuthorURL != "https://mastodon.example/users/ann" || a.Visibility != "public" || a.Invalid != "" ||
		a.CreatedAt.Format("2006-01-02") != "2023-12-31" {
		t.Errorf("first row %+v", a)
	}
	// Oldest favorite first: the first element is the oldest.
	if a.Order != 0 || d.Order != 3 {
		t.Errorf("orders %d..%d, want 0..3", a.Order, d.Order)
	}
	if b.URI != "https://misskey.example/notes/9zz" || b.Visibility != "private" || b.URL != "" {
		t.Errorf("followers-only row %+v", b)
	}
	if c.Invalid != misskeyLocalNote || c.Source != "favorites-2024-01-05-00-00-00.json:item 3" {
		t.Errorf("local note without a server: %+v", c)
	}
	if !strings.Contains(d.Invalid, `no "uri"`) {
		t.Errorf("remote note without a uri: %+v", d)
	}
	want := []string{
		`favorites-2024-01-05-00-00-00.json:item 3: ` + misskeyLocalNote,
		`favorites-2024-01-05-00-00-00.json:item 4: the note of a remote user has no "uri"`,
	}
	if len(res.Problems) != 2 || res.Problems[0].String() != want[0] || res.Problems[1].String() != want[1] {
		t.Errorf("problems %v, want %q", res.Problems, want)
	}
}

// The exporting server, given, makes its own notes addressable, also in
// a gzipped export.
func TestReadMisskeyExportLocalNotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "favorites.json")
	if err := os.WriteFile(path, []byte(misskeyExport), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := ReadFileWith(context.Background(), path, ReadOptions{MisskeyServer: "https://home.example/"})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Items[2]
	if c.Invalid != "" || c.URI != "https://home.example/notes/9aa3" || c.AuthorURL != "https://home.example/@cy" || c.Visibility != "unlisted" {
		t.Errorf("local note %+v", c)
	}
	if len(res.Problems) != 1 {
		t.Errorf("problems %v, want only the remote note without a uri", res.Problems)
	}
}

// A Misskey export with no usable row, or cut short, is refused naming
// the file and what is wrong.
func TestReadMisskeyExportRefused(t *testing.T) {
	only := `[{"id":"1","createdAt":"2024-01-01T00:00:00Z","note":{"id":"a","uri":null,"user":{"host":null}}}]`
	_, err := Read(context.Background(), "fav.json", strings.NewReader(only))
	if err == nil || !strings.Contains(err.Error(), "fav.json: no favorite of this Misskey export could be read") ||
		!strings.Contains(err.Error(), "--from-server") {
		t.Errorf("err %v", err)
	}
	cut := misskeyExport[:len(misskeyExport)/2]
	_, err = Read(context.Background(), "fav.json", strings.NewReader(cut))
	if err == nil || !strings.Contains(err.Error(), "fav.json: ") {
		t.Errorf("cut short: err %v", err)
	}
	// An element whose note is not an object, after a Misskey one, is a
	// problem of its row; the rest is read.
	mixed := `[{"id":"1","note":{"id":"a","uri":"https://x.example/notes/a","user":{"host":"x.example"}}},{"id":"2","note":{"uri":5}}]`
	res, err := Read(context.Background(), "fav.json", strings.NewReader(mixed))
	if err != nil || len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), "fav.json:item 2: not a Misskey note") {
		t.Errorf("mixed: %v %v", res.Problems, err)
	}
}
