package schedule

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenCase is one schedule whose files are kept in testdata/NAME.
type goldenCase struct {
	name  string
	every time.Duration
	at    time.Duration
	jobs  [][]string
}

var goldenCases = []goldenCase{
	{"sync-6h", 6 * time.Hour, 2*time.Hour + 17*time.Minute, [][]string{
		{"backup", "--all", "--quiet"},
		{"sync", "--from", "alice@old.example", "--to", "alice@new.example", "--quiet"},
	}},
	{"backup-15m", 15 * time.Minute, 7 * time.Minute, [][]string{{"backup", "--all", "--quiet"}}},
	{"backup-1h", time.Hour, 42 * time.Minute, [][]string{{"backup", "--all", "--quiet"}}},
	{"backup-daily", 24 * time.Hour, 3*time.Hour + 5*time.Minute, [][]string{{"backup", "--all", "--quiet"}}},
}

// unixSpec is c with a program and a home whose paths need quoting (a
// space, a percent sign, a dollar, a quote) in every syntax.
func (c goldenCase) unixSpec() Spec {
	return Spec{Every: c.every, At: c.at, Program: "/opt/fedi marks/bin/fedimarks", Jobs: c.jobs,
		Env: []Var{{"FEDIMARKS_HOME", `/home/alice/it's 100% $mine`}, {"FEDIMARKS_SCHEDULED", "1"}}}
}

func (c goldenCase) windowsSpec() Spec {
	return Spec{Every: c.every, At: c.at, Program: `C:\Program Files\fedimarks\fedimarks.exe`, Jobs: c.jobs,
		Env: []Var{{"FEDIMARKS_HOME", `C:\Users\Alice & Bob\fedimarks`}, {"FEDIMARKS_SCHEDULED", "1"}}}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what is generated:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGoldenFiles(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			u, w := c.unixSpec(), c.windowsSpec()
			for _, s := range []Spec{u, w} {
				if err := s.Validate(); err != nil {
					t.Fatal(err)
				}
			}
			dir := filepath.Join("testdata", c.name)
			checkGolden(t, filepath.Join(dir, Name+".service"), SystemdService(u))
			checkGolden(t, filepath.Join(dir, Name+".timer"), SystemdTimer(u))
			checkGolden(t, filepath.Join(dir, Label+".plist"), LaunchdPlist(u))
			checkGolden(t, filepath.Join(dir, Name+".xml"), TaskXML(w))
			checkGolden(t, filepath.Join(dir, "crontab"), CrontabLine(u)+"\n")
		})
	}
}

func TestValidateRefusesWhatNoTargetCanSay(t *testing.T) {
	ok := goldenCases[0].unixSpec()
	for _, tc := range []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"5h does not divide the day", func(s *Spec) { s.Every = 5 * time.Hour }, "every 5h: pick one of 15m, 20m, 30m, 1h"},
		{"a week", func(s *Spec) { s.Every = 7 * 24 * time.Hour }, "every 7d"},
		{"first run past the period", func(s *Spec) { s.At = 6 * time.Hour }, "less than the period 6h"},
		{"seconds", func(s *Spec) { s.At = 90 * time.Second }, "whole minutes"},
		{"relative program", func(s *Spec) { s.Program = "fedimarks" }, "absolute path"},
		{"line break", func(s *Spec) { s.Env[0].Value = "a\nb" }, "line break"},
		{"bad variable", func(s *Spec) { s.Env = []Var{{"A B", "1"}} }, "not an environment variable name"},
		{"no job", func(s *Spec) { s.Jobs = nil }, "needs a job"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			s.Env = append([]Var(nil), ok.Env...)
			tc.edit(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error with %q", err, tc.want)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
	w := goldenCases[0].windowsSpec()
	w.Env[0].Value = `C:\100%`
	if _, err := w.Plan(TaskScheduler, Places{TaskFile: `C:\t.xml`}); err == nil || !strings.Contains(err.Error(), "percent sign") {
		t.Fatalf("a percent sign in a Task Scheduler task: %v, want it refused", err)
	}
}

func TestNextAndTimes(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, loc) }
	for _, tc := range []struct {
		every, at time.Duration
		now, want time.Time
		text      string
	}{
		{6 * time.Hour, 2*time.Hour + 17*time.Minute, at(1, 0, 0), at(1, 2, 17), "at 02:17, 08:17, 14:17 and 20:17"},
		{6 * time.Hour, 2*time.Hour + 17*time.Minute, at(1, 2, 17), at(1, 8, 17), ""},
		{6 * time.Hour, 2*time.Hour + 17*time.Minute, at(1, 21, 0), at(2, 2, 17), ""},
		{15 * time.Minute, 7 * time.Minute, at(1, 10, 8), at(1, 10, 22), "at minutes 07, 22, 37 and 52 of every hour"},
		{15 * time.Minute, 7 * time.Minute, at(1, 23, 53), at(2, 0, 7), ""},
		{24 * time.Hour, 3*time.Hour + 5*time.Minute, at(1, 3, 5), at(2, 3, 5), "at 03:05"},
		{time.Hour, 0, at(1, 9, 59), at(1, 10, 0), ""},
	} {
		s := Spec{Every: tc.every, At: tc.at}
		if got := s.Next(tc.now); !got.Equal(tc.want) {
			t.Errorf("every %s at %s: Next(%s) = %s, want %s", tc.every, tc.at, tc.now, got, tc.want)
		}
		if tc.text != "" && s.TimesText() != tc.text {
			t.Errorf("every %s at %s: TimesText() = %q, want %q", tc.every, tc.at, s.TimesText(), tc.text)
		}
	}
}

// firings are the times of one UTC day (from base) that s fires at, by
// Next.
func firings(s Spec, base time.Time) []time.Time {
	var out []time.Time
	for t := s.Next(base.Add(-time.Second)); t.Before(base.Add(24 * time.Hour)); t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

// TestCronFiresWhenTheOthersDo reads the crontab line's time fields as
// cron does and checks that they match the minutes Spec.Next gives.
func TestCronFiresWhenTheOthersDo(t *testing.T) {
	for _, c := range goldenCases {
		s := c.unixSpec()
		fields := strings.Fields(CrontabLine(s))[:5]
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var got []time.Time
		for m := 0; m < 24*60; m++ {
			at := base.Add(time.Duration(m) * time.Minute)
			if cronMatch(t, fields[0], at.Minute()) && cronMatch(t, fields[1], at.Hour()) && fields[2]+fields[3]+fields[4] == "***" {
				got = append(got, at)
			}
		}
		want := firings(s, base)
		if len(got) != len(want) || len(want) == 0 {
			t.Fatalf("%s: cron fires %d times a day, Next %d", c.name, len(got), len(want))
		}
		for i := range got {
			if !got[i].Equal(want[i]) {
				t.Fatalf("%s: cron fires at %s, Next says %s", c.name, got[i], want[i])
			}
		}
	}
}

// cronMatch reports whether a crontab field ("*", "7", "2-23/6",
// "7-59/15") matches v.
func cronMatch(t *testing.T, field string, v int) bool {
	if field == "*" {
		return true
	}
	rng, step, hasStep := strings.Cut(field, "/")
	lo, hi, isRange := strings.Cut(rng, "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		t.Fatalf("cron field %q", field)
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(hi); err != nil {
			t.Fatalf("cron field %q", field)
		}
	}
	n := 1
	if hasStep {
		if n, err = strconv.Atoi(step); err != nil {
			t.Fatalf("cron field %q", field)
		}
	}
	return v >= a && v <= b && (v-a)%n == 0
}

// TestSystemdAnalyzeVerify runs systemd's own checker on the generated
// units, with a program path that needs quoting, and checks that each
// timer's calendar fires when Next says.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "fedi marks 100%", "fedimarks")
	if err := os.MkdirAll(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, prog); err != nil {
		t.Fatal(err)
	}
	runtime := filepath.Join(dir, "run")
	if err := os.Mkdir(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	// Every case's units in one run of the checker (it takes most of a
	// second to start), each pair under its own name.
	var units []string
	for _, c := range goldenCases {
		s := c.unixSpec()
		s.Program = prog
		pl, err := s.Plan(Systemd, Places{SystemdDir: filepath.Join(dir, "units")})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range pl.Files {
			path := filepath.Join(filepath.Dir(f.Path), c.name+"-"+filepath.Base(f.Path))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Data, f.Mode); err != nil {
				t.Fatal(err)
			}
			units = append(units, path)
		}
	}
	if out, err := verify(sa, runtime, units...); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// A unit that is wrong must fail the same check, or the check proves
	// nothing.
	bad := filepath.Join(dir, "broken.service")
	good, err := os.ReadFile(units[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(string(good), "ExecStart=-", "ExecStart=-relative/", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(sa, runtime, bad); err == nil && len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("systemd-analyze verify accepts a relative ExecStart: the check is blind")
	}

	for _, c := range goldenCases {
		s := c.unixSpec()
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		want := firings(s, base)
		cmd := exec.Command(sa, "calendar", "--iterations="+strconv.Itoa(len(want)), "--base-time=2025-12-31 23:59:59 UTC", OnCalendar(s))
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("systemd-analyze calendar: %v\n%s", err, out)
		}
		var got []time.Time
		for _, line := range strings.Split(string(out), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
			if !ok || (k != "Next elapse" && !strings.HasPrefix(k, "Iter. #")) {
				continue
			}
			tm, err := time.Parse("Mon 2006-01-02 15:04:05 MST", strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("calendar line %q: %v", line, err)
			}
			got = append(got, tm.UTC())
		}
		if len(got) != len(want) {
			t.Fatalf("%s: systemd fires %d times a day, Next %d:\n%s", c.name, len(got), len(want), out)
		}
		for i := range got {
			if !got[i].Equal(want[i]) {
				t.Fatalf("%s: systemd fires at %s, Next says %s", c.name, got[i], want[i])
			}
		}
	}
}

// verify runs systemd-analyze verify --user on units, with a runtime
// directory of the test's, since no user manager may be running.
func verify(sa, runtime string, units ...string) ([]byte, error) {
	cmd := exec.Command(sa, append([]string{"verify", "--user"}, units...)...)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtime)
	return cmd.CombinedOutput()
}

// plist is the part of a launchd plist the checks read.
type plist struct {
	Dict struct {
		Items []struct {
			XMLName xml.Name
			Text    string `xml:",chardata"`
			Inner   []byte `xml:",innerxml"`
		} `xml:",any"`
	} `xml:"dict"`
}

func TestLaunchdPlistIsWellFormedAndFiresWhenTheOthersDo(t *testing.T) {
	for _, c := range goldenCases {
		s := c.unixSpec()
		var p plist
		if err := xml.Unmarshal([]byte(LaunchdPlist(s)), &p); err != nil {
			t.Fatalf("%s: plist is not well-formed: %v", c.name, err)
		}
		var key string
		var times []time.Duration
		for _, it := range p.Dict.Items {
			if it.XMLName.Local == "key" {
				key = it.Text
				continue
			}
			if key != "StartCalendarInterval" {
				continue
			}
			var arr struct {
				Dicts []struct {
					Keys []string `xml:"key"`
					Ints []int    `xml:"integer"`
				} `xml:"dict"`
			}
			if err := xml.Unmarshal(append(append([]byte("<a>"), it.Inner...), "</a>"...), &arr); err != nil {
				t.Fatal(err)
			}
			for _, d := range arr.Dicts {
				var at time.Duration
				for i, k := range d.Keys {
					switch k {
					case "Hour":
						at += time.Duration(d.Ints[i]) * time.Hour
					case "Minute":
						at += time.Duration(d.Ints[i]) * time.Minute
					default:
						t.Fatalf("unexpected key %s", k)
					}
				}
				times = append(times, at)
			}
		}
		want := s.Times()
		if len(times) != len(want) {
			t.Fatalf("%s: plist fires at %v, want %v", c.name, times, want)
		}
		for i := range want {
			if times[i] != want[i] {
				t.Fatalf("%s: plist fires at %v, want %v", c.name, times, want)
			}
		}
	}
}

func TestTaskXMLIsUTF16AndWellFormed(t *testing.T) {
	s := goldenCases[0].windowsSpec()
	b := EncodeUTF16(TaskXML(s))
	if b[0] != 0xff || b[1] != 0xfe || len(b)%2 != 0 {
		t.Fatalf("task file does not start with a UTF-16LE byte order mark")
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 2; i < len(b); i += 2 {
		u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
	}
	text := string(utf16.Decode(u))
	if text != TaskXML(s) {
		t.Fatalf("UTF-16 round trip changed the text")
	}
	var task struct {
		Args string `xml:"Actions>Exec>Arguments"`
	}
	// encoding/xml reads UTF-8 only: say so to check the rest.
	if err := xml.Unmarshal([]byte(strings.Replace(text, `encoding="UTF-16"`, `encoding="UTF-8"`, 1)), &task); err != nil {
		t.Fatalf("task XML is not well-formed: %v", err)
	}
	want := `/d /c set "FEDIMARKS_HOME=C:\Users\Alice & Bob\fedimarks" && set "FEDIMARKS_SCHEDULED=1" && ` +
		`"C:\Program Files\fedimarks\fedimarks.exe" backup --all --quiet & "C:\Program Files\fedimarks\fedimarks.exe" sync --from alice@old.example --to alice@new.example --quiet`
	if task.Args != want {
		t.Fatalf("task arguments:\n got %s\nwant %s", task.Args, want)
	}
}
