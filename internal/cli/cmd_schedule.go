package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/schedule"
)

// Runner runs a system command and returns what it printed (standard
// output and error together).
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// execRunner runs commands for real, each for at most a minute.
type execRunner struct{}

func (execRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// scheduleDeps are what the schedule subcommands use: the system's
// scheduler commands (runner), the environment, this program's path,
// where state lives, the archive, the clock and the terminal.
type scheduleDeps struct {
	runner     Runner
	getenv     func(string) string
	executable func() (string, error)
	paths      pathsFunc
	logPath    func() (string, error) // where scheduled runs log
	archive    archiveFunc
	now        func() time.Time
	dataOut    dataOutFunc
	errOut     io.Writer
}

// scheduleDeps are the schedule subcommands' dependencies, from a.
func (a *app) scheduleDeps() scheduleDeps {
	d := scheduleDeps{runner: a.io.Runner, getenv: a.io.Getenv, executable: a.io.Executable, paths: a.paths,
		logPath: a.scheduleLogPath, archive: a.openArchive, now: a.now, dataOut: a.dataOut, errOut: a.stderr}
	if d.runner == nil {
		d.runner = execRunner{}
	}
	if d.executable == nil {
		d.executable = os.Executable
	}
	return d
}

// runCmd runs argv, its failure an error that names the command and
// quotes what it said.
func (d scheduleDeps) runCmd(ctx context.Context, argv []string) ([]byte, error) {
	out, err := d.runner.Run(ctx, argv[0], argv[1:]...)
	if err != nil {
		said := strings.TrimSpace(cleanText(string(out)))
		if said != "" {
			said = ": " + said
		}
		return out, fmt.Errorf("%s failed (%v)%s", strings.Join(argv, " "), err, said)
	}
	return out, nil
}

const scheduleJob = "backup --all --quiet"

func scheduleCommand() command {
	return command{
		name:    "schedule",
		summary: "back up on a schedule: install, status, remove",
		usage: `Usage: fedimarks schedule install [--every 6h] [--at HH:MM] [--sync "A B"]... [--target T] [--dry-run]
       fedimarks schedule status [--json]
       fedimarks schedule remove

install has the system run 'fedimarks ` + scheduleJob + `' (every saved
account) on a schedule and, for each --sync "A B", 'fedimarks sync --from A
--to B --quiet' after it (once this fedimarks has a sync command):
  Linux      a systemd user timer and service in ~/.config/systemd/user
             (` + schedule.Name + `.timer and .service), where a user systemd answers
  macOS      a launchd agent, ~/Library/LaunchAgents/` + schedule.Label + `.plist
  Windows    a Task Scheduler task, ` + schedule.Name + `
  elsewhere  the crontab line to add (with crontab -e) is printed
--target systemd|launchd|taskscheduler|cron picks one yourself.
--every is one of ` + schedule.PeriodsText() + ` (default 6h); --at HH:MM
is the time of a run (default: a minute picked at random, so that servers
do not meet every fedimarks at once). A run missed while the computer was
off or asleep is made up when it wakes (not by cron). --dry-run prints the
files and commands and changes nothing. Installing again replaces the
schedule. The schedule runs this program by its path and keeps this home
(FEDIMARKS_HOME): install again after moving either.

A scheduled run asks nothing, takes the same per-account locks as any
backup (an account being backed up already is skipped), and writes its
messages to logs/schedule.log beside the archive (rotated at 1 MiB, 3 old
files kept). When one fails, every command you run says so on stderr
until a backup of that account works again.

status shows what is installed, when it runs next, how the last run went
for each account, and where the log is. --json prints one object.
remove undoes what install did: it stops the job, deletes the files
install wrote and forgets it (with cron, it says which line to delete).

  fedimarks schedule install
  fedimarks schedule install --every 1d --at 03:30
  fedimarks schedule status

` + localExitCodes + "\n",
		run: runScheduleCommand,
	}
}

// scheduleSubcommands are schedule's subcommands, in the order help
// lists them.
var scheduleSubcommands = []string{"install", "status", "remove"}

// scheduleTargets lists the targets' names.
func scheduleTargets() []string {
	out := make([]string, len(schedule.Targets))
	for i, t := range schedule.Targets {
		out[i] = string(t)
	}
	return out
}

func runScheduleCommand(ctx context.Context, a *app, args []string) error {
	if a.listFlags != nil && len(args) == 0 {
		// Shell completion asks for the options: those of every
		// subcommand.
		_ = runScheduleInstall(ctx, a, nil)
		_ = runScheduleStatus(ctx, a, nil)
		return errHelp
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(a.stdout, a.cmd.helpText())
			return errHelp
		}
		return usageError("schedule needs one of install, status or remove")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "install":
		return runScheduleInstall(ctx, a, rest)
	case "status":
		return runScheduleStatus(ctx, a, rest)
	case "remove":
		fs := newFlags(a.cmd)
		pos, err := a.parseFlags(fs, rest)
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return usageError("schedule remove takes no arguments")
		}
		return runScheduleRemove(ctx, a.scheduleDeps())
	}
	if near := nearest(sub, scheduleSubcommands); near != "" {
		return usageError("schedule: unknown subcommand %q: did you mean %q?", sub, near)
	}
	return usageError("schedule: unknown subcommand %q: one of install, status or remove", sub)
}

// scheduleOptions are 'schedule install”s: its flags, the chooser (the
// sync pairs' accounts) and the schedule's dependencies.
type scheduleOptions struct {
	every  time.Duration
	at     time.Duration
	atSet  bool
	syncs  [][2]fedimarks.Handle
	target schedule.Target
	dryRun bool

	choose chooseFunc
	scheduleDeps
}

func runScheduleInstall(ctx context.Context, a *app, args []string) error {
	o := scheduleOptions{every: 6 * time.Hour}
	fs := newFlags(a.cmd)
	installFlags(fs, &o)
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the files and commands, change nothing")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("schedule install takes no arguments but its options")
	}
	o.choose, o.scheduleDeps = a.chooseAccount, a.scheduleDeps()
	return runInstall(ctx, o)
}

// installFlags adds install's options that are read as they are parsed
// to fs: --every, --at, --sync and --target.
func installFlags(fs *flag.FlagSet, o *scheduleOptions) {
	fs.Func("every", "how often: "+schedule.PeriodsText()+" (default 6h)", func(s string) error {
		d, err := parseAge(s)
		if err != nil {
			return fmt.Errorf("%q is not a period such as 6h or 1d", s)
		}
		o.every = d
		return nil
	})
	fs.Func("at", "the time of a run, HH:MM (default: picked at random)", func(s string) error {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a time such as 03:30", s)
		}
		o.at, o.atSet = time.Duration(t.Hour())*time.Hour+time.Duration(t.Minute())*time.Minute, true
		return nil
	})
	fs.Func("sync", `also run 'fedimarks sync --from A --to B' ("A B"; repeatable)`, func(s string) error {
		pair, err := syncPairFlag(s)
		if err == nil {
			o.syncs = append(o.syncs, pair)
		}
		return err
	})
	fs.Func("target", strings.Join(scheduleTargets(), ", ")+" (default: this system's)", func(s string) error {
		if !slices.Contains(scheduleTargets(), s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(scheduleTargets(), ", "))
		}
		o.target = schedule.Target(s)
		return nil
	})
}

// syncPairFlag reads a --sync value: two handles, not the same.
func syncPairFlag(s string) ([2]fedimarks.Handle, error) {
	var pair [2]fedimarks.Handle
	f := strings.Fields(s)
	if len(f) != 2 {
		return pair, fmt.Errorf("%q is not a pair of accounts such as \"alice@old.example alice@new.example\"", s)
	}
	for i, name := range f {
		h, err := fedimarks.ParseHandle(name)
		if err != nil {
			return pair, err
		}
		pair[i] = h
	}
	if pair[0] == pair[1] {
		return pair, fmt.Errorf("%q syncs an account with itself", s)
	}
	return pair, nil
}

// runInstall plans the schedule o asks for and installs it (or prints
// the plan, dryRun), replacing the one installed before.
func runInstall(ctx context.Context, o scheduleOptions) error {
	if err := o.chooseSyncPairs(ctx); err != nil {
		return err
	}
	spec, plan, err := o.plan(ctx)
	if err != nil {
		return err
	}
	if o.dryRun {
		return o.printPlan(spec, plan)
	}
	m, err := o.replace(ctx, spec, plan)
	if err != nil {
		return err
	}
	o.tellInstalled(ctx, spec, m)
	return nil
}

// chooseSyncPairs finds the two signed-in accounts each pair names, as
// the sync it schedules will need them: found now, by any unique part of
// their handles, rather than failing at 3 in the morning.
func (o scheduleOptions) chooseSyncPairs(ctx context.Context) error {
	for i, pair := range o.syncs {
		for j, flag := range []string{"--from", "--to"} {
			acc, err := o.choose(ctx, accountQuery{name: string(pair[j]), flag: flag, need: signedIn})
			if err != nil {
				return err
			}
			o.syncs[i][j] = acc.Handle
		}
	}
	return nil
}

// plan is what the schedule runs and the files and commands that install
// it on the target (given, else this system's).
func (o scheduleOptions) plan(ctx context.Context) (schedule.Spec, schedule.Plan, error) {
	spec, err := o.scheduleSpec(o)
	if err != nil {
		return spec, schedule.Plan{}, err
	}
	target := o.target
	if target == "" {
		target = o.detectTarget(ctx)
	}
	places, err := o.schedulePlaces()
	if err != nil {
		return spec, schedule.Plan{}, err
	}
	plan, err := spec.Plan(target, places)
	if err != nil {
		return spec, plan, &fedimarks.Error{Code: fedimarks.EInvalid, Message: err.Error()}
	}
	return spec, plan, nil
}

// replace uninstalls the schedule installed before, if any, installs
// plan and records it in the manifest.
func (d scheduleDeps) replace(ctx context.Context, spec schedule.Spec, plan schedule.Plan) (*scheduleManifest, error) {
	p, err := d.paths()
	if err != nil {
		return nil, err
	}
	mpath := filepath.Join(p.Config, manifestName)
	if old, err := loadManifest(mpath); err != nil {
		return nil, err
	} else if old != nil {
		fmt.Fprintf(d.errOut, "Replacing the schedule installed %s (%s).\n",
			old.InstalledAt.Local().Format(fedimarks.TimeLayout), old.Target.Describe())
		if err := d.uninstall(ctx, old, mpath); err != nil {
			return nil, err
		}
	}
	m, err := d.install(ctx, spec, plan)
	if err != nil {
		return nil, err
	}
	if err := saveManifest(mpath, m); err != nil {
		// The job is installed but would be unknown to status and remove:
		// take it back out.
		_ = d.uninstall(ctx, m, "")
		return nil, err
	}
	return m, nil
}

// scheduleSpec is what the schedule runs: this program, the jobs, and
// the environment that keeps it on this home.
func (d scheduleDeps) scheduleSpec(o scheduleOptions) (schedule.Spec, error) {
	s := schedule.Spec{Every: o.every}
	if !o.atSet {
		o.at = time.Duration(rand.IntN(int(24*time.Hour/time.Minute))) * time.Minute
	}
	s.At = o.at % o.every
	prog, err := d.executable()
	if err != nil {
		return s, fmt.Errorf("find this program's path: %w", err)
	}
	if prog, err = filepath.Abs(prog); err != nil {
		return s, fmt.Errorf("find this program's path: %w", err)
	}
	if strings.Contains(filepath.ToSlash(prog), "/go-build") {
		return s, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("%s is a temporary build (go run) that will be gone: a schedule needs a program that stays", prog),
			Hint:    "build it (go build -o fedimarks ./cmd/fedimarks) and run: ./fedimarks schedule install"}
	}
	s.Program = prog
	s.Jobs = [][]string{strings.Fields(scheduleJob)}
	for _, pair := range o.syncs {
		s.Jobs = append(s.Jobs, []string{"sync", "--from", string(pair[0]), "--to", string(pair[1]), "--quiet"})
	}
	env, err := d.scheduleEnv()
	if err != nil {
		return s, err
	}
	s.Env = env
	if err := s.Validate(); err != nil {
		return s, &fedimarks.Error{Code: fedimarks.EInvalid, Message: err.Error()}
	}
	return s, nil
}

// scheduleEnv is the environment a scheduled run needs to find this
// run's home: FEDIMARKS_HOME when the home is not the default one (the
// system starts a job with little of a login's environment), the XDG
// directories the default follows, and the keyring choice.
func (d scheduleDeps) scheduleEnv() ([]schedule.Var, error) {
	p, err := d.paths()
	if err != nil {
		return nil, err
	}
	plain := &factory{getenv: func(k string) string {
		if k == "FEDIMARKS_HOME" {
			return ""
		}
		return d.getenv(k)
	}}
	def, err := plain.paths()
	env := []schedule.Var{}
	if err != nil || def.Data != p.Data || def.Config != p.Config {
		env = append(env, schedule.Var{Name: "FEDIMARKS_HOME", Value: p.Data})
	} else {
		for _, k := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME"} {
			if v := d.getenv(k); v != "" {
				env = append(env, schedule.Var{Name: k, Value: v})
			}
		}
	}
	if v := d.getenv("FEDIMARKS_KEYRING"); v != "" {
		env = append(env, schedule.Var{Name: "FEDIMARKS_KEYRING", Value: v})
	}
	env = append(env, schedule.Var{Name: scheduledEnv, Value: "1"})
	slices.SortFunc(env, func(x, y schedule.Var) int { return strings.Compare(x.Name, y.Name) })
	return env, nil
}

// detectTarget picks the system's scheduler: launchd on macOS, Task
// Scheduler on Windows, a systemd user timer where the user's systemd
// answers, cron elsewhere.
func (d scheduleDeps) detectTarget(ctx context.Context) schedule.Target {
	switch runtime.GOOS {
	case "darwin":
		return schedule.Launchd
	case "windows":
		return schedule.TaskScheduler
	}
	if _, err := d.runner.Run(ctx, "systemctl", "--user", "show-environment"); err == nil {
		return schedule.Systemd
	}
	return schedule.Cron
}

// userHome is the person's home directory.
func (d scheduleDeps) userHome() (string, error) {
	if h := d.getenv("HOME"); h != "" {
		return h, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory: %w", err)
	}
	return h, nil
}

// schedulePlaces says where the schedule's files go.
func (d scheduleDeps) schedulePlaces() (schedule.Places, error) {
	home, err := d.userHome()
	if err != nil {
		return schedule.Places{}, err
	}
	p, err := d.paths()
	if err != nil {
		return schedule.Places{}, err
	}
	cfg := d.getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	return schedule.Places{
		SystemdDir:   filepath.Join(cfg, "systemd", "user"),
		LaunchAgents: filepath.Join(home, "Library", "LaunchAgents"),
		TaskFile:     filepath.Join(p.Data, schedule.Name+".xml"),
		UID:          os.Getuid(),
	}, nil
}

// printPlan shows what install would do (--dry-run), on stdout.
func (d scheduleDeps) printPlan(s schedule.Spec, pl schedule.Plan) error {
	out, flush := d.dataOut()
	defer flush()
	fmt.Fprintf(out, "# %s: every %s, %s\n", pl.Target.Describe(), schedule.Every(s.Every), s.TimesText())
	if pl.Line != "" {
		fmt.Fprintf(out, "# the line to add with crontab -e:\n%s\n", pl.Line)
	}
	for _, f := range pl.Files {
		data := string(f.Data)
		if pl.Target == schedule.TaskScheduler {
			data = schedule.TaskXML(s) + "(written in UTF-16)\n"
		}
		fmt.Fprintf(out, "\n# %s\n%s", f.Path, data)
	}
	if len(pl.Enable) > 0 {
		fmt.Fprintln(out, "\n# then runs:")
		for _, c := range pl.Enable {
			fmt.Fprintln(out, strings.Join(c, " "))
		}
	}
	fmt.Fprintln(d.errOut, "Nothing was changed (--dry-run).")
	return nil
}

// manifestName is the file, beside the tokens, that records what
// `schedule install` did, so that remove undoes exactly that.
const manifestName = "schedule.json"

// scheduleManifest is what install did.
type scheduleManifest struct {
	Target      schedule.Target `json:"target"`
	InstalledAt time.Time       `json:"installed_at"`
	Every       time.Duration   `json:"every"`
	At          time.Duration   `json:"at"`
	Program     string          `json:"program"`
	Jobs        [][]string      `json:"jobs"`
	Env         []schedule.Var  `json:"env"`
	// Files are the files install wrote (and still there), Dirs the
	// directories it created for them or had the system create, each
	// after its parent.
	Files       []string   `json:"files"`
	Dirs        []string   `json:"dirs"`
	Disable     [][]string `json:"disable"`
	AfterRemove [][]string `json:"after_remove"`
	Check       []string   `json:"check"`
	// CheckContains is what Check's output holds while the job is there.
	CheckContains string `json:"check_contains,omitempty"`
	Line          string `json:"line,omitempty"`
}

func (m *scheduleManifest) spec() schedule.Spec {
	return schedule.Spec{Every: m.Every, At: m.At, Program: m.Program, Jobs: m.Jobs, Env: m.Env}
}

// loadManifest reads the manifest at path, nil and no error when there
// is none.
func loadManifest(path string) (*scheduleManifest, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the installed schedule: %w", err)
	}
	var m scheduleManifest
	if err := json.Unmarshal(b, &m); err != nil || m.Target == "" {
		return nil, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("%s does not say what was installed (%v)", path, err),
			Hint:    "remove the schedule's files by hand, then delete " + path}
	}
	return &m, nil
}

// saveManifest writes m to path atomically, mode 0600.
func saveManifest(path string, m *scheduleManifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("record the schedule: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record the schedule: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record the schedule: %w", err)
	}
	return nil
}

// install writes the plan's files and runs its commands; on a failure it
// undoes what it did and says why.
func (d scheduleDeps) install(ctx context.Context, s schedule.Spec, pl schedule.Plan) (*scheduleManifest, error) {
	m := &scheduleManifest{Target: pl.Target, InstalledAt: d.now().UTC(), Every: s.Every, At: s.At, Program: s.Program,
		Jobs: s.Jobs, Env: s.Env, Files: []string{}, Dirs: []string{}, Disable: pl.Disable, AfterRemove: pl.AfterRemove,
		Check: pl.Check, CheckContains: pl.CheckContains, Line: pl.Line}
	for _, f := range pl.Files {
		if _, err := os.Lstat(f.Path); err == nil {
			return nil, &fedimarks.Error{Code: fedimarks.EInvalid,
				Message: fmt.Sprintf("%s exists already, and this fedimarks home did not write it (another home's schedule?)", f.Path),
				Hint:    "run 'fedimarks schedule remove' with the home that installed it, or delete the file"}
		}
	}
	fail := func(err error) (*scheduleManifest, error) {
		_ = d.uninstall(ctx, m, "")
		return nil, err
	}
	for _, f := range pl.Files {
		created, err := mkdirAllRecorded(filepath.Dir(f.Path))
		m.Dirs = append(m.Dirs, created...)
		if err != nil {
			return fail(fmt.Errorf("install the schedule: %w", err))
		}
		if err := os.WriteFile(f.Path, f.Data, f.Mode); err != nil {
			return fail(fmt.Errorf("install the schedule: %w", err))
		}
		m.Files = append(m.Files, f.Path)
	}
	for _, d := range pl.SideDirs {
		if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
			m.Dirs = append(m.Dirs, d)
		}
	}
	for _, c := range pl.Enable {
		if _, err := d.runCmd(ctx, c); err != nil {
			return fail(&fedimarks.Error{Code: fedimarks.EUnavailable, Message: "install the schedule: " + err.Error(),
				Hint: "nothing was left installed; 'fedimarks schedule install --target cron' prints a crontab line instead"})
		}
	}
	for _, t := range pl.Transient {
		if err := os.Remove(t); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(fmt.Errorf("install the schedule: %w", err))
		}
		m.Files = slices.DeleteFunc(m.Files, func(f string) bool { return f == t })
	}
	return m, nil
}

// mkdirAllRecorded is os.MkdirAll (mode 0755: the system reads these
// directories) returning the directories it created, outermost first.
func mkdirAllRecorded(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	var created []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		}
		created = append(created, d)
	}
	return created, nil
}

// uninstall undoes m: stops the job, deletes its files and the
// directories install made, and the manifest at mpath (when not "") once
// all went well. A job it cannot stop keeps its files and record, for a
// later remove; past that, it goes on after a failure and returns them
// all.
func (d scheduleDeps) uninstall(ctx context.Context, m *scheduleManifest, mpath string) error {
	var errs []error
	for _, c := range m.Disable {
		// A job removed by hand cannot be stopped, and need not be.
		if _, err := d.runCmd(ctx, c); err != nil && !d.jobGone(ctx, m) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return &fedimarks.Error{Code: fedimarks.EUnavailable, Err: errors.Join(errs...),
			Message: "remove the schedule: " + strings.ReplaceAll(errors.Join(errs...).Error(), "\n", "; "),
			Hint:    "nothing was removed; run 'fedimarks schedule remove' again once the system answers"}
	}
	for _, f := range m.Files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for i := len(m.Dirs) - 1; i >= 0; i-- {
		// Only when empty: the person may have put files there since.
		_ = os.Remove(m.Dirs[i])
	}
	for _, c := range m.AfterRemove {
		if _, err := d.runCmd(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		hint := "its files are deleted; run 'fedimarks schedule remove' again once the system answers"
		if mpath != "" {
			hint += " (or delete " + mpath + " to forget it)"
		}
		return &fedimarks.Error{Code: fedimarks.EUnavailable, Err: errors.Join(errs...),
			Message: "remove the schedule: " + strings.ReplaceAll(errors.Join(errs...).Error(), "\n", "; "),
			Hint:    hint}
	}
	if mpath != "" {
		if err := os.Remove(mpath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("forget the schedule: %w", err)
		}
	}
	return nil
}

// Whether the system has a schedule's job.
const (
	registeredUnknown = iota // it cannot be asked here
	registeredYes
	registeredNo
)

// jobGone reports whether m's job was removed by hand: its files are all
// gone, or, for a job without files, the system says it has none.
func (d scheduleDeps) jobGone(ctx context.Context, m *scheduleManifest) bool {
	for _, f := range m.Files {
		if _, err := os.Lstat(f); err == nil {
			return false
		}
	}
	if len(m.Files) > 0 {
		return true
	}
	state, _ := d.checkRegistered(ctx, m)
	return state == registeredNo
}

// checkRegistered asks the system whether it has m's job; out is what
// the asking printed.
func (d scheduleDeps) checkRegistered(ctx context.Context, m *scheduleManifest) (state int, out string) {
	if len(m.Check) == 0 {
		return registeredUnknown, ""
	}
	b, err := d.runner.Run(ctx, m.Check[0], m.Check[1:]...)
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return registeredUnknown, ""
	case err == nil && (m.CheckContains == "" || strings.Contains(string(b), m.CheckContains)):
		return registeredYes, string(b)
	}
	return registeredNo, string(b)
}

// tellInstalled says what was installed and what to know about it.
func (d scheduleDeps) tellInstalled(ctx context.Context, s schedule.Spec, m *scheduleManifest) {
	next := s.Next(d.now())
	when := fmt.Sprintf("every %s, %s; next run %s (in %s)", schedule.Every(s.Every), s.TimesText(),
		next.Local().Format(fedimarks.TimeLayout), inDuration(next.Sub(d.now())))
	var jobs []string
	for _, c := range s.Commands() {
		jobs = append(jobs, "  "+strings.Join(c, " "))
	}
	logPath, _ := d.logPath()
	if ar, err := d.archive(ctx); err == nil {
		if accs, err := ar.Accounts(ctx); err == nil && len(accs) == 0 {
			fmt.Fprintln(d.errOut, "No account is saved yet: the schedule has nothing to back up until you log in (fedimarks login INSTANCE).")
		}
	}
	if m.Target == schedule.Cron {
		fmt.Fprintf(d.errOut, "No scheduler of this system answers: add this line to your crontab (run: crontab -e), %s:\n", when)
		out, flush := d.dataOut()
		fmt.Fprintln(out, m.Line)
		flush()
		d.warnKeyringUnderCron(ctx)
		fmt.Fprintf(d.errOut, "Scheduled runs log to %s. 'fedimarks schedule status' checks that the line is there and shows how the runs went.\n", logPath)
		return
	}
	fmt.Fprintf(d.errOut, "Installed %s, %s:\n%s\n", m.Target.Describe(), when, strings.Join(jobs, "\n"))
	if len(m.Files) > 0 {
		fmt.Fprintf(d.errOut, "Files: %s\n", strings.Join(m.Files, ", "))
	}
	if m.Target == schedule.Systemd {
		d.adviseLinger(ctx)
	}
	fmt.Fprintf(d.errOut, "Scheduled runs log to %s. 'fedimarks schedule status' shows how they went; 'fedimarks schedule remove' removes the schedule.\n", logPath)
}

// adviseLinger tells that systemd runs a user's timers only while they
// are logged in, unless lingering is on.
func (d scheduleDeps) adviseLinger(ctx context.Context) {
	name := d.getenv("USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		return
	}
	out, err := d.runner.Run(ctx, "loginctl", "show-user", name, "--property=Linger", "--value")
	if err == nil && strings.TrimSpace(string(out)) == "no" {
		fmt.Fprintf(d.errOut, "systemd runs your timers only while you are logged in; to run them always: loginctl enable-linger %s\n", name)
	}
}

// warnKeyringUnderCron names the accounts whose token is in the system
// keyring, which a cron job cannot reach (no session bus).
func (d scheduleDeps) warnKeyringUnderCron(ctx context.Context) {
	ar, err := d.archive(ctx)
	if err != nil {
		return
	}
	accs, err := ar.Accounts(ctx)
	if err != nil {
		return
	}
	var inKeyring []string
	for _, acc := range accs {
		if strings.Contains(acc.TokenStore, "keyring") {
			inKeyring = append(inKeyring, string(acc.Handle))
		}
	}
	if len(inKeyring) > 0 {
		fmt.Fprintf(d.errOut, "Warning: the token of %s is in the system keyring, which cron jobs cannot reach: "+
			"log in again with FEDIMARKS_KEYRING=off set (the token then goes to a private file) for cron to back it up.\n",
			strings.Join(inKeyring, ", "))
	}
}

// inDuration says how far off d is: "3 hours", "12 minutes".
func inDuration(d time.Duration) string {
	return strings.TrimSuffix(fedimarks.Ago(d), " ago")
}

// runScheduleRemove undoes what install did.
func runScheduleRemove(ctx context.Context, d scheduleDeps) error {
	p, err := d.paths()
	if err != nil {
		return err
	}
	mpath := filepath.Join(p.Config, manifestName)
	m, err := loadManifest(mpath)
	if err != nil {
		return err
	}
	if m == nil {
		fmt.Fprintln(d.errOut, "No schedule is installed from this home: nothing to remove.")
		return nil
	}
	if err := d.uninstall(ctx, m, mpath); err != nil {
		return err
	}
	if m.Target == schedule.Cron {
		fmt.Fprintf(d.errOut, "Forgot the schedule. fedimarks did not write your crontab: delete this line from it (run: crontab -e):\n")
		out, flush := d.dataOut()
		fmt.Fprintln(out, m.Line)
		flush()
		return nil
	}
	what := "."
	if len(m.Files) > 0 {
		what = "; deleted " + strings.Join(m.Files, ", ") + "."
	}
	fmt.Fprintf(d.errOut, "Removed %s%s\n", m.Target.Describe(), what)
	return nil
}
