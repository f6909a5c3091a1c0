package transfer

import (
	"strings"
	"testing"
	"time"
)

// TestEstimateTimeFromBudget: the time an estimate announces follows what
// the destination reported of its budget.
func TestEstimateTimeFromBudget(t *testing.T) {
	for _, c := range []struct {
		name     string
		requests int
		budget   Budget
		answered bool
		want     time.Duration
		text     string
	}{
		{"fits in what is left", 250, Budget{Reported: true, Limit: 300, Remaining: 250, ResetIn: 4 * time.Minute}, true, 0,
			", within the 250 left in h's rate-limit window: no wait for it"},
		{"one more window", 251, Budget{Reported: true, Limit: 300, Remaining: 250, ResetIn: 4 * time.Minute}, true, 4 * time.Minute,
			": 250 left in h's rate-limit window, which ends in 4m, then 300 a window: about 4m"},
		{"nothing left, three windows", 900, Budget{Reported: true, Limit: 300, Remaining: 0, ResetIn: 10 * time.Second}, true, 10*time.Second + 10*time.Minute,
			": 0 left in h's rate-limit window, which ends in 10s, then 300 a window: about 10m10s"},
		{"a window longer than Mastodon's", 50, Budget{Reported: true, Limit: 20, Remaining: 0, ResetIn: time.Hour}, true, 3 * time.Hour,
			"then 20 a window: about 3h00m"},
		{"no headers", 5000, Budget{}, true, 0,
			"; h sends no rate-limit headers (X-RateLimit-*): the estimate is the request count only"},
		{"not asked yet", 600, Budget{}, false, 10 * time.Minute,
			": about 10m at 300 requests per 5m (Mastodon's limit; h's own is not known yet)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := Estimate{Requests: c.requests, Budget: c.budget, Answered: c.answered}
			e.timeNeeded()
			if e.Duration != c.want {
				t.Errorf("duration %s, want %s", e.Duration, c.want)
			}
			if got := e.timeText("h"); !strings.Contains(got, c.text) {
				t.Errorf("text %q lacks %q", got, c.text)
			}
		})
	}
}
