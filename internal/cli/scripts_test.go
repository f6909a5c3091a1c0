package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// scriptWorld is alice on A, who bookmarked 3 posts, bob on B, and a
// file of those 3 posts plus one on C, a server that is down.
type scriptWorld struct {
	*fediverse
	file, downPost string
	aliceToken     string
}

func newScriptWorld(t *testing.T) *scriptWorld {
	t.Helper()
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	var uris []string
	for i := 0; i < 3; i++ {
		s := carol.Post(mastodontest.PostOptions{})
		f.alice.Bookmark(s)
		uris = append(uris, s.URI())
	}
	w := &scriptWorld{fediverse: f, aliceToken: f.alice.Token()}
	w.downPost = f.c.AddAccount("dan").Post(mastodontest.PostOptions{}).URI()
	slices.Reverse(uris)
	w.file = writeFile(t, "bookmarks.csv", w.downPost+"\n"+strings.Join(uris, "\n")+"\n")
	mustRun(t, 0, f.home, w.aliceToken+"\n", "login", f.a.URL(), "--token-stdin")
	f.login(t, f.bob)
	return w
}

// jsonObject decodes one JSON object and checks it has exactly keys.
func jsonObject(t *testing.T, what, line string, keys ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("%s: not one JSON object: %v\n%s", what, err, line)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s: keys %v, want %v", what, got, keys)
	}
	return m
}

var (
	summaryKeys   = []string{"command", "requests", "files", "duration_seconds", "exit_code", "error"}
	backupKeys    = []string{"account", "new", "unchanged", "removed", "archived", "full", "resumed", "requests", "media", "exit_code", "error"}
	importKeys    = append([]string{"account", "job", "resumed", "dry_run", "rows", "outcomes", "imported_by_this_run", "estimate"}, summaryKeys...)
	outcomeKeys   = []string{"imported", "already", "duplicate", "not_found", "not_visible", "unreachable", "invalid", "failed", "pending"}
	estimateKeys  = []string{"to_write", "already", "duplicate", "invalid", "done_earlier", "requests", "duration_seconds"}
	verifyKeys    = append([]string{"account", "rows", "destination_bookmarks", "outcomes", "post_checks"}, summaryKeys...)
	exportKeys    = append([]string{"account", "format", "bookmarks", "backup", "refresh_error"}, summaryKeys...)
	migrateKeys   = append([]string{"source", "backup"}, importKeys...)
	mediaKeys     = []string{"downloaded", "bytes", "missing", "too_large", "invalid", "failed"}
	verifyOutKeys = []string{"present", "missing", "unknown", "duplicate", "invalid"}
)

// Issue 12, made for cron: -q says nothing unless something failed or a
// backup changed the archive; the exit codes stay.
func TestQuietSaysNothingUnlessSomethingHappened(t *testing.T) {
	w := newScriptWorld(t)
	r := mustRun(t, 0, w.home, "", "backup", "-q", w.alice.Handle())
	if !strings.Contains(r.stderr, w.alice.Handle()+": 3 new") || strings.Contains(r.stderr, "bookmarks in") {
		t.Errorf("a quiet backup that archived 3 new bookmarks should say so (without progress):\n%s", r.stderr)
	}
	for _, args := range [][]string{
		{"backup", "-q", w.alice.Handle()},
		{"-q", "backup", "alice"},
		{"backup", "--all", "--quiet"},
	} {
		if r := mustRun(t, 0, w.home, "", args...); r.stderr != "" {
			t.Errorf("fedimarks %v on an unchanged archive wrote:\n%s", args, r.stderr)
		}
	}
	w.alice.Bookmark(w.a.AddAccount("erin").Post(mastodontest.PostOptions{}))
	if r := mustRun(t, 0, w.home, "", "backup", "-q", "--all"); !strings.Contains(r.stderr, w.alice.Handle()+": 1 new") {
		t.Errorf("backup --all -q with a new bookmark:\n%s", r.stderr)
	}

	// Every other command, when all goes well: nothing on stderr.
	out := filepath.Join(t.TempDir(), "out.csv")
	missing := filepath.Join(t.TempDir(), "missing.csv")
	w.c.SetDown(true)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"accounts", "-q"}, 0},
		{[]string{"accounts", "use", "-q", "alice"}, 0},
		{[]string{"export", "-q", "--format", "csv", "-o", out}, 0},
		{[]string{"export", "-q", "--offline", "--format", "json"}, 0},
		{[]string{"search", "-q", "post"}, 0},
		{[]string{"migrate", "-q", "--from", "alice", "--to", "bob", "--report-dir", w.reports}, 0},
		{[]string{"verify", "-q", "--from", "alice", "--to", "bob", "--offline", "-o", missing}, 0},
		{[]string{"-q", "help", "backup"}, 0},
		{[]string{"logout", "-q", "bob"}, 0},
		{[]string{"login", "-q", w.b.URL(), "--token-stdin"}, 0},
	} {
		stdin := ""
		if tc.args[0] == "login" {
			stdin = w.bob.Token() + "\n"
		}
		if r := mustRun(t, tc.code, w.home, stdin, tc.args...); r.stderr != "" {
			t.Errorf("fedimarks %v wrote on stderr:\n%s", tc.args, r.stderr)
		}
	}

	// Something failed: all of it shows, then the error; same exit code.
	r = mustRun(t, ExitPartial, w.home, "", "import", "-q", w.file, "--to", "bob", "--report-dir", w.reports)
	for _, want := range []string{"4 rows (mastodon)", w.bob.Handle() + ": 4 rows: ", "1 unreachable", "fedimarks: 1 of 4 rows were not imported"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("a quiet import with a failed row lacks %q:\n%s", want, r.stderr)
		}
	}
	w.a.SetDown(true)
	r = mustRun(t, ExitError, w.home, "", "backup", "-q", "alice")
	if !strings.Contains(r.stderr, "fedimarks: "+w.a.Host()+" did not answer") {
		t.Errorf("a quiet backup of a server that is down:\n%s", r.stderr)
	}
}

// Issue 12: --json summaries, one object on stdout, each shape as the
// help documents it.
func TestJSONSummaryShapes(t *testing.T) {
	w := newScriptWorld(t)

	t.Run("backup", func(t *testing.T) {
		r := mustRun(t, 0, w.home, "", "backup", "alice", "--json", "--media")
		m := jsonObject(t, "backup --json", r.stdout, append([]string{"accounts"}, summaryKeys...)...)
		accs := m["accounts"].([]any)
		if len(accs) != 1 || m["command"] != "backup" || m["exit_code"] != 0.0 || m["error"] != nil {
			t.Fatalf("backup --json = %s", r.stdout)
		}
		b, _ := json.Marshal(accs[0])
		acc := jsonObject(t, "backup --json account", string(b), backupKeys...)
		if acc["account"] != w.alice.Handle() || acc["new"] != 3.0 || acc["archived"] != 3.0 || acc["requests"].(float64) < 1 {
			t.Errorf("backup --json account = %s", b)
		}
		mb, _ := json.Marshal(acc["media"])
		jsonObject(t, "backup --json media", string(mb), mediaKeys...)
		if !strings.Contains(r.stderr, w.alice.Handle()+": 3 new") {
			t.Errorf("--json keeps the messages on stderr:\n%s", r.stderr)
		}
	})

	t.Run("export", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b.csv")
		r := mustRun(t, 0, w.home, "", "export", "alice", "--format", "csv", "-o", out, "--json")
		m := jsonObject(t, "export --json -o", r.stdout, exportKeys...)
		if m["bookmarks"] != 3.0 || m["format"] != "csv" || m["refresh_error"] != nil || m["files"].([]any)[0] != out {
			t.Errorf("export --json -o = %s", r.stdout)
		}
		b, _ := json.Marshal(m["backup"])
		jsonObject(t, "export --json backup", string(b), backupKeys...)
		// Without -o the export is on stdout and the summary is the last
		// line of stderr; with the server down it says why it is stale.
		w.a.SetDown(true)
		r = mustRun(t, 0, w.home, "", "export", "alice", "--format", "mastodon", "--json")
		w.a.SetDown(false)
		if strings.Count(r.stdout, "\n") != 3 {
			t.Errorf("export --json without -o: stdout is not the export:\n%s", r.stdout)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		m = jsonObject(t, "export --json (stderr)", lines[len(lines)-1], exportKeys...)
		if m["refresh_error"] == nil || m["exit_code"] != 0.0 || len(m["files"].([]any)) != 0 {
			t.Errorf("export --json of a stale archive = %s", lines[len(lines)-1])
		}
	})

	t.Run("import", func(t *testing.T) {
		w.c.SetDown(true)
		r := mustRun(t, ExitPartial, w.home, "", "import", w.file, "--to", "bob", "--report-dir", w.reports, "--json")
		m := jsonObject(t, "import --json", r.stdout, importKeys...)
		b, _ := json.Marshal(m["outcomes"])
		oc := jsonObject(t, "import --json outcomes", string(b), outcomeKeys...)
		if oc["imported"] != 3.0 || oc["unreachable"] != 1.0 || m["rows"] != 4.0 || m["exit_code"] != 3.0 ||
			m["error"] == nil || len(m["files"].([]any)) != 2 || m["resumed"] != false || m["estimate"] != nil {
			t.Errorf("import --json = %s", r.stdout)
		}
		w.c.SetDown(false)
		r = mustRun(t, 0, w.home, "", "import", w.file, "--to", "bob", "--report-dir", w.reports, "--json")
		m = jsonObject(t, "import --json rerun", r.stdout, importKeys...)
		if m["resumed"] != true || m["imported_by_this_run"] != 1.0 || m["exit_code"] != 0.0 || m["error"] != nil {
			t.Errorf("import --json rerun = %s", r.stdout)
		}
		r = mustRun(t, 0, w.home, "", "import", w.file, "--to", "alice", "--dry-run", "--json")
		m = jsonObject(t, "import --dry-run --json", r.stdout, importKeys...)
		b, _ = json.Marshal(m["estimate"])
		est := jsonObject(t, "import --dry-run --json estimate", string(b), estimateKeys...)
		if m["dry_run"] != true || est["to_write"] != 1.0 || est["already"] != 3.0 {
			t.Errorf("dry run --json = %s", r.stdout)
		}
	})

	t.Run("migrate", func(t *testing.T) {
		r := mustRun(t, 0, w.home, "", "migrate", "--from", "alice", "--to", "bob", "--report-dir", w.reports, "--json")
		m := jsonObject(t, "migrate --json", r.stdout, migrateKeys...)
		if m["command"] != "migrate" || m["source"] != w.alice.Handle() || m["account"] != w.bob.Handle() || m["rows"] != 3.0 {
			t.Errorf("migrate --json = %s", r.stdout)
		}
		b, _ := json.Marshal(m["backup"])
		jsonObject(t, "migrate --json backup", string(b), backupKeys...)
	})

	t.Run("verify", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "missing.csv")
		r := mustRun(t, ExitPartial, w.home, "", "verify", w.file, "--to", "alice", "-o", out, "--json")
		m := jsonObject(t, "verify --json", r.stdout, verifyKeys...)
		b, _ := json.Marshal(m["outcomes"])
		oc := jsonObject(t, "verify --json outcomes", string(b), verifyOutKeys...)
		if oc["present"] != 3.0 || oc["missing"] != 1.0 || m["rows"] != 4.0 || m["exit_code"] != 3.0 || m["files"].([]any)[0] != out {
			t.Errorf("verify --json = %s", r.stdout)
		}
		mustRun(t, ExitUsage, w.home, "", "verify", w.file, "--to", "alice", "--json")
	})

	t.Run("backup --all", func(t *testing.T) {
		w.a.RevokeToken(w.aliceToken)
		r := mustRun(t, ExitAuth, w.home, "", "backup", "--all", "--json")
		m := jsonObject(t, "backup --all --json", r.stdout, append([]string{"accounts"}, summaryKeys...)...)
		accs := m["accounts"].([]any)
		if len(accs) != 2 || m["exit_code"] != 4.0 {
			t.Fatalf("backup --all --json = %s", r.stdout)
		}
		for _, a := range accs {
			acc := a.(map[string]any)
			failed := acc["account"] == w.alice.Handle()
			if (acc["exit_code"] == 4.0) != failed || (acc["error"] != nil) != failed {
				t.Errorf("backup --all --json account = %v", acc)
			}
		}
	})
}
