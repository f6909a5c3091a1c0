package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestNoColorImport: import's bar (the display with an ETA) follows
// NO_COLOR as backup's does: on a terminal a bar redrawn in place; with
// NO_COLOR, plain lines, no carriage return and no escape code.
func TestNoColorImport(t *testing.T) {
	f := newFediverse(t)
	carol := f.a.AddAccount("carol")
	f.login(t, f.bob)
	for _, tc := range []struct {
		name  string
		env   map[string]string
		plain bool
	}{
		{"terminal", map[string]string{"TERM": "xterm-256color"}, false},
		{"NO_COLOR", map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			for range 3 {
				lines = append(lines, carol.Post(mastodontest.PostOptions{}).URI())
			}
			file := filepath.Join(t.TempDir(), "bookmarks.csv")
			if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runOnTerminal(t, f.home, "", tc.env, "import", file, "--to", f.bob.Handle(), "--report-dir", f.reports)
			if !strings.Contains(r.stderr, "3 imported") {
				t.Fatalf("import did not write the rows:\n%s", r.stderr)
			}
			bar := strings.Contains(r.stderr, "\rimport ")
			escapes := strings.Contains(r.stderr, "\x1b")
			if tc.plain && (bar || escapes) {
				t.Errorf("under NO_COLOR: bar redrawn in place %v, escape codes %v:\n%q", bar, escapes, r.stderr)
			}
			if !tc.plain && !bar {
				t.Errorf("no bar on a terminal:\n%q", r.stderr)
			}
		})
	}
}
