package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/fedimarks/fedimarks/internal/formats"
	"github.com/fedimarks/fedimarks/internal/schedule"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// completeCommand is the hidden command the completion scripts call:
//
//	fedimarks __complete N WORD...
//
// N is the number of whole words before the one being completed (program
// name left out); the word being completed is WORD number N+1, absent when
// empty (so that no shell has to pass an empty argument). It prints the
// candidates that start with that word, one a line, and nothing where a
// file name is expected (the scripts then complete files).
const completeCommand = "__complete"

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func completionCommand() command {
	return command{
		name:    "completion",
		summary: "print a shell completion script (bash, zsh, fish, powershell)",
		usage: `Usage: fedimarks completion bash|zsh|fish|powershell

Prints a script that makes the shell complete fedimarks' commands, options,
saved account names and export formats. Load it from your shell's startup:

  bash        echo 'source <(fedimarks completion bash)' >> ~/.bashrc
  zsh         echo 'source <(fedimarks completion zsh)' >> ~/.zshrc
              (after compinit)
  fish        fedimarks completion fish > ~/.config/fish/completions/fedimarks.fish
  powershell  fedimarks completion powershell >> $PROFILE

The scripts ask the fedimarks on your PATH for the candidates, so they stay
right as fedimarks changes; account names come from the archive (and from
--home DIR when the command line gives one).

Exit codes: 0 done; 2 usage.
`,
		run: runCompletionCommand,
	}
}

func runCompletionCommand(ctx context.Context, a *app, args []string) error {
	fs := newFlags(a.cmd)
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("completion takes one shell: %s", strings.Join(completionShells, ", "))
	}
	script, ok := map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion, "powershell": powershellCompletion}[pos[0]]
	if !ok {
		msg := fmt.Sprintf("no completion for %q: fedimarks completes %s", pos[0], strings.Join(completionShells, ", "))
		// A typo of a shell, not another shell (tcsh is no bash).
		if near := nearest(pos[0], completionShells); near != "" && near[0] == pos[0][0] {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		return usageError("%s", msg)
	}
	fmt.Fprint(a.stdout, script)
	return nil
}

// runComplete answers the completion scripts; it never fails loudly (a
// broken completion must not spill errors into the person's prompt).
func runComplete(ctx context.Context, a *app, args []string) {
	if len(args) == 0 {
		return
	}
	n, err := strconv.Atoi(args[0])
	words := args[1:]
	if err != nil || n < 0 || n > len(words) {
		return
	}
	cur := ""
	if n < len(words) {
		cur = words[n]
	}
	for _, c := range a.candidates(ctx, words[:n], cur) {
		if strings.HasPrefix(c, cur) {
			fmt.Fprintln(a.stdout, c)
		}
	}
}

// candidates lists what may come after the words before, for a word that
// starts with cur.
func (a *app) candidates(ctx context.Context, before []string, cur string) []string {
	if len(before) == 0 {
		names := append([]string{"help", "version"}, commandNames()...)
		slices.Sort(names)
		return names
	}
	if names, ok := argsOf(before); ok {
		return names
	}
	c, ok := findCommand(before[0])
	if !ok {
		return nil
	}
	flags := commandFlags(ctx, c)
	a.takeHome(before)
	if values, ok := a.optionValues(ctx, flags, before, cur); ok {
		return values
	}
	if strings.HasPrefix(cur, "-") {
		return flagNames(flags)
	}
	if takesAccount(c) {
		return a.accountNames(ctx)
	}
	return nil
}

// commandNames lists the commands' names.
func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// argsOf lists the words that may follow help, completion and schedule,
// which take words and no options (ok is false for the other commands).
func argsOf(before []string) (names []string, ok bool) {
	switch before[0] {
	case "help":
		if len(before) > 1 {
			return nil, true
		}
		return commandNames(), true
	case "completion":
		if len(before) > 1 {
			return nil, true
		}
		return completionShells, true
	case "schedule":
		if len(before) == 1 {
			return scheduleSubcommands, true
		}
	}
	return nil, false
}

// takeHome sets a's home from a --home among the words before, so that
// the values listed are those of that home's archive.
func (a *app) takeHome(before []string) {
	for i, w := range before {
		if (w == "--home" || w == "-home") && i+1 < len(before) {
			a.home = before[i+1]
		} else if v, ok := strings.CutPrefix(strings.TrimLeft(w, "-"), "home="); ok && strings.HasPrefix(w, "-") {
			a.home = v
		}
	}
}

// optionValues lists the values of the option being completed: the word
// after an option that takes a value, or the part after "--name=" (ok is
// false when cur is no option's value).
func (a *app) optionValues(ctx context.Context, flags map[string]*flag.Flag, before []string, cur string) (values []string, ok bool) {
	if prev := before[len(before)-1]; len(before) > 1 && strings.HasPrefix(prev, "-") && !strings.Contains(prev, "=") {
		if f := flags[strings.TrimLeft(prev, "-")]; f != nil && !isBoolFlag(f) {
			return a.valuesOf(ctx, f.Name), true
		}
	}
	if name, value, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); strings.HasPrefix(cur, "-") && ok {
		if f := flags[name]; f != nil && !isBoolFlag(f) {
			prefix := cur[:len(cur)-len(value)]
			var out []string
			for _, v := range a.valuesOf(ctx, f.Name) {
				out = append(out, prefix+v)
			}
			return out, true
		}
	}
	return nil, false
}

// flagNames lists the options, "-x" for a one-letter name, else "--name".
func flagNames(flags map[string]*flag.Flag) []string {
	var out []string
	for name := range flags {
		if len(name) == 1 {
			out = append(out, "-"+name)
		} else {
			out = append(out, "--"+name)
		}
	}
	slices.Sort(out)
	return out
}

// commandFlags lists c's options by name, as c itself defines them: it
// runs c in a mode where parsing its flags stops before any work.
func commandFlags(ctx context.Context, c command) map[string]*flag.Flag {
	probe := newApp(IO{})
	probe.cmd = c
	out := map[string]*flag.Flag{}
	probe.listFlags = func(f *flag.Flag) { out[f.Name] = f }
	c.run(ctx, probe, nil)
	return out
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// takesAccount reports whether c's first argument is an ACCOUNT, as its
// usage line says ("fedimarks export [ACCOUNT] ...").
func takesAccount(c command) bool {
	return accountArg.MatchString(strings.SplitN(c.usage, "\n", 2)[0])
}

var accountArg = regexp.MustCompile(`^Usage: fedimarks \S+ \[?ACCOUNT\b`)

// valuesOf lists the values an option takes, where they are known.
func (a *app) valuesOf(ctx context.Context, name string) []string {
	switch name {
	case "format":
		return formats.Names()
	case "from", "to", "account":
		return a.accountNames(ctx)
	case "target":
		return scheduleTargets()
	case "every":
		return strings.Split(schedule.PeriodsText(), ", ")
	}
	return nil // a file, a folder, an address, a number: the shell's own completion
}

// accountNames lists the saved and archived accounts. It never creates
// an archive: with none, there is no name to offer.
func (a *app) accountNames(ctx context.Context) []string {
	p, err := a.paths()
	if err != nil {
		return nil
	}
	if _, err := os.Stat(p.Archive); err != nil {
		return nil
	}
	ar, err := sqlite.Open(ctx, p.Archive)
	if err != nil {
		return nil
	}
	defer ar.Close()
	var names []string
	if accs, err := ar.Accounts(ctx); err == nil {
		for _, acc := range accs {
			names = append(names, string(acc.Handle))
		}
	}
	if hs, err := ar.ArchivedAccounts(ctx); err == nil {
		for _, h := range hs {
			names = append(names, string(h))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// The scripts. Each passes the words before the cursor and the word being
// completed to `fedimarks __complete` and offers what it prints, or file
// names when it prints nothing.

const bashCompletion = `# bash completion for fedimarks (fedimarks completion bash)
_fedimarks() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words
    read -r -a words <<< "$line"
    local n=$(( ${#words[@]} - 1 )) cur=""
    if [[ ! "$line" =~ [[:space:]]$ ]]; then
        n=$(( n - 1 ))
        cur="${words[${#words[@]}-1]}"
    fi
    (( n < 0 )) && return
    local IFS=$'\n'
    local -a cands
    cands=($("${words[0]}" __complete "$n" "${words[@]:1}" 2>/dev/null))
    # bash replaces only the part of the word after its last : or = (see
    # COMP_WORDBREAKS): offer that part of each candidate.
    local head=""
    [[ "$cur" == *[:=]* ]] && head="${cur%"${cur##*[:=]}"}"
    COMPREPLY=()
    local c
    for c in "${cands[@]}"; do
        COMPREPLY+=("${c#"$head"}")
    done
}
complete -o default -F _fedimarks fedimarks
`

const zshCompletion = `#compdef fedimarks
# zsh completion for fedimarks (fedimarks completion zsh)
_fedimarks() {
    local -a cands
    cands=("${(@f)$(${words[1]} __complete $(( CURRENT - 2 )) "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    cands=(${cands:#})
    if (( ${#cands} == 0 )); then
        _files
        return
    fi
    compadd -- "${cands[@]}"
}
if (( $+functions[compdef] )); then
    compdef _fedimarks fedimarks
fi
`

const fishCompletion = `# fish completion for fedimarks (fedimarks completion fish)
function __fedimarks_complete
    set -l before (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($before[1] __complete (math (count $before) - 1) $before[2..-1] $cur 2>/dev/null)
    if test (count $out) -eq 0
        __fish_complete_path $cur
    else
        printf '%s\n' $out
    end
end
complete -c fedimarks -f -a '(__fedimarks_complete)'
`

const powershellCompletion = `# PowerShell completion for fedimarks (fedimarks completion powershell)
Register-ArgumentCompleter -Native -CommandName fedimarks, fedimarks.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $elements = @($commandAst.CommandElements | Where-Object { $_.Extent.StartOffset -lt $cursorPosition })
    $exe = $elements[0].ToString()
    $words = @($elements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
    if ($wordToComplete -ne '' -and $words.Count -gt 0) {
        $before = @($words | Select-Object -First ($words.Count - 1))
        $n = $before.Count
        $out = & $exe __complete $n @before $wordToComplete 2>$null
    } else {
        $n = $words.Count
        $out = & $exe __complete $n @words 2>$null
    }
    if (-not $out) {
        Get-ChildItem -Path "$wordToComplete*" -ErrorAction SilentlyContinue |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_.Name, $_.Name, 'ProviderItem', $_.Name) }
        return
    }
    $out | ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`
