// Package cli is fedimarks' command tree and wiring: the only package that
// knows flags, environment variables, files on disk and which concrete
// adapters serve which engine.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
)

// Exit codes, documented in every command's help and in the README.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitPartial     = 3
	ExitAuth        = 4
	ExitInterrupted = 130
)

const exitCodesHelp = `Exit codes: 0 done; 1 error; 2 usage or invalid input; 3 finished but some
items failed (report written); 4 authentication (log in again); 130 interrupted
(run the same command again to resume).`

// exitMeaning is what each exit code means, for help texts.
var exitMeaning = map[int]string{
	ExitOK:          "done",
	ExitError:       "error",
	ExitUsage:       "usage or invalid input",
	ExitPartial:     "finished but some items failed (report written)",
	ExitAuth:        "authentication (log in again)",
	ExitInterrupted: "interrupted (run the same command again to resume)",
}

// exitCodesFor is the "Exit codes:" paragraph of a command's help that
// lists only the codes the command can return, in order, wrapped at 80
// columns.
func exitCodesFor(codes ...int) string {
	words := strings.Fields("Exit codes:")
	for i, c := range codes {
		sep := ";"
		if i == len(codes)-1 {
			sep = "."
		}
		words = append(words, strings.Fields(fmt.Sprintf("%d %s%s", c, exitMeaning[c], sep))...)
	}
	var b strings.Builder
	line := 0
	for i, w := range words {
		if i > 0 {
			if line+1+len(w) > 79 {
				b.WriteByte('\n')
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// localExitCodes are those of commands that only read or write here (no
// server, so no authentication failure, nothing partial).
var localExitCodes = exitCodesFor(ExitOK, ExitError, ExitUsage, ExitInterrupted)

// serverExitCodes are those of commands that talk to one server for one
// thing: it may refuse the token, nothing is left half done.
var serverExitCodes = exitCodesFor(ExitOK, ExitError, ExitUsage, ExitAuth, ExitInterrupted)

// IO is what a run of the tool talks to. Tests fill it with buffers and a
// fake environment; main fills it with the process's own.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (nil: an empty environment).
	Getenv func(string) string
	// HTTPClient, when set, is used for every request (tests).
	HTTPClient *http.Client
	// OpenBrowser opens a URL in the user's browser; nil uses the
	// platform's opener. Tests pass a stand-in that follows the URL.
	OpenBrowser func(url string) error
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// StdinIsTerminal, StdoutIsTerminal and StderrIsTerminal override
	// TTY detection (tests); nil detects.
	StdinIsTerminal, StdoutIsTerminal, StderrIsTerminal *bool
	// Backoff is the first retry delay of the HTTP client (0: its default
	// of one second). Tests shorten it.
	Backoff time.Duration
	// Sleep, when set, is how the HTTP clients wait (rate limits,
	// retries): tests pass one that moves a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Runner runs the system's scheduling commands (systemctl, launchctl,
	// schtasks, crontab); nil runs them. Tests pass a fake.
	Runner Runner
	// Executable returns the running program's path (nil: os.Executable),
	// which a schedule runs.
	Executable func() (string, error)
	// SoleConsole overrides, on Windows, whether this process's console
	// is its own alone (a double-clicked program; see doubleClicked).
	SoleConsole *bool
}

// command is one verb of the tool.
type command struct {
	name    string
	summary string
	usage   string // full help text, printed by `fedimarks help VERB` and -h
	run     func(ctx context.Context, a *app, args []string) error
}

// commands is the command table, in the order help lists them.
func commands() []command {
	return []command{
		demoCommand(),
		loginCommand(),
		accountsCommand(),
		logoutCommand(),
		backupCommand(),
		exportCommand(),
		importCommand(),
		migrateCommand(),
		syncCommand(),
		verifyCommand(),
		searchCommand(),
		tagCommand(),
		noteCommand(),
		tagsCommand(),
		serveCommand(),
		statusCommand(),
		scheduleCommand(),
		completionCommand(),
		manCommand(),
	}
}

// Main runs the tool with args (without the program name) and returns the
// exit code. It never calls os.Exit.
func Main(ctx context.Context, args []string, stdio IO) int {
	a := newApp(stdio)
	defer a.close()
	a.sched = a.beginScheduled(args)
	err := a.dispatch(ctx, args)
	code := a.report(ctx, err)
	a.sched.end(ctx, code, err)
	return code
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	// -q and --home DIR may come before the command too: fedimarks -q
	// backup, fedimarks --home DIR accounts.
	args, err := a.leadingOptions(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return a.noCommand(ctx)
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		if len(args) > 1 {
			if c, ok := findCommand(args[1]); ok {
				fmt.Fprint(a.stdout, c.helpText())
				return nil
			}
			return unknownCommand(args[1])
		}
		a.printHelp(a.stdout)
		return nil
	case completeCommand:
		runComplete(ctx, a, args[1:])
		return nil
	case "version", "--version":
		fmt.Fprintln(a.stdout, readBuildInfo())
		return nil
	}
	c, ok := findCommand(name)
	if !ok {
		return unknownCommand(name)
	}
	a.cmd = c
	return c.run(ctx, a, args[1:])
}

// leadingOptions takes the options every command has (-q/--quiet,
// --home DIR or --home=DIR) off the front of args, before the command's
// name, and returns the rest.
func (a *app) leadingOptions(args []string) ([]string, error) {
	for len(args) > 0 {
		switch arg := args[0]; {
		case arg == "-q" || arg == "--quiet":
			a.beQuiet()
			args = args[1:]
		case arg == "--home" || arg == "-home":
			if len(args) < 2 || args[1] == "" {
				return nil, usageError("%s needs a folder: fedimarks --home DIR COMMAND", arg)
			}
			a.home, args = args[1], args[2:]
		case strings.HasPrefix(arg, "--home=") || strings.HasPrefix(arg, "-home="):
			_, a.home, _ = strings.Cut(arg, "=")
			args = args[1:]
		default:
			return args, nil
		}
	}
	return args, nil
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func (a *app) printHelp(w io.Writer) {
	fmt.Fprint(w, `fedimarks keeps your fediverse bookmarks: backs them up, exports them,
and moves them to another account.

Usage: fedimarks COMMAND [ARGS]

Commands:
`)
	cs := commands()
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'fedimarks help COMMAND' for a command's options, 'fedimarks --version'
for this build's version, commit, Go version and platform. Every command takes
-q/--quiet: nothing on standard error unless something failed (backup: or
changed the archive). backup, export, import, migrate and verify take --json:
one summary object for scripts.
State lives in $FEDIMARKS_HOME when set (or in DIR, given --home DIR to any
command, before or after its name), else in your config and data directories ('fedimarks accounts'
says where).

`+exitCodesHelp+"\n")
}

// errUsage marks a mistake in the command line, or (fact) input that
// names what is not there, such as an account not saved: exit 2 both.
type errUsage struct {
	msg string
	// fact: not a mistake in the flags or arguments but a fact with its
	// own next command, so no pointer to the command's usage follows.
	fact bool
}

func (e *errUsage) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return &errUsage{msg: fmt.Sprintf(format, args...)}
}

// factError is the usage error (exit 2) for input naming what is not
// there (no saved account, an empty archive): its message says the next
// command, and no usage pointer follows.
func factError(format string, args ...any) error {
	return &errUsage{msg: fmt.Sprintf(format, args...), fact: true}
}

// report prints err for a person (one line, on stderr) and maps it to an
// exit code. It is the only place that does either.
func (a *app) report(ctx context.Context, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	// Errors that reach here without a next step (a lock another process
	// holds, a backup stopped at a link) get the one the table writes.
	err = withHint(err, situation{cmd: a.cmd.name})
	code, msg := classify(ctx, err)
	if a.cmd.name == "login" && code == ExitInterrupted {
		msg = "login cancelled" // nothing to resume
	}
	a.speak()
	if msg != "" {
		// Messages carry servers' text: one clean line, whatever it held.
		fmt.Fprintln(a.errOut, "fedimarks:", cleanText(a.redact(msg)))
	}
	var u *errUsage
	if errors.As(err, &u) && a.cmd.name != "" && !u.fact {
		fmt.Fprintf(a.errOut, "Run 'fedimarks help %s' for usage.\n", a.cmd.name)
	}
	return code
}

// classify maps err to an exit code and its one-line message. Messages
// for a server's refusals are written where the request is made
// (app.apiError); a refused credential that did not pass there still
// exits as an authentication failure.
func classify(ctx context.Context, err error) (int, string) {
	var x *exitError
	if errors.As(err, &x) {
		return x.code, x.msg
	}
	var u *errUsage
	if errors.As(err, &u) {
		return ExitUsage, u.msg
	}
	var fe *fedimarks.Error
	if errors.As(err, &fe) && fe.Code == fedimarks.EInterrupted {
		return ExitInterrupted, err.Error()
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return ExitInterrupted, "interrupted; run the same command again to resume"
	}
	if k := fedimarks.ErrorKind(err); k == fedimarks.KindAuth || k == fedimarks.KindAppUnknown {
		return ExitAuth, err.Error()
	}
	if errors.As(err, &fe) {
		switch fe.Code {
		case fedimarks.EAuth, fedimarks.EScope:
			return ExitAuth, err.Error()
		case fedimarks.EInvalid:
			return ExitUsage, err.Error()
		case fedimarks.EPartial:
			return ExitPartial, err.Error()
		}
	}
	return ExitError, err.Error()
}

// unknownCommand is the usage error for a command name fedimarks does not
// have (typed alone or after help), with the nearest name when one is close.
func unknownCommand(name string) error {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if near := nearest(name, names); near != "" {
		return usageError("unknown command %q: did you mean %q? (run: fedimarks help)", name, near)
	}
	return usageError("unknown command %q (run: fedimarks help)", name)
}
