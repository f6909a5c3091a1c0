package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// searchURIs runs fedimarks search --json and returns the URIs, sorted.
func searchURIs(t *testing.T, home, account, query string) []string {
	t.Helper()
	r := mustRun(t, 0, home, "", "search", query, "--account", account, "--json", "--include-removed")
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l == "" {
			continue
		}
		var v struct{ URI string }
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v.URI)
	}
	slices.Sort(out)
	return out
}

// TestTagsNotesRoundTrip tags and notes alice's bookmarks with the
// commands, checks search finds them, exports json, jsonl and netscape,
// imports each into another account and backs it up: the tags and notes
// are there, found by the same searches; a full backup that no longer
// sees a post keeps its tags.
func TestTagsNotesRoundTrip(t *testing.T) {
	f := newFediverse(t)
	chef := f.c.AddAccount("chef")
	plum := chef.Post(mastodontest.PostOptions{Text: "<p>Plum cake with cinnamon</p>", Tags: []string{"baking"}})
	soup := chef.Post(mastodontest.PostOptions{Text: "<p>Pumpkin soup</p>"})
	cake2 := chef.Post(mastodontest.PostOptions{Text: "<p>Another cake, lemon</p>"})
	other := f.a.AddAccount("carol").Post(mastodontest.PostOptions{Text: "<p>Unrelated</p>"})
	for _, s := range []*mastodontest.Status{plum, soup, cake2, other} {
		f.alice.Bookmark(s)
	}
	dave, erin := f.b.AddAccount("dave"), f.c.AddAccount("erin")
	f.login(t, f.alice, f.bob, dave, erin)
	alice := f.alice.Handle()
	mustRun(t, 0, f.home, "", "backup", alice)

	mustRun(t, 0, f.home, "", "tag", plum.URL(), "+Recipes", "+later", "--account", alice)
	mustRun(t, 0, f.home, "", "tag", "pumpkin", "+recipes", "+todo", "--account", alice)
	mustRun(t, 0, f.home, "", "tag", "pumpkin", "-todo", "--account", alice)
	r := mustRun(t, 2, f.home, "", "tag", "cake", "+dessert", "--account", alice)
	if !strings.Contains(r.stderr, plum.URI()) || !strings.Contains(r.stderr, cake2.URI()) {
		t.Errorf("ambiguous tag should list both matches:\n%s", r.stderr)
	}
	mustRun(t, 0, f.home, "", "tag", "--all-matching", "from:chef", "+chef", "--account", alice)
	mustRun(t, 0, f.home, "", "note", plum.URI(), "grandma's favourite, bake 40 minutes", "--account", alice)
	mustRun(t, 2, f.home, "", "note", "https://nowhere.example/1", "x", "--account", alice)

	r = mustRun(t, 0, f.home, "", "tags", "--account", alice)
	if want := "3\tchef\n2\trecipes\n1\tlater\n"; r.stdout != want {
		t.Errorf("tags =\n%s\nwant\n%s", r.stdout, want)
	}
	want := map[string][]string{
		"tag:recipes":                sorted(plum.URI(), soup.URI()),
		"tag:recipes -tag:later":     {soup.URI()},
		"tag:dessert":                nil,
		"has:note":                   {plum.URI()},
		"grandma":                    {plum.URI()},
		"cake -tag:later":            {cake2.URI()},
		"tag:chef -tag:recipes":      {cake2.URI()},
		"minutes tag:later has:note": {plum.URI()},
	}
	checkSearches := func(account string) {
		t.Helper()
		for q, w := range want {
			if got := searchURIs(t, f.home, account, q); !slices.Equal(got, w) {
				t.Errorf("%s: search %q = %v, want %v", account, q, got, w)
			}
		}
	}
	checkSearches(alice)

	dir := t.TempDir()
	for _, c := range []struct {
		format string
		to     *mastodontest.Account
	}{{"json", f.bob}, {"jsonl", dave}, {"netscape", erin}} {
		out := filepath.Join(dir, "export."+c.format)
		mustRun(t, 0, f.home, "", "export", alice, "--format", c.format, "-o", out)
		r := mustRun(t, 0, f.home, "", "import", out, "--to", c.to.Handle(), "--report-dir", f.reports, "--yes")
		if !strings.Contains(r.stderr, "Local tags and notes of 3 posts kept for "+c.to.Handle()) {
			t.Errorf("%s import does not say it kept the tags:\n%s", c.format, r.stderr)
		}
		mustRun(t, 0, f.home, "", "backup", c.to.Handle())
		checkSearches(c.to.Handle())
	}

	// A full backup after the post left alice's bookmarks keeps its tags.
	f.alice.Unbookmark(soup)
	mustRun(t, 0, f.home, "", "backup", alice, "--full")
	if got := searchURIs(t, f.home, alice, "tag:recipes"); !slices.Equal(got, sorted(plum.URI(), soup.URI())) {
		t.Errorf("after backup --full: tag:recipes (removed included) = %v", got)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }
