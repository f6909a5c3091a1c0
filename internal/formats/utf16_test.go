package formats

import (
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/fedimarks/fedimarks"
)

// encodeUTF16 is s in UTF-16 of the given byte order, with or without a
// byte order mark, as Windows Notepad saves "Unicode" text.
func encodeUTF16(s string, order binary.ByteOrder, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	out := make([]byte, 2*len(units))
	for i, u := range units {
		order.PutUint16(out[2*i:], u)
	}
	return out
}

func TestReadUTF16WithBOM(t *testing.T) {
	a, b := "https://a.example/users/ann/statuses/1", "https://b.example/@bo/2"
	// CRLF, a #uri header, a row with a character outside the BMP (a
	// surrogate pair in UTF-16) that is not a URL.
	text := "#uri\r\n" + a + "\r\n" + b + "\r\nnot a url 🦣\r\n"
	for _, tc := range []struct {
		order binary.ByteOrder
		enc   string
	}{{binary.LittleEndian, "UTF-16LE"}, {binary.BigEndian, "UTF-16BE"}} {
		t.Run(tc.enc, func(t *testing.T) {
			// Through ReadFile, as import reads it, and through Read with a
			// reader returning one byte at a time (pairs cut anywhere).
			path := filepath.Join(t.TempDir(), "bookmarks.csv")
			data := encodeUTF16(text, tc.order, true)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			fromFile, err := ReadFile(t.Context(), path)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			fromStream, err := Read(t.Context(), "bookmarks.csv", &oneByteReader{data: data})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			for _, res := range []Result{fromFile, fromStream} {
				if res.Format != "mastodon" || res.Encoding != tc.enc {
					t.Errorf("Format %q Encoding %q, want mastodon %s", res.Format, res.Encoding, tc.enc)
				}
				var uris []string
				for _, it := range res.Items {
					uris = append(uris, it.URI)
				}
				if want := []string{a, b, "not a url 🦣"}; strings.Join(uris, "|") != strings.Join(want, "|") {
					t.Errorf("URIs %q, want %q", uris, want)
				}
				if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), ":4: ") {
					t.Errorf("problems %v, want one on line 4", res.Problems)
				}
			}
		})
	}
}

func TestReadUTF16JSONWithBOM(t *testing.T) {
	a := "https://a.example/users/ann/statuses/1"
	doc := `{"type":"OrderedCollection","orderedItems":["` + a + `"]}`
	res, err := Read(t.Context(), "bookmarks.json", strings.NewReader(string(encodeUTF16(doc, binary.LittleEndian, true))))
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "activitypub" || len(res.Items) != 1 || res.Items[0].URI != a {
		t.Errorf("got %q %+v", res.Format, res.Items)
	}
}

func TestReadUTF16WithoutBOMSaysSo(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		data := encodeUTF16("https://a.example/users/ann/statuses/1\r\n", order, false)
		_, err := Read(t.Context(), "bookmarks.csv", strings.NewReader(string(data)))
		if err == nil || !strings.Contains(err.Error(), "bookmarks.csv: saved as UTF-16: save it as UTF-8") {
			t.Errorf("%v: error %v", order, err)
		}
		if fedimarks.ErrorCode(err) != fedimarks.EInvalid {
			t.Errorf("code %q", fedimarks.ErrorCode(err))
		}
	}
	// Binary data with zeros is still "not a text file".
	_, err := Read(t.Context(), "image.png", strings.NewReader("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	if err == nil || !strings.Contains(err.Error(), "not a text file") {
		t.Errorf("binary: %v", err)
	}
}

type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

func TestReadFileDirectoryAndMissing(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ path, want string }{
		{dir, dir + " is a directory, not a file"},
		{filepath.Join(dir, "nope.csv"), filepath.Join(dir, "nope.csv") + ": file not found"},
	} {
		for name, err := range map[string]error{"CheckFile": CheckFile(tc.path), "ReadFile": func() error { _, err := ReadFile(t.Context(), tc.path); return err }()} {
			if err == nil || err.Error() != tc.want {
				t.Errorf("%s(%s) = %v, want %q", name, tc.path, err, tc.want)
			}
			if fedimarks.ErrorCode(err) != fedimarks.EInvalid {
				t.Errorf("%s(%s): code %q", name, tc.path, fedimarks.ErrorCode(err))
			}
		}
	}
	f := filepath.Join(dir, "ok.csv")
	os.WriteFile(f, []byte("https://a.example/1\n"), 0o600)
	if err := CheckFile(f); err != nil {
		t.Errorf("CheckFile(a file) = %v", err)
	}
}
