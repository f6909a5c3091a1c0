package formats

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

type readCase struct {
	name   string // test name
	file   string // the name given to Read
	input  string
	format string
	uris   []string // in file order
	orders []int    // Order of each item, in file order
	srcs   []string // Source of each item, when checked
	// problems are the expected Problem strings ("file:line: message"),
	// in order; nil means none.
	problems []string
	err      string // substring of the error; "" for none
	check    func(t *testing.T, res Result)
}

func TestRead(t *testing.T) {
	const a, b, c = "https://a.example/users/ann/statuses/1", "https://b.example/@bo/22", "https://c.example/notes/3"
	cases := []readCase{
		{
			name: "mastodon export", file: "bookmarks.csv",
			input:  a + "\n" + b + "\n" + c + "\n",
			format: "mastodon", uris: []string{a, b, c}, orders: []int{2, 1, 0},
			srcs: []string{"bookmarks.csv:1", "bookmarks.csv:2", "bookmarks.csv:3"},
		},
		{
			name: "BOM CRLF blank lines spaces and #uri header", file: "bookmarks.csv",
			input:  "\ufeff#uri\r\n\r\n  " + a + "  \r\n\t\r\n" + b + "\r\n\r\n",
			format: "mastodon", uris: []string{a, b}, orders: []int{1, 0},
			srcs: []string{"bookmarks.csv:3", "bookmarks.csv:5"},
		},
		{
			name: "no final newline", file: "x.csv", input: a + "\n" + b,
			format: "mastodon", uris: []string{a, b}, orders: []int{1, 0},
		},
		{
			name: "quoted field with a comma and unquoted extra columns", file: "x.csv",
			input:  `"https://a.example/p?x=1,2"` + "\n" + `  "` + b + `" ` + "\n" + c + ",extra,columns\n",
			format: "mastodon", uris: []string{"https://a.example/p?x=1,2", b, c}, orders: []int{2, 1, 0},
		},
		{
			name: "bookmarks_failures.csv", file: "bookmarks_failures.csv", input: b + "\n",
			format: "mastodon", uris: []string{b}, orders: []int{0},
		},
		{
			name: "invalid rows are reported with their lines", file: "bookmarks.csv",
			input:  a + "\nfoo bar\nftp://files.example/x\n/users/x/statuses/1\n\"https://broken\n" + b + "\nhttps://\n",
			format: "mastodon",
			uris:   []string{a, "foo bar", "ftp://files.example/x", "/users/x/statuses/1", `"https://broken`, b, "https://"},
			orders: []int{6, 5, 4, 3, 2, 1, 0},
			problems: []string{
				`bookmarks.csv:2: "foo bar" is not an http(s) URL`,
				`bookmarks.csv:3: "ftp://files.example/x" is not an http(s) URL`,
				`bookmarks.csv:4: "/users/x/statuses/1" is not an http(s) URL`,
				`bookmarks.csv:5: broken CSV quoting: a quoted field is not closed`,
				`bookmarks.csv:7: "https://" is not an http(s) URL`,
			},
		},
		{
			name: "a header of another CSV is one bad row", file: "links.csv",
			input:  "URL,Title\n" + a + ",Ann's post\n",
			format: "mastodon", uris: []string{"URL", a}, orders: []int{1, 0},
			problems: []string{`links.csv:1: "URL" is not an http(s) URL`},
		},
		{
			name: "three-column CSV", file: "export.csv",
			input:  "Bookmark URL,Account URL,Created at\n" + b + ",https://b.example/@bo,2024-01-02T03:04:05Z\n" + a + ",https://a.example/@ann,2023-12-31T23:00:00.500+01:00\n",
			format: "csv", uris: []string{b, a}, orders: []int{1, 0},
			srcs: []string{"export.csv:2", "export.csv:3"},
			check: func(t *testing.T, res Result) {
				it := res.Items[0]
				if it.AuthorURL != "https://b.example/@bo" || !it.CreatedAt.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("row 1 = %+v", it)
				}
				if want := time.Date(2023, 12, 31, 22, 0, 0, 5e8, time.UTC); !res.Items[1].CreatedAt.Equal(want) {
					t.Errorf("row 2 time = %v, want %v", res.Items[1].CreatedAt, want)
				}
			},
		},
		{
			name: "CSV columns reordered, renamed in case, extra, quoted", file: "hand.csv",
			input: "\ufeff created AT ,\"Note\", BOOKMARK url \r\n" +
				"2024-05-06,\"hi, \"\"there\"\"\",\"" + a + "\"\r\n" +
				"not a time,x," + b + "\r\n" +
				",," + "\r\n" +
				"2024-05-06 10:11:12,y,javascript:alert(1)\r\n",
			format: "csv", uris: []string{a, b, "", "javascript:alert(1)"}, orders: []int{3, 2, 1, 0},
			problems: []string{
				`hand.csv:3: Created at "not a time" is not a time; ignored`,
				`hand.csv:4: no "Bookmark URL" in this row`,
				`hand.csv:5: "javascript:alert(1)" is not an http(s) URL`,
			},
			check: func(t *testing.T, res Result) {
				if !res.Items[0].CreatedAt.Equal(time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)) || res.Items[0].AuthorURL != "" {
					t.Errorf("row 1 = %+v", res.Items[0])
				}
				if !res.Items[1].CreatedAt.IsZero() || res.Items[1].Invalid != "" {
					t.Errorf("a bad time must leave the row good and timeless: %+v", res.Items[1])
				}
			},
		},
		{
			name: "semicolon-separated CSV from a spreadsheet", file: "excel.csv",
			input:  "Bookmark URL;Account URL;Created at\r\n" + a + ";https://a.example/@ann;2024-01-02T03:04:05Z\r\n\"" + b + "\";;\r\n",
			format: "csv", uris: []string{a, b}, orders: []int{1, 0},
			check: func(t *testing.T, res Result) {
				if res.Items[0].AuthorURL != "https://a.example/@ann" || res.Items[0].CreatedAt.IsZero() {
					t.Errorf("row 1 = %+v", res.Items[0])
				}
			},
		},
		{
			name: "tab-separated", file: "links.tsv",
			input:  "Created at\tBookmark URL\n2024-01-02\t" + a + "\n",
			format: "csv", uris: []string{a}, orders: []int{0},
		},
		{
			name: "three-column CSV with only its header", file: "empty.csv",
			input: "Bookmark URL,Account URL,Created at\n", format: "csv",
		},
		{
			name: "Mastodon's header and no rows", file: "bookmarks.csv",
			input: "#uri\r\n\r\n", format: "mastodon",
		},
		{
			name: "bookmarks.json from a Mastodon archive", file: "bookmarks.json",
			input:  `{"@context":"https://www.w3.org/ns/activitystreams","id":"bookmarks.json","type":"OrderedCollection","totalItems":3,"orderedItems":["` + a + `","` + b + `","` + c + `"]}`,
			format: "activitypub", uris: []string{a, b, c}, orders: []int{0, 1, 2},
			srcs: []string{"bookmarks.json:item 1", "bookmarks.json:item 2", "bookmarks.json:item 3"},
		},
		{
			name: "bookmarks.json pretty, items as objects, bad items", file: "bookmarks.json",
			input: "\ufeff{\n  \"type\": \"OrderedCollection\",\n  \"orderedItems\": [\n    {\"id\": \"" + a + "\", \"type\": \"Note\", \"url\": \"https://a.example/@ann/1\"},\n" +
				"    42,\n    {\"type\": \"Note\"},\n    \"not a url\",\n    \"" + c + "\"\n  ],\n  \"totalItems\": 5\n}\n",
			format: "activitypub", uris: []string{a, "", "", "not a url", c}, orders: []int{0, 1, 2, 3, 4},
			problems: []string{
				"bookmarks.json:item 2: neither a URI nor an object: \"42\"",
				`bookmarks.json:item 3: an object with no "id"`,
				`bookmarks.json:item 4: "not a url" is not an http(s) URL`,
			},
			check: func(t *testing.T, res Result) {
				if res.Items[0].URL != "https://a.example/@ann/1" {
					t.Errorf("item 1 URL = %q", res.Items[0].URL)
				}
			},
		},
		{
			name: "empty collection", file: "bookmarks.json",
			input: `{"type":"OrderedCollection","totalItems":0,"orderedItems":[]}`, format: "activitypub",
		},
		{
			name: "fedimarks json", file: "export.json",
			input: "[\n" +
				`  {"account":"me@x.example","first_seen":"2024-01-01T00:00:00Z","status":{"id":"1","uri":"` + a + `","url":"https://a.example/@ann/1","created_at":"2024-01-01T00:00:00.000Z","visibility":"private","account":{"url":"https://a.example/@ann"}}},` + "\n" +
				`  {"account":"me@x.example","status":{"id":"2","uri":"https://boost.example/activity","reblog":{"id":"3","uri":"` + b + `","url":null,"visibility":"public","account":{"url":"javascript:x"}}}},` + "\n" +
				`  {"account":"me@x.example","status":"oops"},` + "\n" +
				`  {"account":"me@x.example","status":{"id":"4"}},` + "\n" +
				`  "` + c + `"` + "\n]\n",
			format: "json", uris: []string{a, b, "", "", c}, orders: []int{4, 3, 2, 1, 0},
			srcs: []string{"export.json:item 1", "export.json:item 2", "export.json:item 3", "export.json:item 4", "export.json:item 5"},
			problems: []string{
				`export.json:item 3: "status" is not a JSON object`,
				`export.json:item 4: the status has no "uri"`,
			},
			check: func(t *testing.T, res Result) {
				want := fedimarks.ImportItem{URI: a, URL: "https://a.example/@ann/1", AuthorURL: "https://a.example/@ann",
					CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Visibility: "private", Source: "export.json:item 1", Order: 4}
				if !reflect.DeepEqual(res.Items[0], want) {
					t.Errorf("item 1 = %+v\nwant     %+v", res.Items[0], want)
				}
				if it := res.Items[1]; it.Visibility != "public" || it.URL != "" || it.AuthorURL != "" {
					t.Errorf("a boost must stand for the original: %+v", it)
				}
			},
		},
		{
			name: "fedimarks jsonl with a broken line", file: "export.jsonl",
			input: `{"account":"me@x.example","status":{"id":"1","uri":"` + a + `","visibility":"direct"}}` + "\n" +
				"\n" +
				`{"account":"me@x.example","status":{"id":` + "\n" +
				`{"account":"me@x.example","status":{"id":"3","uri":"` + b + `"}}` + "\r\n",
			format: "jsonl", uris: []string{a, "", b}, orders: []int{2, 1, 0},
			srcs:     []string{"export.jsonl:1", "export.jsonl:3", "export.jsonl:4"},
			problems: []string{"export.jsonl:3: broken JSON"},
			check: func(t *testing.T, res Result) {
				if res.Items[0].Visibility != "direct" {
					t.Errorf("visibility lost: %+v", res.Items[0])
				}
			},
		},
		{
			name: "JSON Lines of bare statuses", file: "statuses.jsonl",
			input:  `{"id":"1","uri":"` + a + `","account":{"url":"https://a.example/@ann"}}` + "\n" + `{"id":"2","uri":"` + b + `"}` + "\n",
			format: "jsonl", uris: []string{a, b}, orders: []int{1, 0},
		},
		{
			name: "Netscape bookmarks", file: "bookmarks.html",
			input: "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n" +
				"    <DT><A HREF=\"" + a + "\" ADD_DATE=\"1704067200\" TAGS=\"x,y\">Ann: hi &amp; bye</A>\n    <DD>hi\n" +
				"    <DT><H3>Folder</H3>\n    <DL><p>\n        <DT><a href=\"javascript:alert(1)\">bad</a>\n        <DT><A NAME=\"anchor\">x</A>\n" +
				"        <DT><A HREF=\"" + b + "\" ADD_DATE=\"1704067200123\">Bo</A>\n    </DL><p>\n</DL><p>\n",
			format: "netscape", uris: []string{a, "javascript:alert(1)", b}, orders: []int{2, 1, 0},
			srcs:     []string{"bookmarks.html:6", "bookmarks.html:10", "bookmarks.html:12"},
			problems: []string{`bookmarks.html:10: "javascript:alert(1)" is not an http(s) URL`},
			check: func(t *testing.T, res Result) {
				want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
				if !res.Items[0].CreatedAt.Equal(want) || !res.Items[2].CreatedAt.Equal(want) {
					t.Errorf("ADD_DATE not read: %v, %v", res.Items[0].CreatedAt, res.Items[2].CreatedAt)
				}
			},
		},
		{name: "empty file", file: "bookmarks.csv", input: "", err: "bookmarks.csv: the file is empty"},
		{name: "only blank lines", file: "bookmarks.csv", input: "\ufeff\r\n  \n\n", err: "bookmarks.csv: the file holds only blank lines"},
		{name: "plain text", file: "notes.txt", input: "hello world\nthis is not a list of posts\n", err: "notes.txt: no line is a post URL"},
		{name: "CSV with a Bookmark URL column of no URLs", file: "x.csv", input: "Bookmark URL\nfoo\nbar\n", err: `x.csv: no row has a post URL in its "Bookmark URL" column`},
		{name: "JSON object of another kind", file: "outbox.json", input: `{"type":"Person","name":"x"}`, err: `outbox.json: this JSON object has no "orderedItems"`},
		{name: "JSON cut short", file: "bookmarks.json", input: `{"type":"OrderedCollection","orderedItems":["` + a + `",`, err: "bookmarks.json: the JSON ends early"},
		{name: "JSON array cut short", file: "export.json", input: `[{"status":{"uri":"` + a + `"}},{"sta`, err: "export.json: the JSON ends early, at item 2"},
		{name: "JSON array with a syntax error", file: "export.json", input: `[{"status":{"uri":"https://a.example/1"}}, {bad}]`, err: "export.json: broken JSON at item 2 (byte 45)"},
		{
			name: "JSON fields of the wrong type, long values cut in messages", file: "export.json",
			input:  `[{"status":{"uri":5}}, {"status":{"uri":"https://a.example/1"}}, "` + strings.Repeat("é", 150) + `"]`,
			format: "json", uris: []string{"", "https://a.example/1", strings.Repeat("é", 150)}, orders: []int{2, 1, 0},
			problems: []string{
				"export.json:item 1: not a status: uri is a JSON number",
				`export.json:item 3: "` + strings.Repeat("é", 100) + `…" is not an http(s) URL`,
			},
		},
		{name: "a web page", file: "page.html", input: "<!doctype html><html><body><p>hi</p></body></html>", err: "page.html: this HTML file is not a Netscape bookmarks file"},
		{name: "not UTF-8", file: "latin1.csv", input: "https://a.example/caf\xe9\n", err: "latin1.csv: this text is not UTF-8"},
		{name: "binary", file: "image.png", input: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", err: "image.png: this is not a text file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Read(t.Context(), tc.file, strings.NewReader(tc.input))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				if code := fedimarks.ErrorCode(err); code != fedimarks.EInvalid {
					t.Errorf("error code = %q, want %q", code, fedimarks.EInvalid)
				}
				if !strings.Contains(err.Error(), "ends early") && !strings.Contains(err.Error(), "broken JSON at") && !strings.Contains(err.Error(), "expected Mastodon's bookmarks.csv") {
					t.Errorf("error %q does not say what is accepted", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			checkResult(t, res, tc)
		})
	}
}

func checkResult(t *testing.T, res Result, tc readCase) {
	t.Helper()
	if res.Format != tc.format {
		t.Errorf("Format = %q, want %q", res.Format, tc.format)
	}
	var uris []string
	var orders []int
	for _, it := range res.Items {
		uris = append(uris, it.URI)
		orders = append(orders, it.Order)
	}
	if fmt.Sprint(uris) != fmt.Sprint(tc.uris) {
		t.Errorf("URIs =\n%q\nwant\n%q", uris, tc.uris)
	}
	if fmt.Sprint(orders) != fmt.Sprint(tc.orders) {
		t.Errorf("Orders = %v, want %v", orders, tc.orders)
	}
	if tc.srcs != nil {
		for i, it := range res.Items {
			if i < len(tc.srcs) && it.Source != tc.srcs[i] {
				t.Errorf("item %d Source = %q, want %q", i, it.Source, tc.srcs[i])
			}
		}
	}
	var probs []string
	for _, p := range res.Problems {
		probs = append(probs, p.String())
	}
	if strings.Join(probs, "\n") != strings.Join(tc.problems, "\n") {
		t.Errorf("Problems =\n%s\nwant\n%s", strings.Join(probs, "\n"), strings.Join(tc.problems, "\n"))
	}
	// Every invalid item has a problem naming its row, and only those.
	for _, it := range res.Items {
		found := false
		for _, p := range res.Problems {
			if p.Source == it.Source && p.Message == it.Invalid {
				found = true
			}
		}
		if (it.Invalid != "") != found {
			t.Errorf("item %s: Invalid %q, problem reported: %v", it.Source, it.Invalid, found)
		}
	}
	if tc.check != nil && !t.Failed() {
		tc.check(t, res)
	}
}

func TestReadLongLine(t *testing.T) {
	const a = "https://a.example/users/ann/statuses/1"
	input := a + "\nhttps://x.example/" + strings.Repeat("x", 3*maxURLLine) + "\n" + a + "/2\n"
	res, err := Read(t.Context(), "big.csv", strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 3 || res.Items[1].Invalid == "" || res.Items[2].URI != a+"/2" || res.Items[2].Source != "big.csv:3" {
		t.Fatalf("items = %d, %+v", len(res.Items), res.Problems)
	}
	if len(res.Problems) != 1 || res.Problems[0].String() != "big.csv:2: line longer than 64 KiB" {
		t.Errorf("problems = %v", res.Problems)
	}
}

// TestReadManyRows reads a 200,000-row export, ten times Mastodon's import
// limit, and checks every row keeps its line and its age.
func TestReadManyRows(t *testing.T) {
	const n = 200_000
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, "https://big.example/users/u%d/statuses/%d\r\n", i%97, n-i)
	}
	res, err := Read(t.Context(), "big.csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != n || len(res.Problems) != 0 {
		t.Fatalf("%d items, %d problems", len(res.Items), len(res.Problems))
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		it := res.Items[i]
		if it.Order != n-1-i || it.Source != fmt.Sprintf("big.csv:%d", i+1) ||
			it.URI != fmt.Sprintf("https://big.example/users/u%d/statuses/%d", i%97, n-i) {
			t.Errorf("item %d = %+v", i, it)
		}
	}
}

func TestReadIOError(t *testing.T) {
	boom := errors.New("device gone")
	r := ioFailAfter{data: []byte("https://a.example/1\n"), err: boom}
	_, err := Read(t.Context(), "x.csv", &r)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want %v", err, boom)
	}
}

type ioFailAfter struct {
	data []byte
	err  error
}

func (r *ioFailAfter) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func BenchmarkReadMastodonCSV(b *testing.B) {
	const n = 1_000_000
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, "https://big.example/users/u%d/statuses/%d\n", i%97, n-i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Read(b.Context(), "big.csv", bytes.NewReader(data))
		if err != nil || len(res.Items) != n {
			b.Fatalf("%v, %d items", err, len(res.Items))
		}
	}
	b.ReportMetric(float64(n), "rows/op")
}

// TestReadNotUTF8PerLine: a line that is not UTF-8 is an invalid row with
// its number wherever it is (line 2, or past the first MiB), and the
// rest is read.
func TestReadNotUTF8PerLine(t *testing.T) {
	for _, badLine := range []int{2, 30001} {
		var b strings.Builder
		for i := 1; i <= 30002; i++ {
			if i == badLine {
				b.WriteString("https://a.example/caf\xe9\n")
				continue
			}
			fmt.Fprintf(&b, "https://a.example/users/alice/statuses/%d\n", i)
		}
		res, err := Read(t.Context(), "bookmarks.csv", strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("line %d: %v", badLine, err)
		}
		if len(res.Items) != 30002 || len(res.Problems) != 1 {
			t.Fatalf("line %d: %d items, problems %v", badLine, len(res.Items), res.Problems)
		}
		want := fmt.Sprintf("bookmarks.csv:%d: not UTF-8", badLine)
		if got := res.Problems[0].String(); !strings.HasPrefix(got, want) {
			t.Errorf("problem %q, want %q", got, want)
		}
	}
	// JSON Lines too.
	res, err := Read(t.Context(), "b.jsonl", strings.NewReader(`{"uri":"https://a.example/users/a/statuses/1","url":"https://a.example/@a/1"}`+"\n"+`{"uri":"https://a.example/caf`+"\xe9"+`"}`+"\n"))
	if err != nil || len(res.Problems) != 1 || !strings.HasPrefix(res.Problems[0].String(), "b.jsonl:2: not UTF-8") {
		t.Errorf("jsonl: %v %v", res.Problems, err)
	}
	// A document past its first MiB is checked to the end.
	var doc strings.Builder
	doc.WriteString(`{"type":"OrderedCollection","orderedItems":[` + "\n")
	for i := 0; i < 40000; i++ {
		fmt.Fprintf(&doc, "%q,\n", fmt.Sprintf("https://a.example/users/alice/statuses/%d", i))
	}
	doc.WriteString("\"https://a.example/caf\xe9\"]}\n")
	if _, err := Read(t.Context(), "bookmarks.json", strings.NewReader(doc.String())); err == nil || !strings.Contains(err.Error(), "line 40002 is not UTF-8") {
		t.Errorf("document: %v", err)
	}
}
