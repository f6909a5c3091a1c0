package ui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/fedimarks/fedimarks"
)

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
	return fedimarks.Count(int64(r+0.5)) + "/s"
}
