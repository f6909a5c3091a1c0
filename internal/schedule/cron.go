package schedule

import (
	"fmt"
	"strings"
	"time"
)

// CrontabLine is the line to add to a crontab (`crontab -e`) that runs
// s's jobs at s's times: the shell exports s.Env, then runs the jobs one
// after the other. Percent signs are escaped, since cron reads "%" as a
// line break.
func CrontabLine(s Spec) string {
	var b strings.Builder
	b.WriteString(cronTimes(s))
	b.WriteString(" ")
	if len(s.Env) > 0 {
		b.WriteString("export")
		for _, v := range s.Env {
			b.WriteString(" " + v.Name + "=" + shellQuote(v.Value))
		}
		b.WriteString("; ")
	}
	lines := make([]string, len(s.Jobs))
	for i, c := range s.Commands() {
		lines[i] = shellLine(c)
	}
	b.WriteString(strings.Join(lines, "; "))
	return strings.ReplaceAll(b.String(), "%", `\%`)
}

// cronTimes is s's times as a crontab's five time fields.
func cronTimes(s Spec) string {
	m := int(s.At % time.Hour / time.Minute)
	switch {
	case s.subHour():
		return fmt.Sprintf("%d-59/%d * * * *", m, int(s.Every/time.Minute))
	case s.Every == time.Hour:
		return fmt.Sprintf("%d * * * *", m)
	case s.Every < 24*time.Hour:
		return fmt.Sprintf("%d %d-23/%d * * *", m, int(s.At/time.Hour), int(s.Every/time.Hour))
	}
	return fmt.Sprintf("%d %d * * *", m, int(s.At/time.Hour))
}
