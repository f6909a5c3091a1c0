// Package schedule writes what makes the system run fedimarks on a
// schedule: a systemd user timer and service, a launchd agent, a Task
// Scheduler task, or a crontab line. Every file is made by a pure function
// of a Spec, so that what is installed can be checked against golden
// files; Plan lists the files and the commands that enable and undo them,
// for the caller to carry out and record. Log is the rotating log file a
// scheduled run writes.
//
// Every target fires at the same wall-clock times: Spec.Every divides the
// day, and Spec.At sets the phase, so that a schedule of 6h at 02:17 runs
// at 02:17, 08:17, 14:17 and 20:17 local time on every platform, and a
// run missed while the machine slept is made up once when it wakes (where
// the platform offers it: systemd Persistent=, launchd, Task Scheduler
// StartWhenAvailable; cron does not).
package schedule

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Name is the name of the installed job: the systemd units'
// (fedimarks-backup.service and .timer) and the Task Scheduler task's.
const Name = "fedimarks-backup"

// Label is the launchd agent's label, and its plist's name with ".plist".
const Label = "com.github.fedimarks.backup"

// Periods are the schedule's possible periods, shortest first: each
// divides an hour or a day, so that every target can say it.
var Periods = []time.Duration{
	15 * time.Minute, 20 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 6 * time.Hour, 8 * time.Hour, 12 * time.Hour,
	24 * time.Hour,
}

// PeriodsText lists Periods for a person: "15m, 20m, ..., 12h, 1d".
func PeriodsText() string {
	s := make([]string, len(Periods))
	for i, p := range Periods {
		s[i] = Every(p)
	}
	return strings.Join(s, ", ")
}

// Every says period d as a person writes it: 15m, 6h, 1d.
func Every(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

// Spec is what a schedule runs, and when.
type Spec struct {
	// Every is the period, one of Periods.
	Every time.Duration
	// At is the phase, in whole minutes: the day's first run is at
	// midnight (local time) plus At, the next ones Every apart.
	// 0 <= At < Every.
	At time.Duration
	// Program is the absolute path of the fedimarks program.
	Program string
	// Jobs are the command lines run one after the other at each firing,
	// without the program: {"backup", "--all", "--quiet"}. A job's failure
	// does not stop the ones after it.
	Jobs [][]string
	// Env is the environment every job gets beside the system's, in
	// order (sorted by name, for stable files).
	Env []Var
}

// Var is one environment variable.
type Var struct{ Name, Value string }

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports the first thing wrong with s, in words for a person.
func (s Spec) Validate() error {
	ok := false
	for _, p := range Periods {
		ok = ok || s.Every == p
	}
	if !ok {
		return fmt.Errorf("a schedule cannot run every %s: pick one of %s (each divides the day, so that every system can say it)",
			Every(s.Every), PeriodsText())
	}
	if s.At < 0 || s.At >= s.Every || s.At%time.Minute != 0 {
		return fmt.Errorf("the schedule's first run is %s after midnight: it must be whole minutes, less than the period %s", s.At, Every(s.Every))
	}
	if s.Program == "" || !(filepath.IsAbs(s.Program) || isWindowsAbs(s.Program)) {
		return fmt.Errorf("the program to schedule must be an absolute path, not %q", s.Program)
	}
	if len(s.Jobs) == 0 {
		return fmt.Errorf("a schedule needs a job to run")
	}
	for _, j := range s.Jobs {
		if len(j) == 0 {
			return fmt.Errorf("a schedule's job has no arguments")
		}
	}
	for _, v := range s.Env {
		if !envName.MatchString(v.Name) {
			return fmt.Errorf("%q is not an environment variable name", v.Name)
		}
	}
	for _, str := range s.strings() {
		if strings.ContainsFunc(str, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return fmt.Errorf("%q: a path or an argument of a schedule cannot hold a line break or another control character", str)
		}
	}
	return nil
}

// strings returns every string of s that lands in a file.
func (s Spec) strings() []string {
	out := []string{s.Program}
	for _, j := range s.Jobs {
		out = append(out, j...)
	}
	for _, v := range s.Env {
		out = append(out, v.Value)
	}
	return out
}

func isWindowsAbs(p string) bool {
	return len(p) >= 3 && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z') && p[1] == ':' && (p[2] == '\\' || p[2] == '/') ||
		strings.HasPrefix(p, `\\`)
}

// subHour reports whether s fires several times an hour.
func (s Spec) subHour() bool { return s.Every < time.Hour }

// Times are the times of day s fires at, as offsets from midnight, in
// order. A period shorter than an hour fires at the same minutes every
// hour: Times lists one hour's (from 00:00).
func (s Spec) Times() []time.Duration {
	span := 24 * time.Hour
	if s.subHour() {
		span = time.Hour
	}
	var out []time.Duration
	for t := s.At; t < span; t += s.Every {
		out = append(out, t)
	}
	return out
}

// TimesText says when s fires for a person: "at 02:17, 08:17, 14:17 and
// 20:17", "at minutes 07, 22, 37 and 52 of every hour".
func (s Spec) TimesText() string {
	var parts []string
	for _, t := range s.Times() {
		if s.subHour() {
			parts = append(parts, fmt.Sprintf("%02d", int(t/time.Minute)))
		} else {
			parts = append(parts, clock(t))
		}
	}
	list := parts[0]
	if n := len(parts); n > 1 {
		list = strings.Join(parts[:n-1], ", ") + " and " + parts[n-1]
	}
	if s.subHour() {
		return "at minutes " + list + " of every hour"
	}
	return "at " + list
}

// clock is an offset from midnight as HH:MM.
func clock(t time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(t/time.Hour), int(t%time.Hour/time.Minute))
}

// Next returns the first time after now that s fires at, in now's
// location.
func (s Spec) Next(now time.Time) time.Time {
	y, m, d := now.Date()
	for day := 0; day <= 1; day++ {
		for h := 0; h < 24; h++ {
			if s.subHour() || h == 0 {
				for _, t := range s.Times() {
					at := time.Date(y, m, d+day, h+int(t/time.Hour), int(t%time.Hour/time.Minute), 0, 0, now.Location())
					if at.After(now) {
						return at
					}
				}
			}
		}
	}
	return time.Time{} // unreachable for a valid spec: a day holds a firing
}

// Commands are s's jobs as full command lines, the program first.
func (s Spec) Commands() [][]string {
	out := make([][]string, len(s.Jobs))
	for i, j := range s.Jobs {
		out[i] = append([]string{s.Program}, j...)
	}
	return out
}

// header is the comment every written file starts with (in the file's
// own comment syntax).
const header = "Written by 'fedimarks schedule install'; 'fedimarks schedule remove' removes it."
