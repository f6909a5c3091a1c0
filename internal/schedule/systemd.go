package schedule

import (
	"fmt"
	"strings"
	"time"
)

// SystemdService is the user service (Name + ".service") that runs s's
// jobs once: a oneshot, at low CPU and I/O priority. Every job but the
// last may fail without stopping the others (the "-" prefix); the last
// one's exit is the service's result.
func SystemdService(s Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n[Unit]\nDescription=fedimarks: back up fediverse bookmarks\n\n[Service]\nType=oneshot\n", header)
	for _, v := range s.Env {
		fmt.Fprintf(&b, "Environment=%s\n", systemdQuote(v.Name+"="+v.Value, false))
	}
	for i, c := range s.Commands() {
		prefix := "-"
		if i == len(s.Jobs)-1 {
			prefix = ""
		}
		words := make([]string, len(c))
		for k, w := range c {
			words[k] = systemdQuote(w, true)
		}
		fmt.Fprintf(&b, "ExecStart=%s%s\n", prefix, strings.Join(words, " "))
	}
	b.WriteString("Nice=10\nIOSchedulingClass=idle\n")
	return b.String()
}

// SystemdTimer is the user timer (Name + ".timer") that starts the
// service at s's times; Persistent= makes up a run missed while the
// machine was off or asleep.
func SystemdTimer(s Spec) string {
	return fmt.Sprintf(`# %s
[Unit]
Description=fedimarks: back up fediverse bookmarks every %s

[Timer]
OnCalendar=%s
Persistent=true
AccuracySec=1min

[Install]
WantedBy=timers.target
`, header, Every(s.Every), OnCalendar(s))
}

// OnCalendar is s's times as a systemd calendar event.
func OnCalendar(s Spec) string {
	m := int(s.At % time.Hour / time.Minute)
	switch {
	case s.subHour():
		return fmt.Sprintf("*-*-* *:%02d/%d:00", m, int(s.Every/time.Minute))
	case s.Every == time.Hour:
		return fmt.Sprintf("*-*-* *:%02d:00", m)
	case s.Every < 24*time.Hour:
		return fmt.Sprintf("*-*-* %02d/%d:%02d:00", int(s.At/time.Hour), int(s.Every/time.Hour), m)
	}
	return fmt.Sprintf("*-*-* %02d:%02d:00", int(s.At/time.Hour), m)
}

// systemdQuote makes w one word of a unit file's ExecStart= (exec, with
// "$" kept from variable expansion) or an Environment= assignment:
// double-quoted, with C escapes, when it holds anything but plain
// characters; "%" doubled everywhere, since systemd reads specifiers.
func systemdQuote(w string, exec bool) string {
	w = strings.ReplaceAll(w, "%", "%%")
	if exec {
		w = strings.ReplaceAll(w, "$", "$$")
	}
	if w != "" && !strings.ContainsFunc(w, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '\'' || r == '\\' || r == ';' || r == 0x7f
	}) {
		return w
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range w {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
