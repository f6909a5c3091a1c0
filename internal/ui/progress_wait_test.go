package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// lastFrame is the last bar drawn on a terminal: the text after the last \r
// that is not a clearing one.
func lastFrame(s string) string {
	frames := strings.Split(s, "\r")
	for i := len(frames) - 1; i >= 0; i-- {
		if f := strings.TrimSpace(frames[i]); f != "" {
			return f
		}
	}
	return ""
}

// Issue 12: a wait shows in the bar, counting down, instead of a line per
// wait; the bar goes back to the rate once the wait is over.
func TestWaitShowsInTheBar(t *testing.T) {
	c := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "import bob@b", Total: 100, Unit: "rows", TTY: true, Width: 120, Now: c.Now})
	p.Add(10)
	c.Advance(2 * time.Second)
	p.Add(10)
	p.Wait(29*time.Second, "for the rate limit")
	p.Wait(28*time.Second, "for the rate limit") // a second resolver, same window
	if got := lastFrame(buf.String()); !strings.Contains(got, "20/100 rows") || !strings.Contains(got, "waiting 29s for the rate limit") {
		t.Errorf("bar during the wait = %q", got)
	}
	c.Advance(10 * time.Second)
	p.Tick()
	if got := lastFrame(buf.String()); !strings.Contains(got, "waiting 19s for the rate limit") {
		t.Errorf("bar 10s into the wait = %q, want the wait counted down", got)
	}
	if strings.Contains(buf.String(), "\n") {
		t.Errorf("waits wrote lines on a terminal: %q", buf.String())
	}
	c.Advance(20 * time.Second)
	p.Add(1)
	if got := lastFrame(buf.String()); strings.Contains(got, "waiting") {
		t.Errorf("bar after the wait = %q", got)
	}
}

// Without a terminal a wait is one line, not one per waiting request.
func TestWaitPlainOneLine(t *testing.T) {
	c := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "import bob@b", Total: 100, Unit: "rows", Now: c.Now})
	p.Wait(29*time.Second, "for the rate limit")
	p.Wait(29*time.Second, "for the rate limit")
	c.Advance(time.Second)
	p.Wait(28*time.Second, "for the rate limit")
	if got, want := buf.String(), "import bob@b: waiting 29s for the rate limit\n"; got != want {
		t.Errorf("plain waits = %q, want %q", got, want)
	}
	c.Advance(30 * time.Second)
	p.Wait(5*time.Second, "(503)")
	if !strings.HasSuffix(buf.String(), "import bob@b: waiting 5s (503)\n") {
		t.Errorf("a new wait after the first is over: %q", buf.String())
	}
}

// Issue 12: the ETA knows the rate limit. A burst runs fast; the time
// left is the budget's, not the burst's.
func TestETAFromBudget(t *testing.T) {
	c := newClock()
	var buf bytes.Buffer
	budget := func(left int64) (time.Duration, bool) {
		// 2 requests a row, 10 requests per 5 minutes, none left now.
		return time.Duration(2*left/10) * 5 * time.Minute, true
	}
	p := NewProgress(&buf, ProgressOptions{Label: "import", Total: 100, Unit: "rows", TTY: true, Width: 120, Now: c.Now, ETA: budget})
	c.Advance(2 * time.Second)
	p.Add(50) // 25 rows a second: the burst says 2s left
	if got := lastFrame(buf.String()); !strings.Contains(got, "ETA 50m") {
		t.Errorf("bar = %q, want the budget's ETA of 50m", got)
	}
	// After a long wait the rate is low, but the budget knows better.
	c.Advance(5 * time.Minute)
	p.Add(1)
	if got := lastFrame(buf.String()); !strings.Contains(got, "ETA 45m") {
		t.Errorf("bar after a wait = %q, want the budget's ETA of 45m, not the rate's", got)
	}
	// When the rest fits in the budget, the rate decides.
	p2 := NewProgress(&buf, ProgressOptions{Label: "import", Total: 100, Unit: "rows", TTY: true, Width: 120, Now: c.Now,
		ETA: func(int64) (time.Duration, bool) { return 0, true }})
	c.Advance(5 * time.Second)
	p2.Add(50)
	if got := lastFrame(buf.String()); !strings.Contains(got, "ETA 5s") {
		t.Errorf("bar = %q, want the rate's ETA of 5s", got)
	}
}

// Show writes a line at once: a job that starts with a long read says so
// before the first answer.
func TestShowAtOnce(t *testing.T) {
	c := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "reading bob@b's bookmarks", Unit: "so far", Now: c.Now})
	p.Show()
	if got, want := buf.String(), "reading bob@b's bookmarks: 0 so far\n"; got != want {
		t.Errorf("Show = %q, want %q", got, want)
	}
	buf.Reset()
	p = NewProgress(&buf, ProgressOptions{Label: "reading bob@b's bookmarks", Unit: "so far", TTY: true, Width: 80, Now: c.Now})
	p.Show()
	if got := lastFrame(buf.String()); got != "reading bob@b's bookmarks 0 so far" {
		t.Errorf("Show on a terminal = %q", got)
	}
}

// Quiet progress draws nothing and closes with nothing; notes still show.
func TestQuietProgress(t *testing.T) {
	c := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "backup", Total: 10, TTY: true, Quiet: true, Now: c.Now})
	p.Show()
	p.Add(5)
	c.Advance(10 * time.Second)
	p.Add(5)
	p.Wait(time.Minute, "for the rate limit")
	p.Tick()
	p.Note("skipped one")
	p.Finish()
	if buf.String() != "skipped one\n" {
		t.Errorf("quiet progress wrote %q, want the note only", buf.String())
	}
}
