package cli

import (
	"strings"
	"testing"
)

// TestSearchDashWordSaysHowToLeaveItOut: search's help says -word leaves
// out the posts with a word, but typed as its own argument it is read as
// an option ("unknown option --golang", a double dash the person never
// typed). The usage error (exit 2) says how to write it: after --, which
// search reads as words. Run that way, it works.
func TestSearchDashWordSaysHowToLeaveItOut(t *testing.T) {
	home := newHome(t)
	r := runTool(t, nil, home, "", "search", "the", "-golang")
	want := "fedimarks search -- the -golang"
	if r.code != ExitUsage || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "--golang") {
		t.Errorf("search the -golang: exit %d, stderr %q; want exit 2 and the command %q", r.code, r.stderr, want)
	}
	// A mistyped option of search is still said as one.
	if r := runTool(t, nil, home, "", "search", "x", "--limt", "3"); r.code != ExitUsage || !strings.Contains(r.stderr, "unknown option --limt (did you mean --limit?)") {
		t.Errorf("search --limt: exit %d, stderr %q", r.code, r.stderr)
	}
}
