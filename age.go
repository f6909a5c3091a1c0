package fedimarks

import (
	"time"
)

// Ago says for a person how long ago something happened that is d old:
// "less than a minute ago", "5 minutes ago", "3 hours ago", "9 days ago".
// Whole units, rounded down; days from 48 hours on, hours from 2 hours on.
func Ago(d time.Duration) string {
	unit := func(n int64, one string) string { return Plural(n, one) + " ago" }
	switch {
	case d < time.Minute:
		return "less than a minute ago"
	case d < 2*time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	}
	return unit(int64(d/(24*time.Hour)), "day")
}
