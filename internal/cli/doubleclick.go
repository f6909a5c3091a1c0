package cli

import (
	"context"
	"fmt"
	"runtime"
)

// defaultServeAddr is where serve listens unless --addr says otherwise.
const defaultServeAddr = "127.0.0.1:8080"

// doubleClicked reports whether this run was started without a command by
// someone who cannot type one: the program was double-clicked. Then it
// serves the page and opens it in the browser (runDoubleClicked) rather
// than printing help nobody reads.
//
// The rule, with goos the system's name:
//   - Windows: the console belongs to this process alone. Explorer gives a
//     double-clicked console program a console of its own, which closes
//     when it ends; started from cmd.exe or PowerShell, the shell shares
//     it.
//   - elsewhere: none of standard input, output and error is a terminal
//     (a file manager starts it so; from a terminal at least one is, and a
//     script redirecting all three still gets help when nothing can open
//     a browser) and a browser can be opened here (a display on Linux).
//     macOS's Finder opens a Terminal window for a program: there the
//     person sees the help, which ends with the command that opens the page.
func (a *app) doubleClicked(goos string) bool {
	if goos == "windows" {
		if a.io.SoleConsole != nil {
			return *a.io.SoleConsole
		}
		return soleConsole()
	}
	return !a.stdinTTY() && !a.stdoutTTY() && !a.stderrTTY() && a.browserOpener() != nil
}

// noCommand is a run without a command: the page for a double-clicked
// program, else the help and how to open the page.
func (a *app) noCommand(ctx context.Context) error {
	if a.doubleClicked(runtime.GOOS) {
		a.cmd = serveCommand()
		fmt.Fprintln(a.stderr, "fedimarks was started without a command: serving its page and opening it in your browser.")
		o := serveOptionsOf(a)
		o.addr, o.open, o.anyPort = defaultServeAddr, true, true
		return runServe(ctx, o)
	}
	a.printHelp(a.stderr)
	fmt.Fprintln(a.stderr, "To do all of this in your browser instead, run: fedimarks serve --open")
	return usageError("no command given")
}
