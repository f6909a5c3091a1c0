package ui

import (
	"io"
	"testing"
	"time"
)

// TestSnapshot: a snapshot carries the counts, the wait under way and
// the ETA the rate limit gives, and says when the step ended.
func TestSnapshot(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := NewProgress(io.Discard, ProgressOptions{Label: "import bob@b.example", Total: 300, Unit: "rows",
		Now: func() time.Time { return now },
		ETA: func(left int64) (time.Duration, bool) { return time.Duration(left) * time.Second, true }})
	p.Add(100)
	p.Wait(90*time.Second, "for the rate limit")
	s := p.Snapshot()
	if s.Done != 100 || s.Total != 300 || s.Counts != "100/300 rows" || s.Wait != "waiting 1m30s for the rate limit" ||
		s.ETA != "ETA 3m20s" || s.Finished {
		t.Fatalf("snapshot %+v", s)
	}
	p.Finish()
	if !p.Snapshot().Finished {
		t.Error("not finished after Finish")
	}
}
