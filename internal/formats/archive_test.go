package formats

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

const archiveBookmarks = `{"@context":"https://www.w3.org/ns/activitystreams","id":"bookmarks.json","type":"OrderedCollection","totalItems":2,"orderedItems":["https://a.example/users/ann/statuses/1","https://b.example/users/bo/statuses/2"]}`

type member struct{ name, body string }

// archiveMembers look like a Mastodon account archive, with the
// bookmarks in a nested directory and decoys around.
var archiveMembers = []member{
	{"archive-20240301/actor.json", `{"type":"Person"}`},
	{"archive-20240301/outbox.json", `{"type":"OrderedCollection","orderedItems":[{"id":"https://x.example/wrong"}]}`},
	{"__MACOSX/archive-20240301/bookmarks.json", "\x00\x05\x16\x07junk"},
	{"archive-20240301/media_attachments/files/1/original/a.png", "\x89PNG\r\n\x1a\nxxxx"},
	{"archive-20240301/bookmarks.json", archiveBookmarks},
	{"archive-20240301/deeper/old/bookmarks.json", `{"orderedItems":["https://x.example/wrong"]}`},
}

func makeZip(t *testing.T, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, m.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeTarGz(t *testing.T, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	tw.WriteHeader(&tar.Header{Name: "archive/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, m.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gw.Close()
	return buf.Bytes()
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFileArchives(t *testing.T) {
	// The tar.gz of older Mastodon lists bookmarks.json before the deeper
	// decoy; the zip is searched for the shallowest one.
	zipMembers := append([]member(nil), archiveMembers[:4]...)
	zipMembers = append(zipMembers, archiveMembers[5], archiveMembers[4])
	tarMembers := archiveMembers
	for _, tc := range []struct {
		name, file string
		data       []byte
	}{
		{"zip", "archive-20240301.zip", makeZip(t, zipMembers)},
		{"zip with a misleading name", "export.dat", makeZip(t, zipMembers)},
		{"tar.gz", "archive-20230101.tar.gz", makeTarGz(t, tarMembers)},
		{"tgz with a misleading name", "backup.csv", makeTarGz(t, tarMembers)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.file, tc.data)
			res, err := ReadFile(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, res, readCase{
				format: "activitypub",
				uris:   []string{"https://a.example/users/ann/statuses/1", "https://b.example/users/bo/statuses/2"},
				orders: []int{0, 1},
				srcs:   []string{path + "!/archive-20240301/bookmarks.json:item 1", path + "!/archive-20240301/bookmarks.json:item 2"},
			})
			// The same bytes as a stream (stdin) read the same.
			res2, err := Read(t.Context(), tc.file, bytes.NewReader(tc.data))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(res2.Items) != 2 || res2.Items[1].Source != tc.file+"!/archive-20240301/bookmarks.json:item 2" {
				t.Errorf("Read from a stream: %+v", res2.Items)
			}
		})
	}
}

func TestReadFileArchiveErrors(t *testing.T) {
	noBookmarks := []member{{"archive/outbox.json", "{}"}, {"archive/bookmarks.csv.bak", "x"}}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"zip without bookmarks.json", makeZip(t, noBookmarks), "this archive holds no bookmarks.json"},
		{"tar.gz without bookmarks.json", makeTarGz(t, noBookmarks), "this archive holds no bookmarks.json"},
		{"truncated zip", makeZip(t, archiveMembers)[:40], "is not a readable zip archive"},
		{"zip with a zip in bookmarks.json", makeZip(t, []member{{"bookmarks.json", string(makeZip(t, archiveMembers))}}), "this is not a text file"},
		{"broken gzip", []byte{0x1f, 0x8b, 0x08, 0x00, 0x01}, "is not a readable gzip archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "archive.bin", tc.data)
			_, err := ReadFile(t.Context(), path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if fedimarks.ErrorCode(err) != fedimarks.EInvalid {
				t.Errorf("code = %q", fedimarks.ErrorCode(err))
			}
		})
	}
	_, err := ReadFile(t.Context(), filepath.Join(t.TempDir(), "missing.csv"))
	if err == nil || !strings.Contains(err.Error(), "missing.csv") || fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadPlainTar(t *testing.T) {
	gz, err := gzip.NewReader(bytes.NewReader(makeTarGz(t, archiveMembers)))
	if err != nil {
		t.Fatal(err)
	}
	tarData, _ := io.ReadAll(gz)
	res, err := Read(t.Context(), "archive.tar", bytes.NewReader(tarData))
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "activitypub" || len(res.Items) != 2 || res.Items[0].Source != "archive.tar!/archive-20240301/bookmarks.json:item 1" {
		t.Errorf("plain tar: %+v", res)
	}
}

func TestReadGzipCSV(t *testing.T) {
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	io.WriteString(gw, "#uri\nhttps://a.example/1\nnope\n")
	gw.Close()
	res, err := ReadFile(t.Context(), writeTemp(t, "bookmarks.csv.gz", buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "mastodon" || len(res.Items) != 2 || !strings.HasSuffix(res.Problems[0].Source, "bookmarks.csv:3") {
		t.Errorf("gzipped CSV: %+v", res)
	}
}

// TestCapReader checks the bound on archive members with a small cap (the
// real one is 256 MiB): a member of exactly the cap passes, one byte more
// is an error, not a silently cut file.
func TestCapReader(t *testing.T) {
	data := strings.Repeat("x", 1000)
	got, err := io.ReadAll(&capReader{r: strings.NewReader(data), left: 1000, name: "m"})
	if err != nil || len(got) != 1000 {
		t.Fatalf("exactly the cap: %d bytes, %v", len(got), err)
	}
	_, err = io.ReadAll(&capReader{r: strings.NewReader(data + "y"), left: 1000, name: "a.zip!/bookmarks.json"})
	if err == nil || !strings.Contains(err.Error(), "a.zip!/bookmarks.json is larger than 256 MiB") || fedimarks.ErrorCode(err) != fedimarks.EInvalid {
		t.Fatalf("over the cap: %v", err)
	}
}

// TestRoundTrip exports the nasty fixtures in every format that can be
// read back and reads them: the same posts in the same order.
func TestRoundTrip(t *testing.T) {
	bookmarks := nastyBookmarks(t)
	var uris, links, byPost []string
	for _, b := range bookmarks {
		s := b.Status.Original()
		uris = append(uris, s.URI)
		links = append(links, s.WebLink())
	}
	// by post time, oldest first: fixtures 4, 3 (the boosted post), 2, 1, 0
	for _, i := range []int{4, 3, 2, 1, 0} {
		byPost = append(byPost, uris[i])
	}
	want := map[string][]string{
		"mastodon": uris, "json": uris, "jsonl": uris,
		"csv": links, "netscape": links,
		"activitypub": byPost,
	}
	for name, wantURIs := range want {
		t.Run(name, func(t *testing.T) {
			out := export(t, name, bookmarks)
			res, err := Read(t.Context(), "export"+mustLookup(t, name).Extension, bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != name {
				t.Errorf("read back as %q", res.Format)
			}
			if len(res.Problems) != 0 {
				t.Errorf("problems: %v", res.Problems)
			}
			got := make([]string, len(res.Items))
			for i, it := range res.Items {
				got[i] = it.URI
				if name != "activitypub" && it.Order != len(res.Items)-1-i {
					t.Errorf("item %d: Order %d", i, it.Order)
				}
			}
			if strings.Join(got, "\n") != strings.Join(wantURIs, "\n") {
				t.Errorf("read back\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantURIs, "\n"))
			}
			switch name {
			case "json", "jsonl":
				if v := res.Items[4].Visibility; v != "private" {
					t.Errorf("visibility = %q", v)
				}
				if u := res.Items[0].URL; u != "https://example.social/@alice/112233445566778899" {
					t.Errorf("URL = %q", u)
				}
				fallthrough
			case "csv":
				if !res.Items[0].CreatedAt.Equal(bookmarks[0].Status.CreatedAt.Truncate(timeUnit(name))) {
					t.Errorf("CreatedAt = %v, want %v", res.Items[0].CreatedAt, bookmarks[0].Status.CreatedAt)
				}
				if res.Items[2].AuthorURL != "https://rtl.example/@noor" {
					t.Errorf("AuthorURL = %q", res.Items[2].AuthorURL)
				}
			}
		})
	}
}

func mustLookup(t *testing.T, name string) Format {
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("no format %s", name)
	}
	return f
}

// timeUnit is the precision a format keeps of the post time.
func timeUnit(format string) time.Duration {
	if format == "csv" {
		return time.Second
	}
	return 1
}
