package cli

import (
	"strings"
	"testing"
)

// TestHelpListsOnlyTheCommandsExitCodes: each command's help names the
// exit codes it can return and no other: commands that only work here
// never fail authentication nor finish partly; commands that talk to a
// server may be refused the token.
func TestHelpListsOnlyTheCommandsExitCodes(t *testing.T) {
	for _, tc := range []struct {
		cmd       string
		want, not []string
	}{
		{"search", []string{"0 done", "1 error", "2 usage", "130 interrupted"}, []string{"3 finished", "4 authentication"}},
		{"accounts", []string{"0 done", "2 usage"}, []string{"3 finished", "4 authentication"}},
		{"serve", []string{"0 done"}, []string{"3 finished", "4 authentication"}},
		{"status", []string{"0 done"}, []string{"3 finished", "4 authentication"}},
		{"tag", []string{"0 done"}, []string{"3 finished", "4 authentication"}},
		{"schedule", []string{"0 done"}, []string{"3 finished", "4 authentication"}},
		{"login", []string{"4 authentication", "130 interrupted"}, []string{"3 finished"}},
		{"logout", []string{"4 authentication"}, []string{"3 finished"}},
		{"export", []string{"4 authentication"}, []string{"3 finished"}},
		{"backup", []string{"3 finished", "4 authentication"}, nil},
	} {
		r := mustRun(t, 0, t.TempDir(), "", "help", tc.cmd)
		help := r.stdout + r.stderr
		i := strings.LastIndex(help, "Exit codes:")
		if i < 0 {
			t.Errorf("help %s has no exit codes", tc.cmd)
			continue
		}
		codes := strings.Join(strings.Fields(help[i:]), " ")
		for _, w := range tc.want {
			if !strings.Contains(codes, w) {
				t.Errorf("help %s: %q lacks %q", tc.cmd, codes, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(codes, w) {
				t.Errorf("help %s: %q names %q, which it never returns", tc.cmd, codes, w)
			}
		}
	}
	for _, line := range strings.Split(exitCodesFor(ExitOK, ExitError, ExitUsage, ExitPartial, ExitAuth, ExitInterrupted), "\n") {
		if len(line) > 80 {
			t.Errorf("exit codes line over 80 columns: %q", line)
		}
	}
}
