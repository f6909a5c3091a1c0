package ui

import (
	"fmt"
	"strconv"
	"time"
)

// Count formats n with a comma between each group of three digits: 1000 is
// "1,000", -1234567 is "-1,234,567".
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg = true
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	first := len(s) % 3
	if first == 0 {
		first = 3
	}
	out = append(out, s[:first]...)
	for i := first; i < len(s); i += 3 {
		out = append(out, ',')
		out = append(out, s[i:i+3]...)
	}
	return string(out)
}

// Duration formats d for a person, rounded to whole seconds: "45s",
// "1m30s", "1m05s", and from one hour on without seconds: "2h05m". Anything
// under half a second is "0s"; a negative duration gets a leading "-".
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int64(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int64(d/time.Minute), int64(d%time.Minute/time.Second))
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int64(d/time.Hour), int64(d%time.Hour/time.Minute))
	}
}

// Bytes formats n bytes in binary units: "512 B", "1.5 KiB", "20.0 MiB".
func Bytes(n int64) string {
	if n < 0 {
		return "-" + Bytes(-n)
	}
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	i := -1
	for v >= unit && i < len(byteUnits)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, byteUnits[i])
}

var byteUnits = [...]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// rate formats a per-second rate: one decimal below 100, grouped digits above.
func rate(r float64, bytes bool) string {
	if bytes {
		return Bytes(int64(r+0.5)) + "/s"
	}
	if r < 100 {
		return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
	}
	return Count(int64(r+0.5)) + "/s"
}
