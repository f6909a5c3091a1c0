package formats

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokenArchivesNamedInPlainWords: a zip or gzip file that cannot be
// read is said to be one, naming the file, not in the library's words
// ("zip: not a valid zip file", "unexpected EOF").
func TestBrokenArchivesNamedInPlainWords(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(w, "https://a.example/@x/%d\n", i*7919%100003)
	}
	w.Close()
	dir := t.TempDir()
	for _, tc := range []struct{ name, data, want string }{
		{"bad.zip", "PK\x03\x04garbage", "is not a readable zip archive"},
		{"bad.gz", gz.String()[:30], "is not a readable gzip archive"},
		{"half.gz", gz.String()[:gz.Len()/2], "is not a readable gzip archive"},
		{"half.tar.gz", string(makeTarGz(t, archiveMembers)[:200]), "is not a readable gzip archive"},
		{"header.gz", "\x1f\x8b\x08", "is not a readable gzip archive"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, read := range []func(context.Context, string) (Result, error){ReadFile, ReadFileRows} {
			_, err := read(context.Background(), path)
			if err == nil {
				t.Fatalf("%s: read without an error", tc.name)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+" "+tc.want) || strings.Contains(msg, "zip: ") || strings.Contains(msg, "gzip: ") {
				t.Errorf("%s: %q, want it to start with %q", tc.name, msg, path+" "+tc.want)
			}
		}
		_, err := Read(context.Background(), tc.name, strings.NewReader(tc.data))
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+" "+tc.want) {
			t.Errorf("%s read as a stream: %v", tc.name, err)
		}
	}
}
