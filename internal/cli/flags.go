package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// newFlags makes a flag set for a command whose -h prints usage.
func newFlags(c command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// errHelp is returned when -h was asked for: usage already printed.
var errHelp = errors.New("help shown")

// parseFlags parses args allowing flags after positional arguments
// (`fedimarks import a.csv --to bob@host`), returns the positional ones.
// Every command takes -q/--quiet (see app.beQuiet), and --home DIR, which
// keeps state in DIR as $FEDIMARKS_HOME does (unless the command gives
// --home its own meaning).
func (a *app) parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	quiet := a.quiet
	fs.BoolVar(&quiet, "q", quiet, "nothing on stderr unless something failed")
	fs.BoolVar(&quiet, "quiet", quiet, "nothing on stderr unless something failed")
	defer func() {
		if quiet {
			a.beQuiet()
		}
	}()
	if fs.Lookup("home") == nil {
		fs.StringVar(&a.home, "home", a.home, "keep the archive and tokens in `DIR` (as FEDIMARKS_HOME)")
	}
	if a.listFlags != nil { // shell completion asks which options there are
		fs.VisitAll(a.listFlags)
		return nil, errHelp
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(a.stdout, a.cmd.helpText())
				return nil, errHelp
			}
			if hint := dashWord(fs.Name(), pos, args, err); hint != "" {
				return nil, usageError("%s: %s", fs.Name(), hint)
			}
			return nil, usageError("%s: %s", fs.Name(), flagMessage(fs, err))
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			// The flag package ate a "--": all that follows is positional
			// (`fedimarks search -- -word`).
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// dashWord says how to search for -word, which search's help offers
// (leave out the posts with word) and the flag package took for an
// unknown option typed with one dash: the words after --. "" for any
// other error or command.
func dashWord(cmd string, pos, args []string, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if cmd != "search" || !ok || !slices.Contains(args, "-"+name) {
		return ""
	}
	words := append(slices.Clone(pos), "-"+name)
	return fmt.Sprintf("-%s is read as an option; to leave out the posts with %s, put the words after --: fedimarks search -- %s",
		name, name, shellJoin(words))
}

// flagMessage rewords the flag package's errors for a person, with the
// nearest known flag when one was mistyped.
func flagMessage(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		out := "unknown option --" + name
		if near := nearest(name, known); near != "" {
			out += " (did you mean --" + near + "?)"
		}
		return out
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "option --" + name + " needs a value"
	}
	return strings.ReplaceAll(msg, "flag -", "option --")
}

// nearest returns the candidate closest to s by edit distance, if close
// enough to be a typo ("" otherwise).
func nearest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
