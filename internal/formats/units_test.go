package formats

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

func TestActivityPubOrder(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	items := []apItem{
		{uri: "https://x/5", id: "100", created: t0},
		{uri: "https://x/4", id: "99", created: t0}, // a shorter snowflake is older
		{uri: "https://x/3", id: "01HZZ", created: t0},
		{uri: "https://x/2", id: "01HAA", created: t0},
		{uri: "https://x/1", created: t0.Add(-time.Second)},
		{uri: "https://x/0b", id: "7", created: t0.Add(-time.Hour)},
		{uri: "https://x/0a", id: "7", created: t0.Add(-time.Hour)},
	}
	sort.SliceStable(items, func(i, j int) bool { return apLess(items[i], items[j]) })
	var got []string
	for _, it := range items {
		got = append(got, it.uri)
	}
	want := "https://x/0a https://x/0b https://x/1 https://x/2 https://x/3 https://x/4 https://x/5"
	if strings.Join(got, " ") != want {
		t.Errorf("order = %v\nwant    %v", got, want)
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1":                "'+1",
		"@SUM(A1)":          "'@SUM(A1)",
		"https://a/=1":      "https://a/=1",
		"":                  "",
	} {
		if got := noFormula(in); got != want {
			t.Errorf("noFormula(%q) = %q, want %q", in, got, want)
		}
	}
	var buf bytes.Buffer
	enc := newCSVEncoder(&buf, Meta{})
	enc.Encode(fedimarks.Bookmark{Status: fedimarks.Status{URI: "=cmd|' /C calc'!A0", URL: "-2+3"}})
	enc.Close()
	if want := "Bookmark URL,Account URL,Created at\n'-2+3,,\n"; buf.String() != want {
		t.Errorf("csv = %q, want %q", buf.String(), want)
	}
}

func TestMastodonOneRowPerPost(t *testing.T) {
	var buf bytes.Buffer
	enc := newMastodonEncoder(&buf, Meta{})
	enc.Encode(fedimarks.Bookmark{Status: fedimarks.Status{URI: "https://a.example/1\nhttps://injected.example/2\r"}})
	enc.Encode(fedimarks.Bookmark{Status: fedimarks.Status{URI: "https://boost.example/act", Reblog: &fedimarks.Status{URI: "https://b.example/3"}}})
	enc.Close()
	if want := "https://a.example/1https://injected.example/2\nhttps://b.example/3\n"; buf.String() != want {
		t.Errorf("mastodon = %q, want %q", buf.String(), want)
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"one two three four five six", 16, "one two three…"},
		{"🎉🎉🎉🎉🎉🎉", 4, "🎉🎉🎉…"},
		{"abcdefghijklmnopqrstuvwxyz", 10, "abcdefghi…"},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain words":          "plain words",
		"# title":              `\# title`,
		"12. item":             `12\. item`,
		"3) item":              `3\) item`,
		"version 1.2":          "version 1.2",
		"[a](javascript:x)":    `[a\](javascript:x)`,
		"<b>&amp;</b>":         `\<b>\&amp;\</b>`,
		"*_`~|!{}":             "\\*\\_`\\~|!{}",
		"a\\b":                 `a\b`,
		"= setext":             "= setext",
		"===":                  `\===`,
		"+ plus":               `\+ plus`,
		"-- dash":              "-- dash",
		"--":                   `\--`,
		"mid - dash # and 1. ": "mid - dash # and 1. ",
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkExport prints how fast each writer goes over the fixtures.
func BenchmarkExport(b *testing.B) {
	bookmarks := nastyBookmarks(b)
	for _, f := range All() {
		b.Run(f.Name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				enc := f.New(&buf, testMeta)
				for range 200 {
					for _, bm := range bookmarks {
						if err := enc.Encode(bm); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := enc.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(200*len(bookmarks)), "bookmarks/op")
		})
	}
}

func TestJSONBrokenRawSkipsOneBookmark(t *testing.T) {
	good := nastyBookmarks(t)[2]
	bad := good
	bad.Status.Raw = []byte(`{"id":"1","uri":`)
	var buf bytes.Buffer
	f, _ := Lookup("json")
	enc := f.New(&buf, Meta{})
	if err := enc.Encode(bad); err == nil || !strings.Contains(err.Error(), "stored JSON") {
		t.Fatalf("broken raw JSON: %v", err)
	}
	if err := enc.Encode(good); err != nil {
		t.Fatalf("the next bookmark: %v", err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := Read(t.Context(), "x.json", &buf)
	if err != nil || len(res.Items) != 1 || res.Items[0].URI != good.Status.URI {
		t.Fatalf("read back: %v, %+v", err, res.Items)
	}
}
