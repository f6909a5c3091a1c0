package remote

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter parses an answer's Retry-After (a delay in seconds or an HTTP
// date, the latter measured against the answer's Date when present, else
// now()). It returns 0 when the header is absent or unusable, at most
// MaxWait.
func RetryAfter(h http.Header, now func() time.Time) time.Duration {
	s := strings.TrimSpace(h.Get("Retry-After"))
	if s == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(MaxWait/time.Second) {
			return MaxWait
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(s); err == nil {
		d = t.Sub(serverNow(h, now))
	}
	return min(max(d, 0), MaxWait)
}

// serverNow is the answer's Date when present, else the local now.
func serverNow(h http.Header, now func() time.Time) time.Time {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		return d
	}
	return now()
}
