package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/schedule"
)

// wantSpec is the schedule `schedule install --every 6h --at 14:17` makes
// on e.
func (e *schedEnv) wantSpec() schedule.Spec {
	return schedule.Spec{Every: 6 * time.Hour, At: 2*time.Hour + 17*time.Minute, Program: e.prog,
		Jobs: [][]string{{"backup", "--all", "--quiet"}},
		Env:  []schedule.Var{{Name: "FEDIMARKS_HOME", Value: e.home}, {Name: "FEDIMARKS_KEYRING", Value: "off"}, {Name: "FEDIMARKS_SCHEDULED", Value: "1"}}}
}

// TestScheduleInstallStatusRemove installs on each target with a fake
// system, checks the files written and the commands run, the status,
// then that remove leaves the machine as it was.
func TestScheduleInstallStatusRemove(t *testing.T) {
	for _, tc := range []struct {
		target  schedule.Target
		files   func(e *schedEnv) map[string]string // path under the user's home: content
		enable  []string
		disable []string
	}{
		{schedule.Systemd, func(e *schedEnv) map[string]string {
			return map[string]string{
				".config/systemd/user/fedimarks-backup.service": schedule.SystemdService(e.wantSpec()),
				".config/systemd/user/fedimarks-backup.timer":   schedule.SystemdTimer(e.wantSpec()),
			}
		}, []string{"systemctl --user daemon-reload", "systemctl --user enable --now fedimarks-backup.timer"},
			[]string{"systemctl --user disable --now fedimarks-backup.timer", "systemctl --user daemon-reload"}},
		{schedule.Launchd, func(e *schedEnv) map[string]string {
			return map[string]string{"Library/LaunchAgents/com.github.fedimarks.backup.plist": schedule.LaunchdPlist(e.wantSpec())}
		}, []string{"launchctl bootstrap gui/"}, []string{"launchctl bootout gui/"}},
		{schedule.TaskScheduler, func(e *schedEnv) map[string]string { return map[string]string{} },
			[]string{"schtasks /Create /TN fedimarks-backup /XML "}, []string{"schtasks /Delete /TN fedimarks-backup /F"}},
	} {
		t.Run(string(tc.target), func(t *testing.T) {
			e := newSchedEnv(t)
			mustRun(t, 0, e.home, "", "accounts") // the archive exists before, as it does for a person
			before := tree(t, e.userHome)
			homeBefore := tree(t, e.home)

			r := e.run(0, "schedule", "install", "--target", string(tc.target), "--every", "6h", "--at", "14:17")
			if !strings.Contains(r.stderr, "Installed "+tc.target.Describe()) ||
				!strings.Contains(r.stderr, "every 6h, at 02:17, 08:17, 14:17 and 20:17; next run 2026-03-03 14:17 (in 4 hours)") {
				t.Errorf("install said:\n%s", r.stderr)
			}
			calls := e.sys.Calls()
			for _, want := range tc.enable {
				if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, want) }) {
					t.Errorf("install ran %q, not %q", calls, want)
				}
			}
			for rel, want := range tc.files(e) {
				got, err := os.ReadFile(filepath.Join(e.userHome, rel))
				if err != nil {
					t.Fatalf("install did not write %s: %v", rel, err)
				}
				if string(got) != want {
					t.Errorf("%s:\n%s\nwant:\n%s", rel, got, want)
				}
			}
			if tc.target == schedule.TaskScheduler {
				if got := e.sys.tasks[schedule.Name]; got != schedule.TaskXML(e.wantSpec()) {
					t.Errorf("schtasks was given:\n%s\nwant:\n%s", got, schedule.TaskXML(e.wantSpec()))
				}
				if _, err := os.Stat(filepath.Join(e.home, schedule.Name+".xml")); err == nil {
					t.Errorf("the task file is left behind once the task is created")
				}
			}

			r = e.run(0, "schedule", "status")
			for _, want := range []string{tc.target.Describe(), "runs: " + e.prog + " backup --all --quiet",
				"next run 2026-03-03 14:17 (in 4 hours)", "last run: none yet", "log: " + filepath.Join(e.home, "logs", "schedule.log")} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("schedule status lacks %q:\n%s", want, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "Problem") {
				t.Errorf("schedule status sees a problem:\n%s", r.stdout)
			}
			var st scheduleState
			if err := json.Unmarshal([]byte(e.run(0, "schedule", "status", "--json").stdout), &st); err != nil {
				t.Fatal(err)
			}
			if !st.Installed || st.Target != string(tc.target) || st.Registered == nil || !*st.Registered || st.Every != "6h" {
				t.Errorf("schedule status --json: %+v", st)
			}

			e.sys.calls = nil
			r = e.run(0, "schedule", "remove")
			calls = e.sys.Calls()
			for _, want := range tc.disable {
				if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, want) }) {
					t.Errorf("remove ran %q, not %q", calls, want)
				}
			}
			if d := diffTrees(before, tree(t, e.userHome)); len(d) > 0 {
				t.Errorf("remove did not leave the home as it was: %s", strings.Join(d, "; "))
			}
			if d := diffTrees(homeBefore, tree(t, e.home)); len(d) > 0 && !slices.Equal(d, []string{"changed: archive.db"}) {
				t.Errorf("remove did not leave the fedimarks home as it was: %s", strings.Join(d, "; "))
			}
			if len(e.sys.enabled)+len(e.sys.loaded)+len(e.sys.tasks) > 0 {
				t.Errorf("the system still has the job: %+v", e.sys)
			}
			r = e.run(0, "schedule", "status")
			if !strings.Contains(r.stdout, "No schedule is installed") {
				t.Errorf("status after remove:\n%s", r.stdout)
			}
			r = e.run(0, "schedule", "remove")
			if !strings.Contains(r.stderr, "nothing to remove") {
				t.Errorf("second remove said %q", r.stderr)
			}
		})
	}
}

func TestScheduleCronPrintsTheLineAndChecksIt(t *testing.T) {
	e := newSchedEnv(t)
	e.sys.noSystemd = true
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("detection picks launchd or Task Scheduler here")
	}
	r := e.run(0, "schedule", "install", "--at", "14:17")
	line := schedule.CrontabLine(e.wantSpec())
	if r.stdout != line+"\n" {
		t.Fatalf("install printed %q, want the crontab line %q", r.stdout, line)
	}
	if !strings.Contains(r.stderr, "add this line to your crontab (run: crontab -e)") {
		t.Errorf("install said %q", r.stderr)
	}
	r = e.run(0, "schedule", "status")
	if !strings.Contains(r.stdout, "Problem: the line is not in your crontab") {
		t.Errorf("status with the line missing:\n%s", r.stdout)
	}
	e.sys.crontab = "MAILTO=me\n" + line + "\n"
	r = e.run(0, "schedule", "status")
	if strings.Contains(r.stdout, "Problem") || !strings.Contains(r.stdout, "crontab line: "+line) {
		t.Errorf("status with the line there:\n%s", r.stdout)
	}
	r = e.run(0, "schedule", "remove")
	if r.stdout != line+"\n" || !strings.Contains(r.stderr, "delete this line") {
		t.Errorf("remove: %q %q", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(e.home, manifestName)); err == nil {
		t.Errorf("remove left the manifest")
	}
}

func TestScheduleDetectsSystemd(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("detection picks launchd or Task Scheduler here")
	}
	e := newSchedEnv(t)
	r := e.run(0, "schedule", "install", "--every", "1h")
	if !strings.Contains(r.stderr, "Installed a systemd user timer") || !strings.Contains(r.stderr, "loginctl enable-linger") ||
		!strings.Contains(r.stderr, "No account is saved yet") {
		t.Fatalf("install where a user systemd answers:\n%s", r.stderr)
	}
	if !slices.Contains(e.sys.Calls(), "systemctl --user show-environment") {
		t.Errorf("install did not ask systemd: %q", e.sys.Calls())
	}
}

func TestScheduleInstallFailureLeavesNothing(t *testing.T) {
	e := newSchedEnv(t)
	before := tree(t, e.userHome)
	e.sys.fail = "systemctl --user enable"
	r := e.run(ExitError, "schedule", "install", "--target", "systemd")
	if !strings.Contains(r.stderr, "systemctl --user enable --now fedimarks-backup.timer failed") ||
		!strings.Contains(r.stderr, "Failed to connect to bus") || !strings.Contains(r.stderr, "nothing was left installed") {
		t.Errorf("install said %q", r.stderr)
	}
	if d := diffTrees(before, tree(t, e.userHome)); len(d) > 0 {
		t.Errorf("a failed install left: %s", strings.Join(d, "; "))
	}
	if _, err := os.Stat(filepath.Join(e.home, manifestName)); err == nil {
		t.Errorf("a failed install is recorded")
	}
}

func TestScheduleInstallReplacesAndRefusesOthersFiles(t *testing.T) {
	e := newSchedEnv(t)
	e.run(0, "schedule", "install", "--target", "systemd", "--every", "6h", "--at", "02:17")
	e.sys.calls = nil
	r := e.run(0, "schedule", "install", "--target", "systemd", "--every", "1d", "--at", "03:30")
	if !strings.Contains(r.stderr, "Replacing the schedule installed 2026-03-03 10:00") {
		t.Errorf("second install said %q", r.stderr)
	}
	if calls := e.sys.Calls(); !slices.Contains(calls, "systemctl --user disable --now fedimarks-backup.timer") {
		t.Errorf("second install did not stop the first: %q", calls)
	}
	timer, err := os.ReadFile(filepath.Join(e.sys.unitDir, "fedimarks-backup.timer"))
	if err != nil || !strings.Contains(string(timer), "OnCalendar=*-*-* 03:30:00") {
		t.Errorf("timer after the second install: %s %v", timer, err)
	}

	// Another fedimarks home finds the files it did not write.
	other := *e
	other.home = filepath.Join(t.TempDir(), "other")
	r = other.run(ExitUsage, "schedule", "install", "--target", "systemd")
	if !strings.Contains(r.stderr, "fedimarks-backup.service exists already, and this fedimarks home did not write it") {
		t.Errorf("install over another home's files said %q", r.stderr)
	}
	if _, err := os.ReadFile(filepath.Join(e.sys.unitDir, "fedimarks-backup.timer")); err != nil {
		t.Errorf("the other home's refused install touched the first's files: %v", err)
	}
}

func TestScheduleInstallRefusals(t *testing.T) {
	e := newSchedEnv(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--sync", "alice@a.example bob@b.example"}, ExitUsage, "alice@a.example"}, // no such account saved
		{[]string{"--sync", "alice@a.example"}, ExitUsage, "not a pair of accounts"},
		{[]string{"--every", "5h"}, ExitUsage, "cannot run every 5h: pick one of 15m"},
		{[]string{"--every", "soon"}, ExitUsage, `"soon" is not a period`},
		{[]string{"--at", "25:00"}, ExitUsage, `"25:00" is not a time`},
		{[]string{"--target", "at"}, ExitUsage, `"at" is not one of systemd, launchd, taskscheduler, cron`},
	} {
		r := e.run(tc.code, append([]string{"schedule", "install"}, tc.args...)...)
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("install %v said %q, want %q", tc.args, r.stderr, tc.want)
		}
	}
	// A program that go run built goes away: not something to schedule.
	e.prog = filepath.Join(t.TempDir(), "go-build123", "b001", "exe", "fedimarks")
	r := e.run(ExitUsage, "schedule", "install", "--target", "systemd")
	if !strings.Contains(r.stderr, "temporary build (go run)") {
		t.Errorf("install from go run said %q", r.stderr)
	}
	if len(e.sys.Calls()) != 0 {
		t.Errorf("refused installs ran %q", e.sys.Calls())
	}
}

func TestScheduleDryRunChangesNothing(t *testing.T) {
	e := newSchedEnv(t)
	before := tree(t, e.userHome)
	r := e.run(0, "schedule", "install", "--target", "systemd", "--at", "14:17", "--dry-run")
	if !strings.Contains(r.stdout, schedule.SystemdTimer(e.wantSpec())) || !strings.Contains(r.stdout, "systemctl --user enable --now fedimarks-backup.timer") {
		t.Errorf("dry run printed:\n%s", r.stdout)
	}
	if d := diffTrees(before, tree(t, e.userHome)); len(d) > 0 || len(e.sys.Calls()) > 0 {
		t.Errorf("dry run changed %v, ran %q", d, e.sys.Calls())
	}
}

func TestScheduleStatusSeesWhatWentMissing(t *testing.T) {
	e := newSchedEnv(t)
	e.run(0, "schedule", "install", "--target", "systemd")
	delete(e.sys.enabled, "fedimarks-backup.timer") // disabled by hand
	if err := os.Remove(e.prog); err != nil {
		t.Fatal(err)
	}
	r := e.run(0, "schedule", "status")
	for _, want := range []string{
		"Problem: " + e.prog + ", the program the schedule runs, is gone",
		`Problem: systemctl --user is-enabled fedimarks-backup.timer says the system does not have the job ("disabled")`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestScheduleCompletion(t *testing.T) {
	home := newHome(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"0", "sch"}, "schedule"},
		{[]string{"0", "stat"}, "status"},
		{[]string{"1", "schedule", ""}, "install\nstatus\nremove"},
		{[]string{"2", "schedule", "install", "--ta"}, "--target"},
		{[]string{"3", "schedule", "install", "--target", ""}, "systemd\nlaunchd\ntaskscheduler\ncron"},
		{[]string{"3", "schedule", "install", "--every", "1"}, "15m\n1h\n12h\n1d"},
	} {
		r := runTool(t, nil, home, "", append([]string{completeCommand}, tc.args...)...)
		if r.code != 0 || strings.TrimSuffix(r.stdout, "\n") != tc.want {
			t.Errorf("__complete %q: exit %d, stdout %q, stderr %q; want %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

// TestScheduleRemoveWhenTheJobIsAlreadyGone: files deleted and the job
// disabled by hand; remove cannot stop it, need not, and forgets it.
func TestScheduleRemoveWhenTheJobIsAlreadyGone(t *testing.T) {
	e := newSchedEnv(t)
	before := tree(t, e.userHome)
	e.run(0, "schedule", "install", "--target", "systemd")
	for _, f := range []string{"fedimarks-backup.service", "fedimarks-backup.timer", "timers.target.wants/fedimarks-backup.timer"} {
		if err := os.Remove(filepath.Join(e.sys.unitDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	delete(e.sys.enabled, "fedimarks-backup.timer")
	r := e.run(0, "schedule", "remove")
	if !strings.Contains(r.stderr, "Removed a systemd user timer") {
		t.Errorf("remove said %q", r.stderr)
	}
	if d := diffTrees(before, tree(t, e.userHome)); len(d) > 0 {
		t.Errorf("remove left: %s", strings.Join(d, "; "))
	}
	if _, err := os.Stat(filepath.Join(e.home, manifestName)); err == nil {
		t.Errorf("remove kept the manifest")
	}

	// The system not answering: nothing is removed, and remove says how
	// to finish.
	e.run(0, "schedule", "install", "--target", "systemd")
	installed := tree(t, e.userHome)
	e.sys.fail = "systemctl"
	r = e.run(ExitError, "schedule", "remove")
	if !strings.Contains(r.stderr, "systemctl --user disable --now fedimarks-backup.timer failed") ||
		!strings.Contains(r.stderr, "nothing was removed; run 'fedimarks schedule remove' again once the system answers") {
		t.Errorf("remove with no systemd said %q", r.stderr)
	}
	if d := diffTrees(installed, tree(t, e.userHome)); len(d) > 0 {
		t.Errorf("a remove that could not stop the job changed: %s", strings.Join(d, "; "))
	}
	if _, err := os.Stat(filepath.Join(e.home, manifestName)); err != nil {
		t.Errorf("a remove that could not stop the job forgot it: %v", err)
	}
	e.sys.fail = ""
	e.run(0, "schedule", "remove")
	if d := diffTrees(before, tree(t, e.userHome)); len(d) > 0 {
		t.Errorf("remove once the system answers left: %s", strings.Join(d, "; "))
	}
}
