package schedule

import (
	"fmt"
	"strings"
	"time"
)

// LaunchdPlist is the launchd agent (Label + ".plist" in
// ~/Library/LaunchAgents) that runs s's jobs at s's times: launchd runs a
// calendar job missed while the Mac slept once it wakes. One job runs the
// program itself; several run through /bin/sh, one after the other.
func LaunchdPlist(s Spec) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- ` + header + ` -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Label + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	args := s.Commands()[0]
	if len(s.Jobs) > 1 {
		lines := make([]string, len(s.Jobs))
		for i, c := range s.Commands() {
			lines[i] = shellLine(c)
		}
		args = []string{"/bin/sh", "-c", strings.Join(lines, "; ")}
	}
	for _, a := range args {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", xmlText(a))
	}
	b.WriteString("\t</array>\n")
	if len(s.Env) > 0 {
		b.WriteString("\t<key>EnvironmentVariables</key>\n\t<dict>\n")
		for _, v := range s.Env {
			fmt.Fprintf(&b, "\t\t<key>%s</key>\n\t\t<string>%s</string>\n", xmlText(v.Name), xmlText(v.Value))
		}
		b.WriteString("\t</dict>\n")
	}
	b.WriteString("\t<key>StartCalendarInterval</key>\n\t<array>\n")
	for _, t := range s.Times() {
		b.WriteString("\t\t<dict>\n")
		if !s.subHour() {
			fmt.Fprintf(&b, "\t\t\t<key>Hour</key>\n\t\t\t<integer>%d</integer>\n", int(t/time.Hour))
		}
		fmt.Fprintf(&b, "\t\t\t<key>Minute</key>\n\t\t\t<integer>%d</integer>\n", int(t%time.Hour/time.Minute))
		b.WriteString("\t\t</dict>\n")
	}
	b.WriteString(`	</array>
	<key>ProcessType</key>
	<string>Background</string>
	<key>LowPriorityIO</key>
	<true/>
	<key>Nice</key>
	<integer>10</integer>
</dict>
</plist>
`)
	return b.String()
}

// xmlText escapes s for XML character data (Validate has refused the
// control characters XML cannot hold).
var xmlText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// shellLine is one POSIX shell command line running args.
func shellLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// shellQuote makes w one word for a POSIX shell: as it is when it holds
// only characters the shell takes literally, else single-quoted.
func shellQuote(w string) string {
	if w != "" && !strings.ContainsFunc(w, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
