package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
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
func (a *app) parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(a.stdout, strings.TrimRight(a.cmd.usage, "\n")+"\n")
				return nil, errHelp
			}
			return nil, usageError("%s: %v", fs.Name(), err)
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
