package cli

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestResumeKeepsTheSourceOptions: the command a stopped migrate or import
// says to resume with reads the same rows: migrate --offline (its source
// down, the reason for --offline) keeps --offline, which the plain
// command would refuse with the source down; an import of a Misskey
// export keeps --from-server, without which the exporting server's notes
// are other (invalid) rows.
func TestResumeKeepsTheSourceOptions(t *testing.T) {
	w := newMisskeyWorld(t)
	carol := w.c.AddAccount("carol")
	post := carol.Post(mastodontest.PostOptions{})
	w.alice.Bookmark(post)
	w.login(t, w.alice, w.bob)
	mustRun(t, ExitOK, w.home, "", "backup", w.alice.Handle())
	w.a.SetDown(true)

	w.b.FailNext(100, 503, 0) // bob's listing fails: the job stops, resumable
	r := runTool(t, nil, w.home, "", "migrate", "--from", w.alice.Handle(), "--to", w.bob.Handle(), "--offline", "--report-dir", w.reports)
	m := regexp.MustCompile(`resume with: fedimarks (migrate [^)]*)\)`).FindStringSubmatch(r.stderr)
	if r.code == ExitOK || m == nil || !slices.Contains(strings.Fields(m[1]), "--offline") {
		t.Fatalf("migrate --offline: exit %d, stderr:\n%s\nwant a resume command with --offline", r.code, r.stderr)
	}
	w.b.FailNext(0, 0, 0)
	mustRun(t, ExitOK, w.home, "", strings.Fields(m[1])...) // the source still down

	nora := w.m.AddAccount("nora")
	local := nora.Post(mastodontest.PostOptions{Text: "a note of M"})
	export := `[{"id":"9x0002","createdAt":"2026-01-02T00:00:00.000Z","note":{"id":"` + local.ID() +
		`","text":"a note of M","createdAt":"2026-01-01T00:00:00.000Z","fileIds":[],"replyId":null,"renoteId":null,"poll":null,"cw":null,` +
		`"visibility":"public","visibleUserIds":[],"localOnly":false,"reactionAcceptance":null,"uri":null,"url":null,` +
		`"user":{"id":"9u2","name":null,"username":"nora","host":null,"uri":null}}}]`
	file := writeFile(t, "favorites-2026-01-02-00-00-00.json", export)
	w.b.FailNext(100, 503, 0)
	r = runTool(t, nil, w.home, "", "import", file, "--from-server", w.m.URL(), "--to", w.bob.Handle(), "--report-dir", w.reports)
	if r.code == ExitOK || !strings.Contains(r.stderr, "resume with: fedimarks import "+file+" --from-server "+w.m.URL()) {
		t.Errorf("import --from-server: exit %d, stderr:\n%s\nwant its resume command to keep --from-server", r.code, r.stderr)
	}
}
