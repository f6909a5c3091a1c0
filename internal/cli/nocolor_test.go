package cli

import (
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// runOnTerminal runs the tool as if stdout and stderr were a terminal,
// with env added to the test's environment.
func runOnTerminal(t *testing.T, home, stdin string, env map[string]string, args ...string) run {
	t.Helper()
	yes := true
	r := runToolWith(t, nil, home, stdin, func(o *IO) {
		base := o.Getenv
		o.Getenv = func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			return base(k)
		}
		o.StdoutIsTerminal, o.StderrIsTerminal = &yes, &yes
	}, args...)
	if r.code != 0 {
		t.Fatalf("fedimarks %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// On a terminal, search marks matches in bold and backup draws a bar in
// place; NO_COLOR (any value but empty) and TERM=dumb turn both off: no
// escape code, no carriage return, on stdout or stderr.
func TestNoColorAndDumbTerminal(t *testing.T) {
	w := newWorld(t, mastodontest.Mastodon, 30)
	w.login(t)
	for _, tc := range []struct {
		name  string
		env   map[string]string
		plain bool
	}{
		{"terminal", map[string]string{"TERM": "xterm-256color"}, false},
		{"NO_COLOR", map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, true},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, true},
		{"NO_COLOR empty", map[string]string{"TERM": "xterm", "NO_COLOR": ""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := runOnTerminal(t, w.home, "", tc.env, "backup", "--full")
			s := runOnTerminal(t, w.home, "", tc.env, "search", "quotes")
			if !strings.Contains(s.stdout, "post 29") {
				t.Fatalf("search found nothing:\n%s", s.stdout)
			}
			all := b.stdout + b.stderr + s.stdout + s.stderr
			escapes, returns := strings.Contains(all, "\x1b"), strings.Contains(b.stderr, "\r")
			if tc.plain && (escapes || returns) {
				t.Errorf("escape codes %v, bar redrawn with \\r %v; want neither:\n%q\n%q", escapes, returns, b.stderr, s.stdout)
			}
			if !tc.plain && !(escapes && returns) {
				t.Errorf("escape codes %v, bar redrawn with \\r %v; want both on a terminal:\n%q\n%q", escapes, returns, b.stderr, s.stdout)
			}
		})
	}
}
