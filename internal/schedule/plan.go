package schedule

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
)

// Target is a system that runs programs on a schedule.
type Target string

// The targets.
const (
	Systemd       Target = "systemd"       // a systemd user timer and service (Linux)
	Launchd       Target = "launchd"       // a launchd agent (macOS)
	TaskScheduler Target = "taskscheduler" // a Task Scheduler task (Windows)
	Cron          Target = "cron"          // a crontab line, added by the person
)

// Targets are the targets, in the order help lists them.
var Targets = []Target{Systemd, Launchd, TaskScheduler, Cron}

// Describe says what t installs, for a person.
func (t Target) Describe() string {
	switch t {
	case Systemd:
		return "a systemd user timer (" + Name + ".timer)"
	case Launchd:
		return "a launchd agent (" + Label + ")"
	case TaskScheduler:
		return "a Task Scheduler task (" + Name + ")"
	case Cron:
		return "a crontab line"
	}
	return string(t)
}

// Places says where a target's files go.
type Places struct {
	// SystemdDir is the systemd user unit directory
	// (~/.config/systemd/user).
	SystemdDir string
	// LaunchAgents is ~/Library/LaunchAgents.
	LaunchAgents string
	// TaskFile is where the task's XML is written for schtasks to read;
	// it is deleted once the task is created.
	TaskFile string
	// UID is the user's id, which names their launchd domain (gui/UID).
	UID int
}

// File is a file a plan writes.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

// Plan is what installing a schedule on a target takes, and what undoes
// it. The caller writes Files, runs Enable in order (undoing all on a
// failure), deletes Transient; to remove, it runs Disable, deletes Files
// and runs AfterRemove.
type Plan struct {
	Target Target
	Files  []File
	// Enable are the commands that make the system run the files.
	Enable [][]string
	// Transient are files of Files deleted once Enable has run.
	Transient []string
	// SideDirs are directories Enable may create and Disable leaves
	// (systemd's timers.target.wants): the caller removes those it did
	// not find, once empty.
	SideDirs []string
	// Disable are the commands that stop the system running them.
	Disable [][]string
	// AfterRemove are the commands run once the files are gone.
	AfterRemove [][]string
	// Check is a command that succeeds when the system has the job, and
	// whose output then holds CheckContains (when not "").
	Check         []string
	CheckContains string
	// Line is the crontab line (Cron only): cron is left to the person.
	Line string
}

// Plan returns what installing s on target t takes.
func (s Spec) Plan(t Target, p Places) (Plan, error) {
	if err := s.Validate(); err != nil {
		return Plan{}, err
	}
	pl := Plan{Target: t}
	switch t {
	case Systemd:
		if p.SystemdDir == "" {
			return Plan{}, fmt.Errorf("no systemd user directory")
		}
		timer := Name + ".timer"
		pl.Files = []File{
			{Path: filepath.Join(p.SystemdDir, Name+".service"), Data: []byte(SystemdService(s)), Mode: 0o644},
			{Path: filepath.Join(p.SystemdDir, timer), Data: []byte(SystemdTimer(s)), Mode: 0o644},
		}
		pl.Enable = [][]string{{"systemctl", "--user", "daemon-reload"}, {"systemctl", "--user", "enable", "--now", timer}}
		pl.SideDirs = []string{filepath.Join(p.SystemdDir, "timers.target.wants")}
		pl.Disable = [][]string{{"systemctl", "--user", "disable", "--now", timer}}
		pl.AfterRemove = [][]string{{"systemctl", "--user", "daemon-reload"}}
		pl.Check = []string{"systemctl", "--user", "is-enabled", timer}
	case Launchd:
		if p.LaunchAgents == "" {
			return Plan{}, fmt.Errorf("no LaunchAgents directory")
		}
		path := filepath.Join(p.LaunchAgents, Label+".plist")
		domain := "gui/" + strconv.Itoa(p.UID)
		pl.Files = []File{{Path: path, Data: []byte(LaunchdPlist(s)), Mode: 0o644}}
		pl.Enable = [][]string{{"launchctl", "bootstrap", domain, path}}
		pl.Disable = [][]string{{"launchctl", "bootout", domain + "/" + Label}}
		pl.Check = []string{"launchctl", "print", domain + "/" + Label}
	case TaskScheduler:
		if p.TaskFile == "" {
			return Plan{}, fmt.Errorf("no place for the task file")
		}
		if err := CheckCmd(s); err != nil {
			return Plan{}, err
		}
		pl.Files = []File{{Path: p.TaskFile, Data: EncodeUTF16(TaskXML(s)), Mode: 0o600}}
		pl.Enable = [][]string{{"schtasks", "/Create", "/TN", Name, "/XML", p.TaskFile, "/F"}}
		pl.Transient = []string{p.TaskFile}
		pl.Disable = [][]string{{"schtasks", "/Delete", "/TN", Name, "/F"}}
		pl.Check = []string{"schtasks", "/Query", "/TN", Name}
	case Cron:
		pl.Line = CrontabLine(s)
		pl.Check = []string{"crontab", "-l"}
		pl.CheckContains = pl.Line
	default:
		return Plan{}, fmt.Errorf("unknown target %q", t)
	}
	return pl, nil
}
