package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

// heapWatch is a stdout that counts lines and samples the heap every
// 200 lines, keeping the largest sample.
type heapWatch struct {
	lines, next int
	peak        uint64
}

func (w *heapWatch) Write(p []byte) (int, error) {
	w.lines += bytes.Count(p, []byte("\n"))
	if w.lines >= w.next {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.peak = max(w.peak, m.HeapAlloc)
		w.next += 200
	}
	return len(p), nil
}

// bigArchive writes n bookmarks of h into the archive of home, each
// saying "quokka" and each of about size bytes of JSON (a long profile
// note: big posts without a big index).
func bigArchive(t *testing.T, home string, h fedimarks.Handle, n, size int) {
	t.Helper()
	ctx := context.Background()
	ar := openHomeArchive(t, home)
	defer ar.Close()
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	run, err := ar.StartRun(ctx, h, false, at)
	if err != nil {
		t.Fatal(err)
	}
	note := strings.Repeat("x", size)
	var page []fedimarks.Status
	for i := n; i > 0; i-- {
		raw, _ := json.Marshal(map[string]any{
			"id": fmt.Sprint(i), "uri": fmt.Sprintf("https://far.example/users/bo/statuses/%d", i),
			"url": fmt.Sprintf("https://far.example/@bo/%d", i), "created_at": at.Format(time.RFC3339),
			"content": fmt.Sprintf("<p>quokka %d</p>", i),
			"account": map[string]any{"id": "7", "username": "bo", "acct": "bo@far.example", "url": "https://far.example/@bo", "note": note},
		})
		s, err := fedimarks.ParseStatus(raw)
		if err != nil {
			t.Fatal(err)
		}
		if page = append(page, s); len(page) == 500 || i == 1 {
			if err := ar.SavePage(ctx, run, page, "", at); err != nil {
				t.Fatal(err)
			}
			page = page[:0]
		}
	}
	if _, err := ar.FinishRun(ctx, run, at); err != nil {
		t.Fatal(err)
	}
}

// outrunOrder leaves h's listing order behind further than the log of
// changes tells (see sqlite's listOrder): 3,000 tags on a post, then a
// run, not finished, that sees bigArchive's newest post again.
func outrunOrder(t *testing.T, home string, h fedimarks.Handle) {
	t.Helper()
	ctx := context.Background()
	ar := openHomeArchive(t, home)
	defer ar.Close()
	var tags []string
	for i := range 3000 {
		tags = append(tags, fmt.Sprintf("t%d", i))
	}
	if err := ar.SetTags(ctx, h, "https://far.example/users/bo/statuses/1", tags); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)
	run, err := ar.StartRun(ctx, h, false, at)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := ar.Search(ctx, fedimarks.Query{Account: h, Limit: 1})
	if err != nil || len(hits) != 1 {
		t.Fatalf("the newest bookmark: %v %v", hits, err)
	}
	if err := ar.SavePage(ctx, run, []fedimarks.Status{hits[0].Bookmark.Status}, "", at); err != nil {
		t.Fatal(err)
	}
}

// TestSearchStreams: `search WORD` piped without --limit writes every hit
// while it reads them, so that its memory is that of a few hits however
// many match (it held all of them: 280 MB for 26,000 hits). 2,000 posts
// of 16 KB match here; holding them all grew the heap by 50 MB, streaming
// by 4.
func TestSearchStreams(t *testing.T) {
	home := newHome(t)
	const n, size = 2000, 16 << 10
	bigArchive(t, home, "me@home.example", n, size)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base := m.HeapAlloc
	out := &heapWatch{next: 1}
	var errb bytes.Buffer
	no := false
	env := map[string]string{"FEDIMARKS_HOME": home, "FEDIMARKS_KEYRING": "off"}
	code := Main(context.Background(), []string{"search", "quokka"}, IO{
		Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb,
		Getenv:          func(k string) string { return env[k] },
		StdinIsTerminal: &no, StderrIsTerminal: &no,
	})
	if code != 0 || out.lines != n {
		t.Fatalf("search: exit %d, %d lines, want 0 and %d\n%s", code, out.lines, n, errb.String())
	}
	grew := int64(out.peak) - int64(base)
	if grew > 20<<20 {
		t.Errorf("search of %d hits of %d KB grew the heap by %d MB while writing, want under 20 MB: it does not stream",
			n, size>>10, grew>>20)
	}
}

// TestSearchControlCharacterQuery: a NUL byte or an escape in a search
// typed at a terminal is a clear usage error (exit 2), not a crash or an
// SQL error.
func TestSearchControlCharacterQuery(t *testing.T) {
	home := newHome(t)
	archiveWith(t, home, "me@home.example", "<p>Served quokka</p>")
	for _, q := range []string{"quokka\x00", "\x1b[31m", "a\x7fb"} {
		r := mustRun(t, 2, home, "", "search", q)
		if !strings.Contains(r.stderr, "control character") || strings.Contains(r.stderr, "SQL") || r.stdout != "" {
			t.Errorf("search %q: stderr %q, stdout %q", q, r.stderr, r.stdout)
		}
	}
}

// TestSearchPastRankLimit: a search matching more than
// fedimarks.RankLimit bookmarks lists them newest first, not ranked
// (ranking would read every match), and stderr says so; one matching
// fewer is ranked and says nothing of the kind.
func TestSearchPastRankLimit(t *testing.T) {
	home := newHome(t)
	n := fedimarks.RankLimit + 20
	bigArchive(t, home, "me@home.example", n, 0)
	env := map[string]string{"FEDIMARKS_HOME": home, "FEDIMARKS_KEYRING": "off"}
	search := func(args ...string) (lines []map[string]any, stderr string) {
		t.Helper()
		var out, errb bytes.Buffer
		no := false
		code := Main(context.Background(), append([]string{"search", "--json"}, args...), IO{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv:          func(k string) string { return env[k] },
			StdinIsTerminal: &no, StderrIsTerminal: &no,
		})
		if code != 0 {
			t.Fatalf("search %v: exit %d\n%s", args, code, errb.String())
		}
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("search %v: %q: %v", args, l, err)
			}
			lines = append(lines, m)
		}
		return lines, errb.String()
	}
	hits, stderr := search("quokka")
	// The archive's listing order counts them all at the cost of a page.
	if len(hits) != n || !strings.Contains(stderr, fmt.Sprintf("%d bookmarks match: listed newest first", n)) {
		t.Fatalf("search quokka: %d hits, stderr %q; want %d and the order said", len(hits), stderr, n)
	}
	for i, h := range hits {
		if want := fmt.Sprintf("https://far.example/users/bo/statuses/%d", n-i); h["uri"] != want || h["rank"] != 0.0 {
			t.Fatalf("hit %d: %v rank %v, want %s newest first, not ranked", i, h["uri"], h["rank"], want)
		}
	}
	// An archive whose listing order a change outran (thousands of
	// tags, then a run that has not finished: the order is read again
	// from the bookmarks only by serve or the next run) is counted in
	// SQL, as far as the ranking's limit.
	outrunOrder(t, home, "me@home.example")
	hits, stderr = search("quokka")
	if len(hits) != n || !strings.Contains(stderr, fmt.Sprintf("More than %d bookmarks match: listed newest first", fedimarks.RankLimit)) {
		t.Errorf("search quokka, the order outrun: %d hits, stderr %q; want %d and the order said", len(hits), stderr, n)
	}
	hits, stderr = search("quokka", "17")
	if len(hits) != 1 || strings.Contains(stderr, "newest first") || hits[0]["rank"] == 0.0 {
		t.Errorf("search quokka 17: %d hits (%v), stderr %q; want 1 ranked, nothing said", len(hits), hits, stderr)
	}
}

// TestSearchWithoutAWordSaysSo: text that holds no word the index keeps
// (punctuation only) would match nothing, and say nothing when piped: it
// is refused with what is wrong, exit 2.
func TestSearchWithoutAWordSaysSo(t *testing.T) {
	home := newHome(t)
	bigArchive(t, home, "me@home.example", 3, 0)
	for _, q := range []string{"!!!", `""`, "... -?"} {
		r := runTool(t, nil, home, "", "search", "--", q)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "holds no word to search for") {
			t.Errorf("search %q: exit %d, stdout %q, stderr %q; want exit 2 and the reason", q, r.code, r.stdout, r.stderr)
		}
	}
	if r := runTool(t, nil, home, "", "search", "quokka"); r.code != 0 || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("search quokka: exit %d, %q", r.code, r.stdout)
	}
}
