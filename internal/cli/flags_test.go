package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseFlagsInterspersedAndDoubleDash(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantPos []string
		wantTo  string
	}{
		{[]string{"a.csv", "--to", "bob@h", "b.csv"}, []string{"a.csv", "b.csv"}, "bob@h"},
		{[]string{"--", "-dogs", "-cats"}, []string{"-dogs", "-cats"}, ""},
		{[]string{"words", "--to=x@h", "--", "-not", "--to", "y"}, []string{"words", "-not", "--to", "y"}, "x@h"},
		{[]string{}, nil, ""},
	} {
		a := newApp(IO{})
		c := command{name: "t"}
		a.cmd = c
		fs := newFlags(c)
		to := fs.String("to", "", "")
		pos, err := a.parseFlags(fs, tt.args)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if !slices.Equal(pos, tt.wantPos) || *to != tt.wantTo {
			t.Errorf("%q: positional %q, --to %q; want %q, %q", tt.args, pos, *to, tt.wantPos, tt.wantTo)
		}
	}
	a := newApp(IO{})
	fs := newFlags(command{name: "t"})
	if _, err := a.parseFlags(fs, []string{"-nope"}); err == nil {
		t.Error("an unknown flag must be a usage error")
	}
}

func TestTyposGetSuggestions(t *testing.T) {
	home := newHome(t)
	r := mustRun(t, ExitUsage, home, "", "bakcup")
	if !strings.Contains(r.stderr, `did you mean "backup"`) {
		t.Errorf("unknown command: %q", r.stderr)
	}
	r = mustRun(t, ExitUsage, home, "", "backup", "--ful")
	if !strings.Contains(r.stderr, "unknown option --ful (did you mean --full?)") {
		t.Errorf("unknown flag: %q", r.stderr)
	}
	r = mustRun(t, ExitUsage, home, "", "backup", "--zzzzzz")
	if strings.Contains(r.stderr, "did you mean") {
		t.Errorf("no suggestion expected for a flag far from all: %q", r.stderr)
	}
	r = mustRun(t, ExitUsage, home, "", "export", "--format")
	if !strings.Contains(r.stderr, "option --format needs a value") {
		t.Errorf("missing value: %q", r.stderr)
	}
}

// TestHomeBeforeTheCommand: --home DIR (or --home=DIR) may come before the
// command's name too, as help and README say it is taken by any command;
// after the name it still works.
func TestHomeBeforeTheCommand(t *testing.T) {
	env, dir := newHome(t), filepath.Join(t.TempDir(), "given")
	for _, args := range [][]string{
		{"--home", dir, "accounts"},
		{"--home=" + dir, "accounts"},
		{"accounts", "--home", dir},
	} {
		r := mustRun(t, ExitOK, env, "", args...)
		if out := r.stdout + r.stderr; !strings.Contains(out, dir) || strings.Contains(out, env) {
			t.Errorf("fedimarks %s does not keep state in %s:\n%s", strings.Join(args, " "), dir, out)
		}
	}
	r := mustRun(t, ExitUsage, env, "", "--home")
	if !strings.Contains(r.stderr, "--home") {
		t.Errorf("--home without DIR: %s", r.stderr)
	}
}
