package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/fedimarks/fedimarks/internal/schedule"
)

// fakeSystem stands in for systemctl, loginctl, launchctl, schtasks and
// crontab, as far as `fedimarks schedule` uses them: it keeps what each
// has been told, and changes the disk where the real one does (systemctl
// enable links the timer into timers.target.wants).
type fakeSystem struct {
	mu    sync.Mutex
	calls []string
	// noSystemd makes `systemctl --user show-environment` fail, as where
	// no user systemd runs.
	noSystemd bool
	// fail makes the command starting with this text fail.
	fail string
	// enabled are systemd timers enabled, loaded launchd labels, tasks
	// created (name to XML).
	enabled map[string]bool
	loaded  map[string]bool
	tasks   map[string]string
	crontab string
	// unitDir is the systemd user unit directory.
	unitDir string
}

func newFakeSystem() *fakeSystem {
	return &fakeSystem{enabled: map[string]bool{}, loaded: map[string]bool{}, tasks: map[string]string{}}
}

func (f *fakeSystem) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeSystem) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := strings.Join(append([]string{name}, args...), " ")
	f.calls = append(f.calls, line)
	failed := errors.New("exit status 1")
	if f.fail != "" && strings.HasPrefix(line, f.fail) {
		return []byte("Failed to connect to bus: No medium found\n"), failed
	}
	switch name {
	case "systemctl":
		return f.systemctl(args)
	case "loginctl":
		return []byte("no\n"), nil
	case "launchctl":
		switch args[0] {
		case "bootstrap":
			if _, err := os.Stat(args[2]); err != nil {
				return []byte("Bootstrap failed: 2: No such file or directory\n"), failed
			}
			f.loaded[schedule.Label] = true
			return nil, nil
		case "bootout":
			delete(f.loaded, schedule.Label)
			return nil, nil
		case "print":
			if f.loaded[schedule.Label] {
				return []byte("state = not running\n"), nil
			}
			return []byte("Could not find service\n"), failed
		}
	case "schtasks":
		switch args[0] {
		case "/Create":
			b, err := os.ReadFile(args[4])
			if err != nil || len(b) < 2 || b[0] != 0xff || b[1] != 0xfe {
				return []byte("ERROR: The task XML is malformed.\n"), failed
			}
			u := make([]uint16, 0, len(b)/2)
			for i := 2; i+1 < len(b); i += 2 {
				u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
			}
			f.tasks[args[2]] = string(utf16.Decode(u))
			return []byte("SUCCESS: The scheduled task \"" + args[2] + "\" has successfully been created.\n"), nil
		case "/Delete":
			delete(f.tasks, args[2])
			return nil, nil
		case "/Query":
			if _, ok := f.tasks[args[2]]; ok {
				return []byte("fedimarks-backup  N/A  Ready\n"), nil
			}
			return []byte("ERROR: The system cannot find the file specified.\n"), failed
		}
	case "crontab":
		return []byte(f.crontab), nil
	}
	return nil, fmt.Errorf("fake system: %s: %w", line, exec.ErrNotFound)
}

func (f *fakeSystem) systemctl(args []string) ([]byte, error) {
	if len(args) < 2 || args[0] != "--user" {
		return nil, fmt.Errorf("systemctl %v: not a user call", args)
	}
	if f.noSystemd {
		return []byte("Failed to connect to bus: No medium found\n"), errors.New("exit status 1")
	}
	switch args[1] {
	case "show-environment", "daemon-reload":
		return nil, nil
	case "enable", "disable":
		unit := args[len(args)-1]
		dir := f.unitDir
		wants := filepath.Join(dir, "timers.target.wants", unit)
		if args[1] == "enable" {
			if _, err := os.Stat(filepath.Join(dir, unit)); err != nil {
				return []byte("Failed to enable unit: Unit file " + unit + " does not exist.\n"), errors.New("exit status 1")
			}
			if err := os.MkdirAll(filepath.Dir(wants), 0o755); err != nil {
				return nil, err
			}
			if err := os.Symlink(filepath.Join(dir, unit), wants); err != nil {
				return nil, err
			}
			f.enabled[unit] = true
			return []byte("Created symlink " + wants + "\n"), nil
		}
		if _, err := os.Stat(filepath.Join(dir, unit)); err != nil {
			return []byte("Failed to disable unit: Unit file " + unit + " does not exist.\n"), errors.New("exit status 1")
		}
		os.Remove(wants) // and leaves timers.target.wants, as systemctl does
		delete(f.enabled, unit)
		return nil, nil
	case "is-enabled":
		if f.enabled[args[2]] {
			return []byte("enabled\n"), nil
		}
		return []byte("disabled\n"), errors.New("exit status 1")
	}
	return nil, fmt.Errorf("systemctl %v: unknown", args)
}

// schedEnv is a person's machine for the schedule tests: a home
// directory, a fedimarks home outside it, a program to schedule, a fake
// system and a clock.
type schedEnv struct {
	t        *testing.T
	userHome string
	home     string
	prog     string
	sys      *fakeSystem
	now      time.Time
	env      map[string]string
}

func newSchedEnv(t *testing.T) *schedEnv {
	t.Helper()
	dir := t.TempDir()
	e := &schedEnv{t: t, userHome: filepath.Join(dir, "user"), home: filepath.Join(dir, "fedimarks home"),
		prog: filepath.Join(dir, "bin", "fedimarks"), sys: newFakeSystem(),
		// A Tuesday, 10:00 local time (schedules are in local time).
		now: time.Date(2026, 3, 3, 10, 0, 0, 0, time.Local), env: map[string]string{}}
	for _, d := range []string{e.userHome, filepath.Dir(e.prog)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(e.prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.sys.unitDir = filepath.Join(e.userHome, ".config", "systemd", "user")
	return e
}

func (e *schedEnv) tweak(io *IO) {
	get := io.Getenv
	io.Getenv = func(k string) string {
		if v, ok := e.env[k]; ok {
			return v
		}
		if k == "HOME" {
			return e.userHome
		}
		return get(k)
	}
	io.Runner = e.sys
	io.Executable = func() (string, error) { return e.prog, nil }
	io.Now = func() time.Time { return e.now }
}

// run runs the tool on this machine and checks its exit code.
func (e *schedEnv) run(want int, args ...string) run {
	e.t.Helper()
	r := runToolWith(e.t, nil, e.home, "", e.tweak, args...)
	if r.code != want {
		e.t.Fatalf("fedimarks %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// tree lists every file, directory and link under dir with its content
// (a link's target), for comparing a machine before and after.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffTrees(before, after map[string]string) []string {
	var d []string
	for k := range after {
		if _, ok := before[k]; !ok {
			d = append(d, "left behind: "+k)
		}
	}
	for k, v := range before {
		if w, ok := after[k]; !ok {
			d = append(d, "removed: "+k)
		} else if w != v {
			d = append(d, "changed: "+k)
		}
	}
	slices.Sort(d)
	return d
}
