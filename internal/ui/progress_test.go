package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
)

// newClock is the fake clock progress tests start from.
func newClock() *clocktest.Clock {
	return clocktest.New(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {400 * time.Millisecond, "0s"}, {45 * time.Second, "45s"},
		{59600 * time.Millisecond, "1m00s"}, {90 * time.Second, "1m30s"},
		{65 * time.Second, "1m05s"}, {2*time.Hour + 5*time.Minute + 10*time.Second, "2h05m"},
		{time.Hour + 59*time.Minute + 40*time.Second, "2h00m"}, {30 * time.Hour, "30h00m"},
		{-90 * time.Second, "-1m30s"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{20 << 20, "20.0 MiB"}, {3 << 30, "3.0 GiB"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestPlainLinesOnlyAfterInterval(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{
		Label: "backup alice@host", Total: 1000, Unit: "bookmarks", Now: clock.Now,
	})
	p.Add(10)
	clock.Advance(4 * time.Second)
	p.Add(40)
	if buf.Len() != 0 {
		t.Fatalf("output before the 5s default interval: %q", buf.String())
	}
	clock.Advance(time.Second)
	p.Add(50)
	want := "backup alice@host: 100/1,000 bookmarks (20.0/s, ETA 45s)\n"
	if buf.String() != want {
		t.Fatalf("after 5s got %q, want %q", buf.String(), want)
	}
	clock.Advance(2 * time.Second)
	p.Add(10)
	if buf.String() != want {
		t.Fatalf("a second line came before the interval: %q", buf.String())
	}
	clock.Advance(3 * time.Second)
	p.Add(10)
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("want 2 lines after 10s, got %d: %q", n, buf.String())
	}
	if strings.Contains(buf.String(), "\r") {
		t.Fatalf("plain mode wrote a carriage return: %q", buf.String())
	}
}

func TestPlainCustomInterval(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "export", Unit: "rows", Interval: time.Second, Now: clock.Now})
	for i := 0; i < 3; i++ {
		clock.Advance(time.Second)
		p.Add(5)
	}
	want := "export: 5 rows (5.0/s)\nexport: 10 rows (5.0/s)\nexport: 15 rows (5.0/s)\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestRateIsMovingAverage(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Total: 10000, Interval: time.Second, Now: clock.Now})
	for i := 0; i < 20; i++ {
		clock.Advance(time.Second)
		p.Add(10)
	}
	if got, want := lastLine(buf.String()), "200/10,000 (10.0/s, ETA 16m20s)"; got != want {
		t.Fatalf("steady: got %q, want %q", got, want)
	}
	// A rate-limit wait: nothing for a minute.
	clock.Advance(60 * time.Second)
	p.Add(0)
	if got, want := lastLine(buf.String()), "200/10,000 (0.0/s)"; got != want {
		t.Fatalf("during the wait: got %q, want %q", got, want)
	}
	clock.Advance(time.Second)
	p.Add(10)
	got := lastLine(buf.String())
	if !strings.HasPrefix(got, "210/10,000 (0.2/s, ETA ") || !strings.HasSuffix(got, "h35m)") {
		t.Fatalf("just after the wait the ETA should be long: %q", got)
	}
	// Ten seconds of steady work bring the rate back.
	for i := 0; i < 10; i++ {
		clock.Advance(time.Second)
		p.Add(10)
	}
	if got, want := lastLine(buf.String()), "310/10,000 (10.0/s, ETA 16m09s)"; got != want {
		t.Fatalf("recovered: got %q, want %q", got, want)
	}
}

func TestStartIsNotCountedInRate(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Total: 1000, Start: 500, Unit: "rows", Now: clock.Now})
	clock.Advance(5 * time.Second)
	p.Add(50)
	if got, want := buf.String(), "550/1,000 rows (10.0/s, ETA 45s)\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	p.Finish()
	if got, want := lastLine(buf.String()), "550/1,000 rows in 5s (10.0/s)"; got != want {
		t.Fatalf("finish: got %q, want %q", got, want)
	}
}

func TestSetLowerRestartsRate(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Interval: time.Second, Now: clock.Now})
	clock.Advance(2 * time.Second)
	p.Set(1000)
	clock.Advance(2 * time.Second)
	p.Set(20)
	if got, want := lastLine(buf.String()), "20"; got != want {
		t.Fatalf("right after a restart the rate is unknown: got %q, want %q", got, want)
	}
	clock.Advance(2 * time.Second)
	p.Set(40)
	if got, want := lastLine(buf.String()), "40 (10.0/s)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestByteUnits(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "download", Total: 3 << 20, Unit: "bytes", Now: clock.Now})
	clock.Advance(5 * time.Second)
	p.Set(3 << 19)
	if got, want := buf.String(), "download: 1.5 MiB/3.0 MiB (307.2 KiB/s, ETA 5s)\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if strings.Contains(buf.String(), "bytes") {
		t.Fatalf("the unit name should not be printed for bytes: %q", buf.String())
	}
}

// redraws splits TTY output into the lines drawn after each "\r", leaving
// out clears (only spaces) and the spaces that cover a longer line.
func redraws(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "\r")[1:] {
		if strings.TrimSpace(part) != "" {
			out = append(out, strings.TrimRight(part, " "))
		}
	}
	return out
}

// cleared matches a bar being blanked: "\r", spaces, "\r".
var cleared = regexp.MustCompile(`\r +\r`)

var barLine = regexp.MustCompile(`^backup alice@host \[=*>? *\] 420/1,000 bookmarks  10\.0/s  ETA 58s$`)

func TestTTYBar(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{
		Label: "backup alice@host", Total: 1000, Unit: "bookmarks", TTY: true, Width: 120, Now: clock.Now,
	})
	if buf.Len() != 0 {
		t.Fatalf("NewProgress wrote %q", buf.String())
	}
	for i := 0; i < 42; i++ {
		clock.Advance(time.Second)
		p.Add(10)
	}
	draws := redraws(buf.String())
	if len(draws) != 42 {
		t.Fatalf("want 42 redraws, got %d: %q", len(draws), buf.String())
	}
	last := draws[len(draws)-1]
	if !barLine.MatchString(last) {
		t.Fatalf("bar %q does not match %v", last, barLine)
	}
	if strings.Contains(buf.String(), "\n") {
		t.Fatalf("bar wrote a newline: %q", buf.String())
	}
	for _, d := range draws {
		if n := len([]rune(d)); n > 119 {
			t.Fatalf("line of %d columns in a 120-column terminal: %q", n, d)
		}
	}
	// 42% of a 50-column bar.
	if !strings.Contains(last, "["+strings.Repeat("=", 20)+">"+strings.Repeat(" ", 29)+"]") {
		t.Fatalf("bar fill wrong: %q", last)
	}
}

func TestTTYRedrawsAtMostTenTimesASecond(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Total: 1000, TTY: true, Width: 80, Now: clock.Now})
	for i := 0; i < 100; i++ {
		clock.Advance(10 * time.Millisecond)
		p.Add(1)
	}
	// One second of updates every 10ms: the first draws at once, then one
	// every 100ms.
	if n := len(redraws(buf.String())); n < 9 || n > 11 {
		t.Fatalf("want about 10 redraws in one second, got %d", n)
	}
}

func TestTTYWidthAware(t *testing.T) {
	clock := newClock()
	for _, width := range []int{120, 60, 40, 20} {
		var buf bytes.Buffer
		p := NewProgress(&buf, ProgressOptions{
			Label: "import bob@example.social", Total: 100000, Unit: "bookmarks", TTY: true, Width: width, Now: clock.Now,
		})
		clock.Advance(2 * time.Second)
		p.Add(12345)
		draws := redraws(buf.String())
		if len(draws) != 1 {
			t.Fatalf("width %d: want one draw, got %q", width, buf.String())
		}
		if n := len([]rune(draws[0])); n > width-1 {
			t.Fatalf("width %d: line of %d columns: %q", width, n, draws[0])
		}
		hasBar := strings.Contains(draws[0], "[")
		if width >= 80 && !hasBar {
			t.Fatalf("width %d: expected a bar: %q", width, draws[0])
		}
		if width <= 60 && hasBar {
			t.Fatalf("width %d: no room for a bar, got %q", width, draws[0])
		}
	}
}

func TestTTYShorterLineCoversLonger(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Unit: "rows", TTY: true, Width: 80, Now: clock.Now})
	clock.Advance(2 * time.Second)
	p.Add(2000) // "2,000 rows  1,000/s"
	clock.Advance(20 * time.Second)
	p.Add(0) // "2,000 rows  0.0/s", two columns shorter
	first := "\r2,000 rows  1,000/s"
	if got, want := buf.String(), first+"\r2,000 rows  0.0/s  "; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestTTYUnknownTotal(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "count", Unit: "rows", TTY: true, Width: 80, Now: clock.Now})
	clock.Advance(10 * time.Second)
	p.Add(42)
	if got, want := buf.String(), "\rcount 42 rows  4.2/s"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	p.SetTotal(84)
	clock.Advance(time.Second)
	p.Add(0)
	if last := redraws(buf.String()); !strings.Contains(last[len(last)-1], "42/84 rows") ||
		!strings.Contains(last[len(last)-1], "ETA") {
		t.Fatalf("SetTotal not shown: %q", last[len(last)-1])
	}
}

func TestNoteTTY(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "backup", Total: 10, TTY: true, Width: 80, Now: clock.Now})
	clock.Advance(time.Second)
	p.Add(1)
	before := buf.Len()
	p.Note("waiting %s for the rate limit to reset", Duration(90*time.Second))
	out := buf.String()[before:]
	if !regexp.MustCompile(`^\r {30,}\rwaiting 1m30s for the rate limit to reset\n\rbackup \[`).MatchString(out) {
		t.Fatalf("note should clear the bar, print a line, redraw the bar: %q", out)
	}
}

func TestNotePlain(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "backup", Total: 10, Now: clock.Now})
	p.Add(1)
	p.Note("skipped %d posts\n", 3)
	if got, want := buf.String(), "skipped 3 posts\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestFinishTTY(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "backup alice@host", Total: 1000, Unit: "bookmarks", TTY: true, Width: 100, Now: clock.Now})
	for i := 0; i < 100; i++ {
		clock.Advance(time.Second)
		p.Add(10)
	}
	p.Finish()
	want := "\rbackup alice@host: 1,000/1,000 bookmarks in 1m40s (10.0/s)\n"
	if !strings.HasSuffix(buf.String(), want) {
		t.Fatalf("finish: got tail %q, want %q", buf.String()[max(0, buf.Len()-120):], want)
	}
	draws := redraws(buf.String())
	bar := len(draws[len(draws)-2])
	if tail := buf.String()[:buf.Len()-len(want)+1]; !strings.HasSuffix(tail, "\r"+strings.Repeat(" ", bar)+"\r") {
		t.Fatalf("the bar of %d columns was not blanked before the last line: %q", bar, tail[max(0, len(tail)-150):])
	}
	n := buf.Len()
	p.Finish()
	clock.Advance(time.Second)
	p.Add(5)
	if buf.Len() != n {
		t.Fatalf("output after Finish: %q", buf.String()[n:])
	}
}

func TestFinishPlainShortJob(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "export", Unit: "bookmarks", Now: clock.Now})
	p.Add(3)
	p.Finish()
	if got, want := buf.String(), "export: 3 bookmarks in 0s\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestConcurrentAdds(t *testing.T) {
	clock := newClock()
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Total: 8000, TTY: true, Width: 80, Now: clock.Now})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				clock.Advance(time.Millisecond)
				p.Add(1)
				if i%100 == 0 {
					p.Note("goroutine note %d", i)
				}
			}
		}()
	}
	wg.Wait()
	p.Finish()
	if want := "\r8,000/8,000 in 8s (1,000/s)\n"; !cleared.MatchString(buf.String()) || !strings.HasSuffix(buf.String(), want) {
		t.Fatalf("final line %q, want %q", lastLine(buf.String()), want)
	}
	if n := strings.Count(buf.String(), "goroutine note"); n != 80 {
		t.Fatalf("want 80 notes, got %d", n)
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Fatal("a bytes.Buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Fatal("a regular file is not a terminal")
	}
	var nilFile *os.File
	if IsTerminal(nilFile) {
		t.Fatal("a nil *os.File is not a terminal")
	}
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSONLines(&buf)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j.Encode(map[string]any{"i": i, "uri": "https://h/@a/1?x=<b>&y"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("want 50 lines, got %d", len(lines))
	}
	seen := map[int]bool{}
	for _, l := range lines {
		var v struct {
			I   int    `json:"i"`
			URI string `json:"uri"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		seen[v.I] = true
		if !strings.Contains(l, "<b>&y") {
			t.Fatalf("HTML was escaped: %q", l)
		}
	}
	if len(seen) != 50 {
		t.Fatalf("lost lines: %d distinct", len(seen))
	}
	if err := NewJSONLines(&buf).Encode(func() {}); err == nil {
		t.Fatal("encoding a func should fail")
	}
}

func ExampleProgress() {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var buf bytes.Buffer
	p := NewProgress(&buf, ProgressOptions{Label: "backup alice@host", Total: 1000, Unit: "bookmarks", Now: clock})
	now = now.Add(5 * time.Second)
	p.Add(420)
	now = now.Add(5 * time.Second)
	p.Finish()
	fmt.Print(buf.String())
	// Output:
	// backup alice@host: 420/1,000 bookmarks (84.0/s, ETA 7s)
	// backup alice@host: 420/1,000 bookmarks in 10s (42.0/s)
}

func TestAbortWritesNoSummary(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, ProgressOptions{Label: "backup x", Unit: "bookmarks"})
	p.Abort()
	p.Finish()
	if b.String() != "" {
		t.Fatalf("after Abort: %q, want nothing", b.String())
	}
}
