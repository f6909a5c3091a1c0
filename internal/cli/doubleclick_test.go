package cli

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The rule that tells a double-clicked program from one run in a
// terminal or a script.
func TestDoubleClickedRule(t *testing.T) {
	yes, no := true, false
	opener := func(string) error { return nil }
	for _, c := range []struct {
		why                   string
		goos                  string
		stdin, stdout, stderr bool
		open                  func(string) error
		display, sole         string
		want                  bool
	}{
		{"file manager, a display", "linux", false, false, false, nil, ":0", "", true},
		{"a browser opener given", "linux", false, false, false, opener, "", "", true},
		{"typed in a terminal", "linux", true, true, true, opener, ":0", "", false},
		{"terminal, input piped", "linux", false, true, true, opener, ":0", "", false},
		{"terminal, output piped", "linux", true, false, false, opener, ":0", "", false},
		{"a script or CI: no display", "linux", false, false, false, nil, "", "", false},
		{"Explorer: the console is its own", "windows", true, true, true, nil, "", "yes", true},
		{"cmd.exe shares the console", "windows", true, true, true, nil, "", "no", false},
		{"cmd.exe, all redirected", "windows", false, false, false, opener, "", "no", false},
	} {
		env := map[string]string{"DISPLAY": c.display, "PATH": "/usr/bin:/bin"}
		stdio := IO{Getenv: func(k string) string { return env[k] }, OpenBrowser: c.open,
			StdinIsTerminal: &c.stdin, StdoutIsTerminal: &c.stdout, StderrIsTerminal: &c.stderr}
		switch c.sole {
		case "yes":
			stdio.SoleConsole = &yes
		case "no":
			stdio.SoleConsole = &no
		}
		a := newApp(stdio)
		if c.display != "" && c.open == nil && a.browserOpener() == nil {
			t.Logf("%s: no xdg-open here; the case tests nothing", c.why)
			continue
		}
		if got := a.doubleClicked(c.goos); got != c.want {
			t.Errorf("%s: doubleClicked = %v, want %v", c.why, got, c.want)
		}
	}
}

// A double-clicked fedimarks serves its page and opens it: the accounts
// page, since the archive is empty. In a terminal, `fedimarks` prints the
// help and how to open the page.
func TestDoubleClickedOpensPage(t *testing.T) {
	home := newHome(t)
	r := runToolWith(t, nil, home, "", func(io *IO) {
		yes := true
		io.StdinIsTerminal, io.StdoutIsTerminal, io.StderrIsTerminal = &yes, &yes, &yes
	})
	if r.code != ExitUsage || !strings.Contains(r.stderr, "Commands:") || !strings.Contains(r.stderr, "run: fedimarks serve --open") {
		t.Errorf("fedimarks in a terminal: exit %d\n%s", r.code, r.stderr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pages := make(chan string, 1)
	r = runToolWith(t, ctx, home, "", func(stdio *IO) {
		no := false
		stdio.StdoutIsTerminal = &no
		// A browser comes up on its own, and leaves: the page is served
		// once the opener returns.
		stdio.OpenBrowser = func(u string) error {
			go func() {
				defer cancel() // then stop serving: the test is done
				c := &http.Client{Timeout: 20 * time.Second}
				resp, err := c.Get(u)
				if err != nil {
					pages <- err.Error()
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				pages <- resp.Request.URL.Path + "\n" + string(b)
			}()
			return nil
		}
	})
	page := <-pages
	if r.code != ExitOK || !strings.Contains(r.stderr, "serving its page and opening it in your browser") {
		t.Errorf("double-clicked: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.HasPrefix(page, "/accounts\n") || !strings.Contains(page, "Add an account") {
		t.Errorf("the browser opened:\n%s", page)
	}
}
