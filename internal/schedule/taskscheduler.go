package schedule

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// TaskXML is the Task Scheduler task (registered as Name by
// `schtasks /Create /XML`) that runs s's jobs at s's times, catching up on
// a run missed while the computer was off (StartWhenAvailable), as the
// user, only while they are logged on (so that it reaches their
// Credential Manager). Task Scheduler gives a program no environment of
// its own, so the jobs run through cmd.exe, which sets s.Env first; jobs
// after the first run whatever the one before did.
//
// The text says it is UTF-16, as schtasks wants it: write it with
// EncodeUTF16.
func TaskXML(s Spec) string {
	interval := ""
	if s.Every < 24*time.Hour {
		interval = fmt.Sprintf(`
      <Repetition>
        <Interval>%s</Interval>
        <Duration>P1D</Duration>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>`, isoDuration(s.Every))
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-16"?>
<!-- %s -->
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>fedimarks: back up fediverse bookmarks every %s</Description>
    <URI>\%s</URI>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>%s
      <StartBoundary>2020-01-01T%s:00</StartBoundary>
      <Enabled>true</Enabled>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <ExecutionTimeLimit>PT12H</ExecutionTimeLimit>
    <Priority>7</Priority>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>%%SystemRoot%%\System32\cmd.exe</Command>
      <Arguments>%s</Arguments>
    </Exec>
  </Actions>
</Task>
`, header, Every(s.Every), Name, interval, clock(s.At), xmlText(cmdLine(s)))
}

// isoDuration is d (whole minutes) as an ISO 8601 duration: PT15M, PT6H.
func isoDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("PT%dH", d/time.Hour)
	}
	return fmt.Sprintf("PT%dM", d/time.Minute)
}

// cmdLine is the argument line of `cmd.exe /d /c` that sets s.Env and
// runs s's jobs one after the other. Validated with CheckCmd.
func cmdLine(s Spec) string {
	var parts []string
	for _, v := range s.Env {
		parts = append(parts, `set "`+v.Name+"="+v.Value+`"`)
	}
	env := strings.Join(parts, " && ")
	var jobs []string
	for _, c := range s.Commands() {
		words := make([]string, len(c))
		for i, w := range c {
			words[i] = cmdQuote(w)
		}
		jobs = append(jobs, strings.Join(words, " "))
	}
	line := strings.Join(jobs, " & ")
	if env != "" {
		line = env + " && " + line
	}
	return "/d /c " + line
}

// cmdQuote makes w one word of a cmd.exe line: double-quoted when it
// holds a space or a character cmd.exe acts on.
func cmdQuote(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t&|<>^()!,;=") {
		return w
	}
	return `"` + w + `"`
}

// CheckCmd reports whether s can be said as a cmd.exe line: no value may
// hold a double quote or a percent sign, which cmd.exe would act on even
// inside quotes.
func CheckCmd(s Spec) error {
	for _, str := range s.strings() {
		if strings.ContainsAny(str, `"%`) {
			return fmt.Errorf("%q holds %s, which a Task Scheduler task running cmd.exe cannot pass on: move fedimarks or its home to a path without it",
				str, `a double quote or a percent sign`)
		}
	}
	return nil
}

// EncodeUTF16 is s in UTF-16 little-endian with a byte order mark, the
// encoding schtasks reads task files in.
func EncodeUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(u))
	b[0], b[1] = 0xff, 0xfe
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}
