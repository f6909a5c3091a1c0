package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// saveBackup saves sts (newest first) as h's bookmarks by one finished
// backup run at at, as a backup would.
func saveBackup(t *testing.T, ar *sqlite.Archive, h fedimarks.Handle, at time.Time, sts []fedimarks.Status) {
	t.Helper()
	ctx := context.Background()
	run, err := ar.StartRun(ctx, h, false, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := ar.SavePage(ctx, run, sts, "", at); err != nil {
		t.Fatal(err)
	}
	if _, err := ar.FinishRun(ctx, run, at); err != nil {
		t.Fatal(err)
	}
}

// archiveWith writes statuses as h's bookmarks (newest first) into the
// archive of home, as a backup would.
func archiveWith(t *testing.T, home string, h fedimarks.Handle, contents ...string) []fedimarks.Status {
	t.Helper()
	ar := openHomeArchive(t, home)
	defer ar.Close()
	var sts []fedimarks.Status
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for i, c := range contents {
		raw, _ := json.Marshal(map[string]any{
			"id": fmt.Sprint(i + 1), "uri": fmt.Sprintf("https://far.example/users/bo/statuses/%d", i+1),
			"url": fmt.Sprintf("https://far.example/@bo/%d", i+1), "created_at": at.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
			"content": c, "language": "en", "spoiler_text": "",
			"account": map[string]any{"id": "7", "username": "bo", "acct": "bo@far.example", "display_name": "Bo \x1b[31mRed", "url": "https://far.example/@bo"},
		})
		s, err := fedimarks.ParseStatus(raw)
		if err != nil {
			t.Fatal(err)
		}
		sts = append([]fedimarks.Status{s}, sts...)
	}
	saveBackup(t, ar, h, at, sts)
	return sts
}

func TestSearchCommand(t *testing.T) {
	home := newHome(t)
	archiveWith(t, home, "me@home.example",
		"<p>The quokka smiles\tat \x1b[2Jtourists</p>",
		"<p>Nothing to see</p>",
		"<p>Another quokka, later</p>")

	r := mustRun(t, 0, home, "", "search", "quokka")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("search quokka: %d lines, want 2:\n%s", len(lines), r.stdout)
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			t.Fatalf("line %q has %d fields, want 4", l, len(f))
		}
		if _, err := time.Parse(time.RFC3339, f[0]); err != nil || f[1] != "bo@far.example" ||
			!strings.HasPrefix(f[2], "https://far.example/@bo/") || !strings.Contains(f[3], "quokka") {
			t.Errorf("fields %q", f)
		}
	}
	if strings.ContainsAny(r.stdout, "\x1b\x02\x03") {
		t.Errorf("output carries control characters: %q", r.stdout)
	}
	if !strings.Contains(r.stdout, "The quokka smiles at [2Jtourists") {
		t.Errorf("snippet not cleaned to one line: %q", r.stdout)
	}

	r = mustRun(t, 0, home, "", "search", "--json", "from:bo@far.example", "--limit", "2")
	var n int
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var obj struct {
			URI     string          `json:"uri"`
			Account string          `json:"account"`
			Status  json.RawMessage `json:"status"`
			Author  struct{ Acct string }
		}
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatalf("json line %q: %v", l, err)
		}
		if obj.Account != "me@home.example" || obj.Author.Acct != "bo@far.example" || !json.Valid(obj.Status) || len(obj.Status) < 10 {
			t.Errorf("json result %+v", obj)
		}
		n++
	}
	if n != 2 {
		t.Errorf("--limit 2 gave %d results", n)
	}

	if r := mustRun(t, 0, home, "", "search", "wombat"); r.stdout != "" {
		t.Errorf("no match printed %q", r.stdout)
	}
	r = mustRun(t, 2, home, "", "search", "after:someday")
	if !strings.Contains(r.stderr, `"someday" is not a date`) {
		t.Errorf("bad date: %s", r.stderr)
	}
	mustRun(t, 2, home, "", "search")
	mustRun(t, 2, home, "", "search", "x", "--account", "nobody@nowhere.example")
}

func TestServeCommand(t *testing.T) {
	home := newHome(t)
	archiveWith(t, home, "me@home.example", "<p>Served quokka</p>")

	r := mustRun(t, 2, home, "", "serve", "--addr", "0.0.0.0:8080")
	if !strings.Contains(r.stderr, "loopback") {
		t.Errorf("non-loopback refusal: %s", r.stderr)
	}
	mustRun(t, 2, home, "", "serve", "--addr", "example.com:80")

	srv := startServe(t, home, nil)
	url := srv.url
	resp, err := http.Get(url + "?q=quokka")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<mark>quokka</mark>") ||
		resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("served search: %d %s", resp.StatusCode, body)
	}
	if code := srv.stop(); code != ExitOK {
		t.Errorf("serve exited %d after Ctrl-C, want 0; stderr %s", code, srv.stderr.String())
	}
}

// archiveStatuses writes raw statuses (newest first) as h's bookmarks into
// the archive of home.
func archiveStatuses(t *testing.T, home string, h fedimarks.Handle, raws ...map[string]any) {
	t.Helper()
	ar := openHomeArchive(t, home)
	defer ar.Close()
	var sts []fedimarks.Status
	for _, m := range raws {
		raw, _ := json.Marshal(m)
		s, err := fedimarks.ParseStatus(raw)
		if err != nil {
			t.Fatal(err)
		}
		sts = append(sts, s)
	}
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	saveBackup(t, ar, h, at, sts)
}

// TestSearchPipedAllLocalHandlesSafeLinks: piped and --json output are
// not cut at 20; a local author is shown as user@host of the archived
// server; a javascript: url is never printed (the http(s) uri is).
func TestSearchPipedAllLocalHandlesSafeLinks(t *testing.T) {
	home := newHome(t)
	var raws []map[string]any
	for i := range 25 {
		m := map[string]any{
			"id": fmt.Sprint(i + 1), "uri": fmt.Sprintf("https://home.example/users/carol/statuses/%d", i+1),
			"url": fmt.Sprintf("https://home.example/@carol/%d", i+1), "created_at": "2024-05-01T10:00:00Z",
			"content": fmt.Sprintf("<p>ordinary post %d</p>", i), "spoiler_text": "",
			"account": map[string]any{"id": "3", "username": "carol", "acct": "carol", "display_name": "Carol", "url": "https://home.example/@carol"},
		}
		if i == 0 {
			m["url"] = "javascript:alert(1)"
		}
		raws = append(raws, m)
	}
	archiveStatuses(t, home, "me@home.example", raws...)

	r := mustRun(t, 0, home, "", "search", "ordinary")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 25 {
		t.Errorf("piped search: %d lines, want all 25", len(lines))
	}
	for _, l := range lines {
		if f := strings.Split(l, "\t"); len(f) != 4 || f[1] != "carol@home.example" || !strings.HasPrefix(f[2], "https://home.example/") {
			t.Errorf("line %q: want author carol@home.example and an https link", l)
		}
	}
	if strings.Contains(r.stdout, "javascript:") || !strings.Contains(r.stdout, "https://home.example/users/carol/statuses/1\t") {
		t.Errorf("the javascript: url is printed or the uri is not:\n%s", r.stdout)
	}

	r = mustRun(t, 0, home, "", "search", "--json", "ordinary")
	if n := strings.Count(r.stdout, "\n"); n != 25 {
		t.Errorf("--json: %d lines, want 25", n)
	}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var obj struct {
			URL    string `json:"url"`
			Author struct{ Acct string }
		}
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(obj.URL, "https://home.example/") || obj.Author.Acct != "carol@home.example" {
			t.Errorf("--json url %q, author %q", obj.URL, obj.Author.Acct)
		}
	}

	// An explicit limit still cuts, and says so on stderr.
	r = mustRun(t, 0, home, "", "search", "--limit", "5", "ordinary")
	if n := strings.Count(r.stdout, "\n"); n != 5 || !strings.Contains(r.stderr, "5 of 25") {
		t.Errorf("--limit 5: %d lines, stderr %q", n, r.stderr)
	}
}

// TestServeMediaSkipsMissingBlobs: a download recorded done whose file was
// deleted from disk is not offered to the page (which then links to the
// original instead of showing a broken image).
func TestServeMediaSkipsMissingBlobs(t *testing.T) {
	ctx := context.Background()
	home := newHome(t)
	h := fedimarks.Handle("me@home.example")
	archiveStatuses(t, home, h, map[string]any{
		"id": "1", "uri": "https://far.example/users/bo/statuses/1", "content": "<p>hi</p>",
		"account": map[string]any{"id": "7", "username": "bo", "acct": "bo@far.example", "avatar": "https://far.example/a.png"},
	})
	ar := openHomeArchive(t, home)
	defer ar.Close()
	if _, err := ar.QueueMedia(ctx, h); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, "media")
	content := []byte("not really a png")
	sum := fmt.Sprintf("%x", sha256.Sum256(content))
	path := backup.BlobPath(dir, sum)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ar.SetMediaDone(ctx, "https://far.example/a.png", sum, int64(len(content)), "image/png"); err != nil {
		t.Fatal(err)
	}
	m := archiveMedia{ar: ar, dir: dir}
	files, err := m.LocalFiles(ctx, "https://far.example/users/bo/statuses/1")
	if err != nil || len(files) != 1 || files[0].Path != path {
		t.Fatalf("LocalFiles = %+v, %v; want the avatar at %s", files, err, path)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if files, err := m.LocalFiles(ctx, "https://far.example/users/bo/statuses/1"); err != nil || len(files) != 0 {
		t.Errorf("after deleting the file: LocalFiles = %+v, %v; want none", files, err)
	}
}

// TestSearchStdoutTerminal: with stdout at a terminal (IO.StdoutIsTerminal),
// search writes the first 20 results for a person (matches in bold);
// piped, every result as TSV.
func TestSearchStdoutTerminal(t *testing.T) {
	home := newHome(t)
	var contents []string
	for i := 0; i < 25; i++ {
		contents = append(contents, fmt.Sprintf("<p>Numbat number %d</p>", i))
	}
	archiveWith(t, home, "me@home.example", contents...)
	env := map[string]string{"FEDIMARKS_HOME": home, "FEDIMARKS_KEYRING": "off"}
	for _, tty := range []bool{true, false} {
		var out, errb bytes.Buffer
		no := false
		code := Main(context.Background(), []string{"search", "numbat"}, IO{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
			StdinIsTerminal: &no, StdoutIsTerminal: &tty, StderrIsTerminal: &no,
		})
		if code != ExitOK {
			t.Fatalf("tty %v: exit %d: %s", tty, code, errb.String())
		}
		bold := strings.Count(out.String(), "\x1b[1m")
		tsv := strings.Count(out.String(), "\t")
		switch {
		case tty && (bold != 20 || tsv != 0):
			t.Errorf("at a terminal: %d bold matches and %d tabs, want 20 and 0:\n%s", bold, tsv, out.String())
		case !tty && (bold != 0 || strings.Count(out.String(), "\n") != 25):
			t.Errorf("piped: %d bold matches, want 0 and 25 lines:\n%s", bold, out.String())
		}
	}
}
