package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// followAdviceLines are the lines of a run's summary that advise on rows
// that did not make it, with the job number left out.
func followAdviceLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "--retry-failed") && !strings.HasPrefix(l, "fedimarks:") {
			out = append(out, regexp.MustCompile(`\(job \d+\)`).ReplaceAllString(l, ""))
		}
	}
	return out
}

// TestFollowersOnlyAdviceSameInMigrateAndImport: a followers-only post the
// archive knows ends not_visible whether it comes from migrate or from a
// file, and both give the same advice in the same words, in the row's
// detail and in the summary.
func TestFollowersOnlyAdviceSameInMigrateAndImport(t *testing.T) {
	f := newFediverse(t)
	frank := f.a.AddAccount("frank")
	f.alice.Follow(frank)
	private := frank.Post(mastodontest.PostOptions{Visibility: "private"})
	f.alice.Bookmark(private)
	f.login(t, f.alice, f.bob)
	m := mustRun(t, ExitPartial, f.home, "", "migrate", "--from", f.alice.Handle(), "--to", f.bob.Handle(), "--report-dir", f.reports)
	_, migrated := f.report(t)
	file := writeFile(t, "bookmarks.csv", private.URI()+"\n")
	i := mustRun(t, ExitPartial, f.home, "", "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
	_, imported := f.report(t)
	if len(migrated) != 1 || len(imported) != 1 {
		t.Fatalf("reports: %v and %v", migrated, imported)
	}
	if migrated[0][1] != "not_visible" || imported[0][1] != "not_visible" {
		t.Errorf("outcomes: migrate %s, import %s; want not_visible for both", migrated[0][1], imported[0][1])
	}
	// The detail also says what the post's own server answered (an
	// unsigned fetch of a followers-only post: 404), the same for both.
	want := "followers-only post: follow frank@" + f.a.Host() + " from the destination account, then rerun with --retry-failed (its server " + f.a.Host() + " answers 404 Not Found)"
	if migrated[0][2] != want || imported[0][2] != want {
		t.Errorf("details differ or are not %q:\n migrate: %q\n import:  %q", want, migrated[0][2], imported[0][2])
	}
	ma, ia := followAdviceLines(m.stderr), followAdviceLines(i.stderr)
	if len(ma) == 0 || strings.Join(ma, "\n") != strings.Join(ia, "\n") {
		t.Errorf("summaries advise differently:\n migrate: %q\n import:  %q", ma, ia)
	}
}

// TestFollowersOnlyHelpSameInMigrateAndImport: the two commands' help say
// the same of followers-only posts.
func TestFollowersOnlyHelpSameInMigrateAndImport(t *testing.T) {
	home := newHome(t)
	im, mi := mustRun(t, ExitOK, home, "", "help", "import"), mustRun(t, ExitOK, home, "", "help", "migrate")
	para := "A followers-only post that the archive holds ends not_visible; one it does\nnot hold cannot be told from a deleted post and ends not_found. Either way:\nfollow its author from the destination account, then rerun with\n--retry-failed.\n"
	for name, r := range map[string]run{"import": im, "migrate": mi} {
		if !strings.Contains(r.stdout+r.stderr, para) {
			t.Errorf("help %s lacks the followers-only paragraph:\n%s%s", name, r.stdout, r.stderr)
		}
	}
}
