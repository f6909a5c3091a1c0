package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// terminal is the person at this run's terminal and browser, as a
// sign-in flow asks them: an oauth.Prompter.
type terminal struct {
	a    *app
	open func(string) error // nil: no browser is opened
}

// terminal returns the prompter of a sign-in; with noBrowser it opens no
// browser.
func (a *app) terminal(noBrowser bool) terminal {
	t := terminal{a: a}
	if !noBrowser {
		t.open = a.browserOpener()
	}
	return t
}

// Say writes line on stderr, with no secret of this run and no control
// character in it.
func (t terminal) Say(line string) {
	fmt.Fprintln(t.a.stderr, fedimarks.CleanLines(t.a.redact(line)))
}

// CanOpenBrowser reports whether a browser is to be opened.
func (t terminal) CanOpenBrowser() bool { return t.open != nil }

// OpenBrowser opens u in the person's browser.
func (t terminal) OpenBrowser(u string) error {
	if t.open == nil {
		return errors.New("no browser can be opened here")
	}
	return t.open(u)
}

// ReadCode shows prompt and reads the code pasted on stdin, giving up
// after browserWait.
func (t terminal) ReadCode(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(t.a.stderr, prompt)
	code, err := readCode(ctx, t.a.stdin, browserWait)
	if !t.a.stdinTTY() {
		fmt.Fprintln(t.a.stderr) // a terminal echoed the person's newline
	}
	return code, err
}

// readCode reads the pasted authorization code from in, giving up when d
// passes or ctx ends.
func readCode(ctx context.Context, in io.Reader, d time.Duration) (string, error) {
	code, _, err := readLine(ctx, in, d)
	if err != nil {
		return "", err
	}
	if code == "" {
		return "", usageError("no authorization code on standard input")
	}
	if strings.ContainsAny(code, " \t") {
		return "", usageError("that does not look like an authorization code")
	}
	return code, nil
}

// readLine reads one line from in, trimmed, giving up when d passes or
// ctx ends; ended says the input ended before a newline.
func readLine(ctx context.Context, in io.Reader, d time.Duration) (s string, ended bool, err error) {
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1) // buffered: an abandoned read does not block forever
	go func() {
		var b strings.Builder
		buf := make([]byte, 1)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				if buf[0] == '\n' {
					ch <- line{s: b.String()}
					return
				}
				if b.Len() < 4096 {
					b.WriteByte(buf[0])
				}
			}
			if err != nil {
				ch <- line{s: b.String(), err: err}
				return
			}
		}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case l := <-ch:
		return strings.TrimSpace(l.s), l.err != nil, nil
	case <-ctx.Done():
		return "", false, ctx.Err()
	case <-t.C:
		return "", false, &fedimarks.Error{Code: fedimarks.EAuth,
			Message: fmt.Sprintf("no code was pasted within %s", ui.Duration(d)), Hint: "run fedimarks login again"}
	}
}

// browserOpener returns the function that opens a URL in the person's
// browser, or nil when none can be opened here (no display: an SSH
// session, a server).
func (a *app) browserOpener() func(string) error {
	if a.io.OpenBrowser != nil {
		return a.io.OpenBrowser
	}
	return systemOpener(a.io.Getenv, runtime.GOOS)
}

// systemOpener finds the platform's opener: $BROWSER, else open (macOS),
// rundll32 (Windows) or xdg-open (elsewhere, only with a display). The URL
// it is given is an authorize address, which holds no secret, so passing
// it as an argument is safe.
func systemOpener(getenv func(string) string, goos string) func(string) error {
	var name string
	var args []string
	if b := strings.TrimSpace(getenv("BROWSER")); b != "" {
		first, _, _ := strings.Cut(b, string(listSeparator(goos)))
		fields := strings.Fields(first)
		if len(fields) == 0 {
			return nil
		}
		name, args = fields[0], fields[1:]
	} else {
		switch goos {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
		default:
			if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
				return nil
			}
			name = "xdg-open"
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil
	}
	return func(u string) error {
		cmd := exec.Command(path, append(slices.Clone(args), u)...)
		if err := cmd.Start(); err != nil {
			return err
		}
		go cmd.Wait() // reap it; some openers live as long as the browser
		return nil
	}
}

func listSeparator(goos string) rune {
	if goos == "windows" {
		return ';'
	}
	return ':'
}
