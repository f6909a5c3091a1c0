package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// completionHome is a home with a saved account on a loopback port (its
// handle holds a colon) and an account only in the archive.
func completionHome(t *testing.T) string {
	t.Helper()
	home := newHome(t)
	archiveWith(t, home, "me@home.example", "<p>kept</p>")
	ar := openHomeArchive(t, home)
	defer ar.Close()
	if err := ar.SaveAccount(context.Background(), fedimarks.Account{Handle: "alice@127.0.0.1:8080", ID: "1", Server: "http://127.0.0.1:8080"}); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestCompleteCandidates(t *testing.T) {
	home := completionHome(t)
	for _, tc := range []struct {
		args []string
		want string // candidates, one a line
	}{
		{[]string{"0", "exp"}, "export"},
		{[]string{"0", "s"}, "schedule\nsearch\nserve\nstatus\nsync"},
		{[]string{"1", "help", "mi"}, "migrate"},
		{[]string{"1", "completion", "p"}, "powershell"},
		{[]string{"1", "export", "--f"}, "--format\n--full-every"},
		{[]string{"1", "backup", "--me"}, "--media\n--media-max-size"},
		{[]string{"2", "export", "--format"}, strings.Join([]string{"activitypub", "csv", "html", "json", "jsonl", "markdown", "mastodon", "netscape"}, "\n")},
		{[]string{"2", "export", "--format", "c"}, "csv"},
		{[]string{"1", "export", "--format=js"}, "--format=json\n--format=jsonl"},
		{[]string{"1", "logout"}, "alice@127.0.0.1:8080\nme@home.example"},
		{[]string{"4", "migrate", "--from", "me@home.example", "--to", "al"}, "alice@127.0.0.1:8080"},
		{[]string{"1", "import", "b"}, ""},       // a file: the shell completes it
		{[]string{"2", "export", "-o", "x"}, ""}, // a file too
		{[]string{"1", "nosuch", "x"}, ""},
		{[]string{"9", "export"}, ""}, // a broken call: silence
	} {
		r := runTool(t, nil, home, "", append([]string{completeCommand}, tc.args...)...)
		if r.code != 0 || strings.TrimSuffix(r.stdout, "\n") != tc.want || r.stderr != "" {
			t.Errorf("__complete %q: exit %d, stdout %q, stderr %q; want %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
	// --home on the command line names the archive to read.
	r := runTool(t, nil, newHome(t), "", completeCommand, "3", "backup", "--home", home, "me")
	if strings.TrimSpace(r.stdout) != "me@home.example" {
		t.Errorf("with --home: %q", r.stdout)
	}
	// No archive: no names, and none is created.
	empty := newHome(t)
	if r := runTool(t, nil, empty, "", completeCommand, "1", "logout"); r.stdout != "" {
		t.Errorf("names without an archive: %q", r.stdout)
	}
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Errorf("completion made %s (%v)", empty, err)
	}
	// The hidden command is not listed.
	if r := mustRun(t, 0, home, "", "help"); strings.Contains(r.stdout, completeCommand) || !strings.Contains(r.stdout, "completion") {
		t.Errorf("help should list completion and hide %s:\n%s", completeCommand, r.stdout)
	}
	// Another shell is no typo of bash: the supported ones are listed.
	if r := runTool(t, nil, home, "", "completion", "tcsh"); r.code != ExitUsage ||
		strings.Contains(r.stderr, "did you mean") || !strings.Contains(r.stderr, strings.Join(completionShells, ", ")) {
		t.Errorf("completion tcsh: exit %d, want 2 and the shells listed:\n%s", r.code, r.stderr)
	}
	if r := runTool(t, nil, home, "", "completion", "zhs"); !strings.Contains(r.stderr, `did you mean "zsh"?`) {
		t.Errorf("completion zhs: a typo of zsh not suggested:\n%s", r.stderr)
	}
	for _, sh := range completionShells {
		if r := mustRun(t, 0, home, "", "completion", sh); !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s does not ask fedimarks __complete:\n%s", sh, r.stdout)
		}
	}
}

// shellPath finds a shell, skipping the test without it on a laptop (CI
// installs them: a missing one fails there).
func shellPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing", name)
		}
		t.Skipf("no %s", name)
	}
	return p
}

// TestShellCompletion loads each script in a real shell, as its startup
// file would, with the built binary on PATH under its name. bash: the
// script registers the function (complete -p), which is called as bash
// does on TAB (COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set).
// fish: complete -C asks what TAB would offer. zsh: compinit registers
// the function, which is called with words and CURRENT set and compadd
// and _files standing in for zsh's.
func TestShellCompletion(t *testing.T) {
	bin := buildBinary(t)
	if filepath.Base(bin) != "fedimarks" {
		t.Fatalf("binary %s is not named fedimarks: the scripts call it by name", bin)
	}
	home := completionHome(t)
	env := []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir(), "FEDIMARKS_HOME=" + home}
	for _, tc := range []struct {
		shell  string
		args   []string
		script string
		want   []string
	}{
		{"bash", []string{"--norc", "--noprofile", "-c"}, `
set -u
source <(fedimarks completion bash)
complete -p fedimarks
comp() {
    COMP_LINE="$1"
    COMP_POINT=${#COMP_LINE}
    read -r -a COMP_WORDS <<< "$COMP_LINE"
    [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _fedimarks fedimarks "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$1|${COMPREPLY[*]}"
}
comp "fedimarks exp"
comp "fedimarks export --format c"
comp "fedimarks logout "
comp "fedimarks backup alice@127.0.0.1:80"
comp "fedimarks import bookm"
`, []string{
			"complete -o default -F _fedimarks fedimarks",
			"fedimarks exp|export",
			"fedimarks export --format c|csv",
			"fedimarks logout |alice@127.0.0.1:8080 me@home.example",
			// bash replaces only what follows the word's last colon
			"fedimarks backup alice@127.0.0.1:80|8080",
			"fedimarks import bookm|", // a file: bash's default completion
		}},
		{"fish", []string{"--no-config", "-c"}, `
fedimarks completion fish | source
complete -C"fedimarks exp"
complete -C"fedimarks export --format c"
complete -C"fedimarks logout "
complete -C"fedimarks backup alice@127.0.0.1:80"
`, []string{"export", "csv", "alice@127.0.0.1:8080", "me@home.example", "alice@127.0.0.1:8080"}},
		{"zsh", []string{"-f", "-c"}, `
autoload -Uz compinit && compinit -u -D
source <(fedimarks completion zsh)
print -r -- "registered ${_comps[fedimarks]}"
compadd() { shift; print -r -- "compadd $*"; }
_files() { print -r -- "_files"; }
words=(fedimarks exp); CURRENT=2; _fedimarks
words=(fedimarks export --format c); CURRENT=4; _fedimarks
words=(fedimarks logout ""); CURRENT=3; _fedimarks
words=(fedimarks import bookm); CURRENT=3; _fedimarks
`, []string{"registered _fedimarks", "compadd export", "compadd csv", "compadd alice@127.0.0.1:8080 me@home.example", "_files"}},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			cmd := exec.Command(shellPath(t, tc.shell), append(tc.args, tc.script)...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.shell, err, out)
			}
			if want := strings.Join(tc.want, "\n") + "\n"; string(out) != want {
				t.Errorf("%s completion:\n%s\nwant:\n%s", tc.shell, out, want)
			}
		})
	}
}
