package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/remote"
	"github.com/fedimarks/fedimarks/internal/secrets"
	"github.com/fedimarks/fedimarks/internal/sqlite"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// app holds one run's wiring. Everything that touches disk or network is
// made on first use, so `--help` opens no database and reads no token.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// errOut is the real standard error; stderr holds back under
	// --quiet (see holdWriter).
	errOut  io.Writer
	io      IO
	cmd     command
	started time.Time
	quiet   bool
	hold    *holdWriter // set under --quiet
	// noRetries makes the clients give up at the first failure (login:
	// a person waits, and nothing is lost).
	noRetries bool
	// listFlags, when set, is given each option of the command instead of
	// parsing the command line (shell completion).
	listFlags func(*flag.Flag)

	// jobArchive opens the archive with a small page cache (see
	// sqlite.OpenForJob): set by a command that goes through a job's rows.
	jobArchive bool

	// factory builds the archive and the secret store on first use; the
	// page's jobs share the serve run's (see factory.go).
	*factory
	settings *settings // read on first use

	mu      sync.Mutex
	tokens  []string                        // secrets read this run, blanked from any message
	clients []interface{ Requests() int64 } // every client made this run (see track)

	// onWait, when set, hears each wait of a client of at least a second
	// (sync --json's waiting events).
	onWait func(host string, d time.Duration, why string)

	sched *scheduledRun // set when a schedule started this run

	// onProgress, when set, hears each progress display the run makes,
	// and onJob the import job it journals in (a job started from the
	// web page: see jobService).
	onProgress func(*ui.Progress)
	onJob      func(id int64)
}

func newApp(stdio IO) *app {
	if stdio.Stdin == nil {
		stdio.Stdin = strings.NewReader("")
	}
	if stdio.Stdout == nil {
		stdio.Stdout = io.Discard
	}
	if stdio.Stderr == nil {
		stdio.Stderr = io.Discard
	}
	if stdio.Getenv == nil {
		stdio.Getenv = func(string) string { return "" }
	}
	if stdio.Now == nil {
		stdio.Now = time.Now
	}
	return &app{stdin: stdio.Stdin, stdout: stdio.Stdout, stderr: stdio.Stderr, errOut: stdio.Stderr, io: stdio, started: stdio.Now(),
		factory: &factory{getenv: stdio.Getenv}}
}

func (a *app) close() {
	if a.archive != nil {
		a.archive.Close()
	}
}

func (a *app) now() time.Time { return a.io.Now() }

// paths says where fedimarks keeps its state.
type paths struct {
	Config  string // accounts' tokens when no keyring (0700)
	Data    string // the archive and media
	Archive string
	Tokens  string
	Media   string
}

// paths follows --home or $FEDIMARKS_HOME when set, else the platform's
// config and data directories (XDG on Linux).
func (f *factory) paths() (paths, error) {
	var p paths
	home, what := f.home, "--home"
	if home == "" {
		home, what = f.getenv("FEDIMARKS_HOME"), "FEDIMARKS_HOME"
	}
	if home != "" {
		abs, err := filepath.Abs(home)
		if err != nil {
			return p, fmt.Errorf("%s: %w", what, err)
		}
		p.Config, p.Data = abs, abs
	} else {
		cfg := f.getenv("XDG_CONFIG_HOME")
		data := f.getenv("XDG_DATA_HOME")
		userHome := f.getenv("HOME")
		if userHome == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return p, fmt.Errorf("no home directory: set FEDIMARKS_HOME")
			}
			userHome = h
		}
		switch runtime.GOOS {
		case "darwin":
			cfg = filepath.Join(userHome, "Library", "Application Support")
			data = cfg
		case "windows":
			if cfg = f.getenv("AppData"); cfg == "" {
				return p, fmt.Errorf("%%AppData%% is not set: set FEDIMARKS_HOME")
			}
			data = cfg
		default:
			if cfg == "" {
				cfg = filepath.Join(userHome, ".config")
			}
			if data == "" {
				data = filepath.Join(userHome, ".local", "share")
			}
		}
		p.Config, p.Data = filepath.Join(cfg, "fedimarks"), filepath.Join(data, "fedimarks")
	}
	p.Archive = filepath.Join(p.Data, "archive.db")
	p.Tokens = filepath.Join(p.Config, "tokens")
	p.Media = filepath.Join(p.Data, "media")
	return p, nil
}

// openArchive opens the archive once per run (the factory's, shared
// with the run's jobs).
func (a *app) openArchive(ctx context.Context) (*sqlite.Archive, error) {
	a.factory.mu.Lock()
	defer a.factory.mu.Unlock()
	if a.archive != nil {
		return a.archive, nil
	}
	p, err := a.paths()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p.Data, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	open := sqlite.Open
	if a.jobArchive {
		open = sqlite.OpenForJob
	}
	ar, err := open(ctx, p.Archive)
	if err != nil {
		return nil, fmt.Errorf("open archive %s: %w", p.Archive, err)
	}
	ar.Now = a.now // one clock for the whole command
	a.archive = ar
	a.showScheduledFailures(ctx, ar)
	return ar, nil
}

// secretStore is the keyring when one answers, else 0600 files.
// FEDIMARKS_KEYRING=off skips the keyring (tests, headless servers).
func (f *factory) secretStore(ctx context.Context) (secrets.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.secrets != nil {
		return f.secrets, nil
	}
	p, err := f.paths()
	if err != nil {
		return nil, err
	}
	useKeyring := f.getenv("FEDIMARKS_KEYRING") != "off"
	f.secrets = secrets.Open(ctx, p.Tokens, useKeyring, 2*time.Second)
	return f.secrets, nil
}

// token reads the saved token of account h.
func (a *app) token(ctx context.Context, h fedimarks.Handle) (string, error) {
	st, err := a.secretStore(ctx)
	if err != nil {
		return "", err
	}
	tok, err := st.Get(ctx, string(h))
	if err != nil {
		target := h.Host()
		if ar, aerr := a.openArchive(ctx); aerr == nil {
			if acc, aerr := ar.Account(ctx, h); aerr == nil {
				target = loginArg(acc.Server)
			}
		}
		return "", withHint(&fedimarks.Error{Code: fedimarks.EAuth, Message: fmt.Sprintf("no token saved for %s", h), Err: err},
			situation{cmd: a.cmd.name, login: target})
	}
	a.remember(tok)
	return tok, nil
}

func (a *app) remember(secret string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(secret) >= 8 {
		a.tokens = append(a.tokens, secret)
	}
}

// redact blanks any secret of this run out of a message, also one with
// invisible characters or escape sequences inside: a last line of defence,
// since no code path should put one there.
func (a *app) redact(s string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fedimarks.Redact(s, a.tokens, "[token]")
}

// newClient makes a client for server with token ("" for unauthenticated
// calls), telling the user about every long wait: in shown (a progress
// display) when given, else in a line on stderr.
func (a *app) newClient(server, token string, shown waitShower) *mastodon.Client {
	return a.track(mastodon.New(a.clientOptions(server, token, shown)))
}

// clientOptions are newClient's options, for a caller that changes some.
func (a *app) clientOptions(server, token string, shown waitShower) mastodon.Options {
	if p, ok := shown.(*ui.Progress); ok && p == nil {
		shown = nil
	}
	if shown == nil {
		shown = a.newSlot(server)
	}
	retries := 0 // the client's default
	if a.noRetries {
		retries = -1
	}
	return mastodon.Options{
		Server:     server,
		Token:      token,
		HTTPClient: a.io.HTTPClient,
		UserAgent:  "fedimarks/" + version,
		Options: remote.Options{
			Now:        a.io.Now,
			Backoff:    a.io.Backoff,
			MaxRetries: retries,
			Sleep:      a.sleeper(shown),
			OnWait: func(e mastodon.WaitEvent) {
				if e.Duration >= time.Second {
					shown.Wait(e.Duration, waitWhy(e.Reason))
					if a.onWait != nil {
						a.onWait(fedimarks.HostOf(server), e.Duration, waitWhy(e.Reason))
					}
				}
			},
			OnNote: func(note string) {
				shown.Note("Warning: %s sends an %s", fedimarks.HostOf(server), note)
			},
		},
	}
}

// stdoutTTY reports whether stdout is a terminal (a person reads the
// data, not a program).
func (a *app) stdoutTTY() bool {
	if a.io.StdoutIsTerminal != nil {
		return *a.io.StdoutIsTerminal
	}
	return ui.IsTerminal(a.stdout)
}

// stderrTTY reports whether stderr is a terminal (progress bars only there).
func (a *app) stderrTTY() bool {
	if a.io.StderrIsTerminal != nil {
		return *a.io.StderrIsTerminal
	}
	return ui.IsTerminal(a.stderr)
}

func (a *app) stdinTTY() bool {
	if a.io.StdinIsTerminal != nil {
		return *a.io.StdinIsTerminal
	}
	f, ok := a.io.Stdin.(*os.File)
	return ok && ui.IsTerminal(f)
}

// plain reports whether the person asked for plain output even on a
// terminal: NO_COLOR set and not empty (no-color.org), or TERM=dumb. Then
// no escape codes and no bars redrawn in place, only plain lines.
func (a *app) plain() bool {
	return a.io.Getenv("NO_COLOR") != "" || a.io.Getenv("TERM") == "dumb"
}

// progress is a display (see display) of a label, a total and a unit.
func (a *app) progress(label string, total int64, unit string) *ui.Progress {
	return a.display(ui.ProgressOptions{Label: label, Total: total, Unit: unit})
}

// watch hands p to onProgress, if set, and returns it.
func (a *app) watch(p *ui.Progress) *ui.Progress {
	if a.onProgress != nil {
		a.onProgress(p)
	}
	return p
}
