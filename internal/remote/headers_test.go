package remote

import (
	"net/http"
	"testing"
	"time"
)

// epoch is the fake "now" of tests: far from the real clock, so that a
// test passing proves the server's Date, not the local clock, was used
// where it should be.
var epoch = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// parseRateLimit reads X-RateLimit-Limit, -Remaining and -Reset as the
// server wrote them (see readRateInfo; a reset that is no time is zero).
func parseRateLimit(h http.Header, now func() time.Time) (RateLimit, bool) {
	info, ok := readRateInfo(h, now())
	if !ok {
		return RateLimit{}, false
	}
	return RateLimit{Limit: info.limit, Remaining: info.remaining, Reset: info.reset, Known: true}, true
}

func TestParseRateLimitReset(t *testing.T) {
	now := func() time.Time { return epoch }
	tests := []struct {
		reset string
		want  time.Time
	}{
		{"2026-11-22T17:05:00.123456Z", time.Date(2026, 11, 22, 17, 5, 0, 123456000, time.UTC)},
		{"2026-11-22T17:05:00.000Z", time.Date(2026, 11, 22, 17, 5, 0, 0, time.UTC)},
		{"2026-11-22T17:05:00Z", time.Date(2026, 11, 22, 17, 5, 0, 0, time.UTC)},
		{"2026-11-22T18:05:00+01:00", time.Date(2026, 11, 22, 17, 5, 0, 0, time.UTC)},
		{"1700000000", time.Unix(1700000000, 0)},
		{"30", epoch.Add(30 * time.Second)},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", "300")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", tt.reset)
		rl, ok := parseRateLimit(h, now)
		if !ok || !rl.Known || rl.Limit != 300 || rl.Remaining != 0 {
			t.Fatalf("%s: parseRateLimit = %+v, %v", tt.reset, rl, ok)
		}
		if !rl.Reset.Equal(tt.want) {
			t.Errorf("%s: Reset = %v, want %v", tt.reset, rl.Reset, tt.want)
		}
	}
	if _, ok := parseRateLimit(http.Header{}, now); ok {
		t.Error("parseRateLimit of no headers reported ok")
	}
}

func TestRetryAfter(t *testing.T) {
	now := func() time.Time { return epoch }
	h := http.Header{}
	h.Set("Retry-After", "30")
	if got := RetryAfter(h, now); got != 30*time.Second {
		t.Errorf("Retry-After 30 = %v", got)
	}
	h = http.Header{}
	h.Set("Date", epoch.Add(-time.Hour).Format(http.TimeFormat))
	h.Set("Retry-After", epoch.Add(-time.Hour+45*time.Second).Format(http.TimeFormat))
	if got := RetryAfter(h, now); got != 45*time.Second {
		t.Errorf("Retry-After as a date, measured from Date = %v, want 45s", got)
	}
	h = http.Header{}
	h.Set("Retry-After", "86400")
	if got := RetryAfter(h, now); got != MaxWait {
		t.Errorf("Retry-After a day = %v, want the cap %v", got, MaxWait)
	}
	h = http.Header{}
	h.Set("Retry-After", "soon")
	if got := RetryAfter(h, now); got != 0 {
		t.Errorf("Retry-After garbage = %v, want 0", got)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	p := New(Options{Backoff: time.Second})
	prev := time.Duration(0)
	for n := 1; n <= 10; n++ {
		d := p.Backoff(n)
		base := time.Second << (n - 1)
		if base > maxBackoff {
			base = maxBackoff
		}
		if d < base || d > maxBackoff || (base < maxBackoff && d >= base+base/4) {
			t.Fatalf("backoffFor(%d) = %v, want in [%v, %v+25%%], capped at %v", n, d, base, base, maxBackoff)
		}
		if d < prev && base < maxBackoff {
			t.Fatalf("backoffFor(%d) = %v shrank from %v", n, d, prev)
		}
		prev = d
	}
}
