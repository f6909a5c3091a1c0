package transfer

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

func TestLocalID(t *testing.T) {
	tests := []struct {
		uri, url, want string
	}{
		{"https://dest.example/users/alice/statuses/109", "", "109"},
		{"https://dest.example/@alice/109", "", "109"},
		{"https://DEST.example/@alice/109/", "", "109"},
		{"https://dest.example/ap/users/1234/statuses/5678", "", "5678"},
		{"https://dest.example/users/alice/statuses/01HQ2ZK9M5V3Y7X8W6T4R2P0N1", "", "01HQ2ZK9M5V3Y7X8W6T4R2P0N1"},
		{"https://dest.example/@alice/statuses/01HQ2ZK9M5V3Y7X8W6T4R2P0N1", "", "01HQ2ZK9M5V3Y7X8W6T4R2P0N1"},
		{"https://other.example/users/alice/statuses/109", "https://dest.example/@alice/110", "110"},
		{"https://other.example/users/alice/statuses/109", "", ""},
		{"https://dest.example/users/alice", "", ""},
		{"https://dest.example/@alice/109/activity", "", ""},
		{"https://dest.example/notes/9abc", "", ""},
		{"https://dest.example/p/alice/693321", "", "693321"},
		{"https://dest.example/alice/p/1700000000.000001", "", ""},
	}
	for _, tt := range tests {
		if got := localID(fedimarks.JobItem{URI: tt.uri, URL: tt.url}, "dest.example"); got != tt.want {
			t.Errorf("localID(%q, %q) = %q, want %q", tt.uri, tt.url, got, tt.want)
		}
	}
}

func TestMergeAndKey(t *testing.T) {
	f1 := []fedimarks.ImportItem{{URI: "https://a/1", Order: 1}, {URI: "https://a/0", Order: 0}}
	f2 := []fedimarks.ImportItem{{URI: "https://b/1", Order: 1}, {URI: "https://b/0", Order: 0}}
	got := Merge(f1, f2)
	var uris []string
	for _, it := range got {
		uris = append(uris, it.URI)
	}
	if want := []string{"https://a/0", "https://a/1", "https://b/0", "https://b/1"}; !reflect.DeepEqual(uris, want) {
		t.Errorf("Merge = %v, want %v", uris, want)
	}
	k := Key("bob@b", got)
	if k != Key("bob@b", Merge(f1, f2)) {
		t.Error("Key not stable")
	}
	if k == Key("bob@c", got) || k == Key("bob@b", Merge(f2, f1)) || k == Key("bob@b", got[:3]) {
		t.Error("Key ignores destination, order or content")
	}
}

func TestPlanItems(t *testing.T) {
	items := []fedimarks.ImportItem{
		{URI: "https://a.example/users/x/statuses/1", URL: "https://a.example/@x/1", Source: "f:3"},
		{URI: " https://A.example/@x/1#frag ", Source: "f:2"}, // same post by URL
		{URI: "ftp://a.example/x", Source: "f:1"},
		{URI: "garbage", Invalid: "not an http(s) URL", Source: "f:0"},
		{URI: "https://a.example/users/x/statuses/2"},
	}
	got := planItems(items, keySet{})
	want := []fedimarks.Outcome{fedimarks.Pending, fedimarks.Duplicate, fedimarks.Invalid, fedimarks.Invalid, fedimarks.Pending}
	for i, it := range got {
		if it.Outcome != want[i] {
			t.Errorf("row %d: %s (%s), want %s", i, it.Outcome, it.Detail, want[i])
		}
	}
	if !strings.Contains(got[1].Detail, "f:3") {
		t.Errorf("duplicate detail %q does not name the first row", got[1].Detail)
	}
}

func TestVerify(t *testing.T) {
	d := newFakeDest(destHost)
	a := d.add(&post{uri: "https://a.example/users/a/statuses/1", url: "https://a.example/@a/1"})
	b := d.add(&post{uri: "https://a.example/users/a/statuses/2"})
	d.bookmarked[a.localID], d.bookmarked[b.localID] = true, true
	d.bookmarks = []string{a.localID, b.localID}
	items := []fedimarks.ImportItem{
		{URI: "https://a.example/@a/1"}, // present by URL
		{URI: "https://a.example/users/a/statuses/3", Source: "s:2"},
		{URI: b.uri},
		{URI: b.uri},
		{URI: "nope", Invalid: "not an http(s) URL"},
		{URI: "https://c.example/users/c/statuses/9", Source: "s:5"},
	}
	v, err := Verify(context.Background(), VerifyRequest{Items: items, Lister: d})
	if err != nil {
		t.Fatal(err)
	}
	if v.Rows != 6 || v.Present != 2 || v.Duplicate != 1 || v.Invalid != 1 || len(v.Missing) != 2 || v.DestinationCount != 2 {
		t.Fatalf("verification %+v", v)
	}
	if v.Missing[0].URI != "https://a.example/users/a/statuses/3" || v.Missing[1].Order != 1 || v.Missing[1].Source != "s:5" {
		t.Errorf("missing %+v", v.Missing)
	}
}

func TestEstimateAndAdvice(t *testing.T) {
	e := Estimate{Remote: 1200, Requests: 2401}
	e.RateLimit = RateLimit{}.orDefault()
	e.Duration = e.RateLimit.duration(e.Requests)
	if e.Duration != 2401*time.Second {
		t.Errorf("duration %s", e.Duration)
	}
	if !IsBigImport(e, "mastodon", [3]int{4, 3, 0}) || !IsBigImport(e, "mastodon", [3]int{3, 3, 0}) {
		t.Error("big Mastodon import not flagged")
	}
	if IsBigImport(e, "mastodon", [3]int{3, 2, 9}) || IsBigImport(e, "gotosocial", [3]int{4, 0, 0}) || IsBigImport(Estimate{Remote: 1000}, "mastodon", [3]int{4, 0, 0}) {
		t.Error("flagged a small import or a server without the importer")
	}
	adv := Advice(e, "https://mastodon.example/", NextSteps{
		Verify:        "fedimarks verify 'my bookmarks.csv' --to bob@mastodon.example -o missing.csv",
		ImportMissing: "fedimarks import missing.csv --to bob@mastodon.example",
	})
	for _, s := range []string{"1200 bookmarks", "40m01s", "https://mastodon.example/settings/imports", "Bookmarks", "20 MB", "20,000 rows", "split",
		"\n  fedimarks verify 'my bookmarks.csv' --to bob@mastodon.example -o missing.csv\n",
		"\n  fedimarks import missing.csv --to bob@mastodon.example\n"} {
		if !strings.Contains(adv, s) {
			t.Errorf("advice lacks %q:\n%s", s, adv)
		}
	}
	if strings.Contains(adv, "Make the file") {
		t.Errorf("advice for a Mastodon-format file says how to make one:\n%s", adv)
	}
	if strings.Contains(adv, "`fedimarks verify`") {
		t.Errorf("advice gives a generic verify besides the exact one:\n%s", adv)
	}
	adv = Advice(e, "https://mastodon.example/", NextSteps{MakeFile: "fedimarks export alice@a.example --format mastodon -o bookmarks.csv"})
	if !strings.Contains(adv, "Make the file with: fedimarks export alice@a.example --format mastodon -o bookmarks.csv\n") {
		t.Errorf("advice lacks the command to make the file:\n%s", adv)
	}
}

// TestPlanSamePostUnderItsForms: the known address forms of one post on
// one host are one post at planning; other hosts or ids are not.
func TestPlanSamePostUnderItsForms(t *testing.T) {
	items := []fedimarks.ImportItem{
		{URI: "https://a.example/users/alice/statuses/110", Source: "export.csv:1"},
		{URI: "https://a.example/@alice/110", Source: "links.csv:1"},
		{URI: "https://A.example/@alice/statuses/110", Source: "links.csv:2"},
		{URI: "https://a.example/ap/users/9/statuses/110", Source: "links.csv:3"},
		{URI: "https://b.example/@alice/110", Source: "links.csv:4"},
		{URI: "https://a.example/@alice/111", Source: "links.csv:5"},
		{URI: "https://a.example/notice/110", Source: "links.csv:6"},
	}
	got := planItems(items, keySet{})
	want := []fedimarks.Outcome{fedimarks.Pending, fedimarks.Duplicate, fedimarks.Duplicate, fedimarks.Duplicate,
		fedimarks.Pending, fedimarks.Pending, fedimarks.Pending}
	for i, it := range got {
		if it.Outcome != want[i] {
			t.Errorf("row %d %s: %s, want %s", i, it.URI, it.Outcome, want[i])
		}
	}
	if got[1].Detail != "same post as export.csv:1" {
		t.Errorf("detail %q", got[1].Detail)
	}
}

// TestWriteReportDefusesFormulas: raw text of invalid rows cannot become
// a spreadsheet formula; post addresses are left alone.
func TestWriteReportDefusesFormulas(t *testing.T) {
	var b strings.Builder
	items := []fedimarks.JobItem{
		{URI: `=HYPERLINK("http://evil.example","x")`, Outcome: fedimarks.Invalid, Detail: "not an http(s) URL"},
		{URI: "@SUM(1)", Outcome: fedimarks.Invalid, Detail: "-1 is not a URL", Source: ""},
		{URI: "https://a.example/users/a/statuses/1", Outcome: fedimarks.Imported},
	}
	if err := WriteReport(&b, items); err != nil {
		t.Fatal(err)
	}
	want := "uri,outcome,detail\n" +
		`"'=HYPERLINK(""http://evil.example"",""x"")",invalid,not an http(s) URL` + "\n" +
		"'@SUM(1),invalid,'-1 is not a URL\n" +
		"https://a.example/users/a/statuses/1,imported,\n"
	if b.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", b.String(), want)
	}
}
