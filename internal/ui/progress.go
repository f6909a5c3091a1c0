// Package ui writes what a person watching the terminal sees: TTY detection,
// progress bars or periodic progress lines, human numbers and durations, and
// JSON lines. It writes to the io.Writer it is given (stderr in the CLI);
// data goes through it only on its way to a terminal (TerminalWriter).
package ui

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"golang.org/x/term"
)

// IsTerminal reports whether w is an *os.File connected to a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// terminalWidth returns the width of the terminal behind w, or 0 when w is
// not a terminal or its size is unknown.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// ProgressOptions configures a Progress. The zero value is usable: no label,
// unknown total, no unit, plain lines every 5 seconds, the real clock.
type ProgressOptions struct {
	// Label names the job, e.g. "backup alice@host".
	Label string
	// Total is the number of units expected; 0 means unknown (count and
	// rate are shown, no bar and no ETA).
	Total int64
	// Start is the count already done when the job begins (a resumed job).
	// It is shown in the count but not counted in the rate.
	Start int64
	// Unit is what is counted, a plural: "bookmarks", "rows", ... said
	// without its last s for one (a count of one, or a total of one).
	// The unit "bytes" is shown humanized (KiB, MiB).
	Unit string
	// TTY selects a bar redrawn in place with \r (at most ~10 times a
	// second, fitted to the terminal width, cleared on Finish); when false, a
	// plain line is written at most once per Interval. The bar is drawn and
	// cleared with \r and spaces only, no escape sequences, so it works in
	// any terminal, the old Windows console included.
	TTY bool
	// Width is the terminal width in columns for the bar; 0 asks the
	// terminal behind the writer at each redraw (so resizing is followed),
	// and falls back to 80.
	Width int
	// Interval is the period of plain lines; 0 means 5 seconds.
	Interval time.Duration
	// Now is the clock; nil means time.Now. Tests inject a fake clock.
	Now func() time.Time
	// ETA, when set, says how long the units left take at best for a
	// reason the rate cannot see, such as a server's rate limit: the
	// ETA shown is the longer of it and the rate's (ok false: the rate's
	// alone).
	ETA func(left int64) (d time.Duration, ok bool)
	// Quiet draws no bar and writes no periodic, waiting or closing line;
	// notes are still written (a --quiet run keeps what went wrong).
	Quiet bool
}

const (
	redrawEvery = 100 * time.Millisecond // TTY bar: at most ~10 redraws a second
	rateWindow  = 10 * time.Second       // moving average of the rate
	sampleEvery = 250 * time.Millisecond // spacing of the rate samples kept
	minRateSpan = time.Second            // no rate shown before this much time
)

// sample is the count seen at a moment, for the moving-average rate.
type sample struct {
	t time.Time
	n int64
}

// Progress reports the progress of one job to a writer: a bar redrawn in
// place on a terminal, a plain line every Interval otherwise, and a summary
// line on Finish. Rate is a moving average over the last 10 seconds; the
// ETA is the longer of the rate's and ProgressOptions.ETA's (a rate limit
// the rate cannot foresee). A wait (Wait) shows in the bar. Progress
// starts no goroutine: it draws from Add, Set, SetTotal, Note, Wait, Show,
// Tick and Finish. All methods are safe for concurrent use; after Finish
// they only update the counts.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	opts     ProgressOptions
	now      func() time.Time
	start    time.Time
	n        int64
	total    int64
	samples  []sample
	lastDraw time.Time // TTY: last redraw; plain: last line (or start)
	shown    int       // TTY: columns of the bar on screen, 0 for none
	drawn    bool      // TTY: drawn at least once
	width    int       // TTY: terminal width in columns
	detect   bool      // TTY: ask the terminal for its width at each redraw
	finished bool
	// waitUntil and waitWhy are the wait announced last (see Wait).
	waitUntil time.Time
	waitWhy   string
}

// NewProgress returns a Progress writing to w. It writes nothing until the
// first update.
func NewProgress(w io.Writer, opts ProgressOptions) *Progress {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	width, detect := opts.Width, false
	if opts.TTY && width <= 0 {
		width, detect = terminalWidth(w), true
	}
	if width <= 0 {
		width = 80
	}
	t := now()
	return &Progress{
		width:    width,
		detect:   detect,
		w:        w,
		opts:     opts,
		now:      now,
		start:    t,
		n:        opts.Start,
		total:    opts.Total,
		samples:  []sample{{t, opts.Start}},
		lastDraw: t,
	}
}

// Add adds n to the count.
func (p *Progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(p.n + n)
}

// Set sets the count to n. A count lower than before restarts the rate.
func (p *Progress) Set(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.update(n)
}

// SetTotal sets the expected total; 0 means unknown.
func (p *Progress) SetTotal(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = n
	p.update(p.n)
}

// Note writes a message that must be seen, such as "waiting 1m30s for the
// rate limit to reset", on a line of its own: above the bar on a terminal.
// The message may quote a server, so it is made one clean line
// (fedimarks.CleanText): no control character reaches the terminal.
func (p *Progress) Note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fedimarks.CleanText(fmt.Sprintf(format, args...))
	p.clearBar()
	io.WriteString(p.w, msg+"\n")
	if p.opts.TTY && !p.finished && !p.opts.Quiet {
		p.drawBar(p.now())
	}
}

// Wait tells that the job pauses for d, why being e.g. "for the rate
// limit": on a terminal the bar says "waiting 29s for the rate limit",
// counting down at each redraw (see Tick), until the wait is over;
// otherwise one line says so. A wait that an announced one with the same
// why already covers (several requests waiting for the same window)
// shows nothing more.
func (p *Progress) Wait(d time.Duration, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	until := now.Add(d)
	if p.finished || p.opts.Quiet {
		return
	}
	if why == p.waitWhy && !p.waitUntil.Before(until.Add(-time.Second)) {
		return
	}
	p.waitUntil, p.waitWhy = until, why
	if p.opts.TTY {
		p.drawBar(now)
		return
	}
	var b strings.Builder
	p.writeLabel(&b)
	b.WriteString("waiting " + Duration(d) + " " + why + "\n")
	io.WriteString(p.w, b.String())
}

// Show draws the bar, or writes a progress line, now: a job about to
// wait for its first answer says that it started.
func (p *Progress) Show() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished || p.opts.Quiet {
		return
	}
	now := p.now()
	if p.opts.TTY {
		p.drawBar(now)
		return
	}
	p.lastDraw = now
	p.writeLine(now)
}

// Tick redraws the bar if it is time to (a wait's countdown moves on
// without any count changing). It does nothing without a terminal.
func (p *Progress) Tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished || p.opts.Quiet || !p.opts.TTY {
		return
	}
	if now := p.now(); now.Sub(p.lastDraw) >= redrawEvery {
		p.drawBar(now)
	}
}

// Abort stops the progress display without a summary (the command failed
// and says why itself): on a terminal the bar is cleared.
func (p *Progress) Abort() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.clearBar()
}

// Finish clears the bar on a terminal and writes a last line with the count,
// the elapsed time and the average rate. Calls after the first do nothing.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	now := p.now()
	p.clearBar()
	if p.opts.Quiet {
		return
	}
	elapsed := now.Sub(p.start)
	var b strings.Builder
	p.writeLabel(&b)
	b.WriteString(p.counts())
	b.WriteString(" in ")
	b.WriteString(Duration(elapsed))
	if done := p.n - p.opts.Start; done > 0 && elapsed >= minRateSpan {
		b.WriteString(" (")
		b.WriteString(rate(float64(done)/elapsed.Seconds(), p.opts.Unit == "bytes"))
		b.WriteString(")")
	}
	b.WriteString("\n")
	io.WriteString(p.w, b.String())
}

// update records count n at the current time and draws if it is time to.
// p.mu must be held.
func (p *Progress) update(n int64) {
	now := p.now()
	if n < p.n {
		p.samples = append(p.samples[:0], sample{now, n})
	}
	p.n = n
	p.record(now)
	if p.finished || p.opts.Quiet {
		return
	}
	if p.opts.TTY {
		if !p.drawn || now.Sub(p.lastDraw) >= redrawEvery {
			p.drawBar(now)
		}
		return
	}
	if now.Sub(p.lastDraw) >= p.opts.Interval {
		p.lastDraw = now
		p.writeLine(now)
	}
}

// writeLine writes a plain progress line. p.mu must be held.
func (p *Progress) writeLine(now time.Time) {
	var b strings.Builder
	p.writeLabel(&b)
	b.WriteString(p.counts())
	if stats := p.stats(now); stats != "" {
		b.WriteString(" (" + stats + ")")
	}
	b.WriteString("\n")
	io.WriteString(p.w, b.String())
}

// record adds a sample for the current count, keeping samples at least
// sampleEvery apart (the newest may be closer: it is replaced) and dropping
// those no longer needed for the window: one sample at or before the start
// of the window is kept as the anchor of the average.
func (p *Progress) record(now time.Time) {
	s := sample{now, p.n}
	if k := len(p.samples); k >= 2 && now.Sub(p.samples[k-2].t) < sampleEvery {
		p.samples[k-1] = s
	} else {
		p.samples = append(p.samples, s)
	}
	cut := 0
	for cut+1 < len(p.samples) && now.Sub(p.samples[cut+1].t) >= rateWindow {
		cut++
	}
	if cut > 0 {
		p.samples = append(p.samples[:0], p.samples[cut:]...)
	}
}

// rateAt returns the moving-average rate per second at now and whether one
// is known yet. The anchor sample may be older than the window when nothing
// happened for a while, which makes the rate fall during a long wait.
func (p *Progress) rateAt(now time.Time) (float64, bool) {
	anchor := p.samples[0]
	for _, s := range p.samples[1:] {
		if now.Sub(s.t) < rateWindow {
			break
		}
		anchor = s
	}
	span := now.Sub(anchor.t)
	if now.Sub(p.start) < minRateSpan || span <= 0 {
		return 0, false
	}
	return float64(p.n-anchor.n) / span.Seconds(), true
}

// counts formats "420/1,000 bookmarks", "420 bookmarks" or "1.0 MiB/2.0 MiB".
func (p *Progress) counts() string {
	bytes := p.opts.Unit == "bytes"
	num := fedimarks.Count
	if bytes {
		num = Bytes
	}
	s := num(p.n)
	if p.total > 0 {
		s += "/" + num(p.total)
	}
	if p.opts.Unit != "" && !bytes {
		s += " " + p.unit()
	}
	return s
}

// unit is the unit as the count says it: "1 bookmark", "1/1 row", "2
// bookmarks", "1/3 rows" (it agrees with the total when there is one).
func (p *Progress) unit() string {
	n := p.n
	if p.total > 0 {
		n = p.total
	}
	if n == 1 {
		return strings.TrimSuffix(p.opts.Unit, "s")
	}
	return p.opts.Unit
}

// stats formats "12.3/s, ETA 47s", or less of it while unknown; during
// a wait, "waiting 29s for the rate limit, ETA 12m".
func (p *Progress) stats(now time.Time) string {
	wait, speed, eta := p.statParts(now)
	var parts []string
	for _, s := range []string{wait, speed, eta} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// statParts are the wait under way, the rate (not shown during a wait)
// and the ETA, each "" when there is none. The ETA is the time the
// ProgressOptions.ETA hook gives when that is longer than no time (the
// rest does not fit in what the rate limit allows now: the rate of the
// last seconds says nothing of it), else the rate's.
func (p *Progress) statParts(now time.Time) (wait, speed, eta string) {
	if p.waitUntil.After(now) {
		wait = "waiting " + Duration(p.waitUntil.Sub(now)) + " " + p.waitWhy
	}
	r, ok := p.rateAt(now)
	if ok && wait == "" {
		speed = rate(r, p.opts.Unit == "bytes")
	}
	left := p.total - p.n
	if p.total <= 0 || left <= 0 {
		return wait, speed, ""
	}
	if p.opts.ETA != nil {
		if d, known := p.opts.ETA(left); known && d > 0 {
			return wait, speed, "ETA " + Duration(d)
		}
	}
	if ok && r > 0 {
		eta = "ETA " + Duration(time.Duration(float64(left)/r*float64(time.Second)))
	}
	return wait, speed, eta
}

func (p *Progress) writeLabel(b *strings.Builder) {
	if p.opts.Label != "" {
		b.WriteString(p.opts.Label)
		b.WriteString(": ")
	}
}

// drawBar redraws the bar in place, fitted to the width: the bar shrinks
// first, then goes, then the stats go; the line never reaches the last
// column, so the terminal does not wrap it. p.mu must be held.
func (p *Progress) drawBar(now time.Time) {
	p.lastDraw = now
	counts := p.counts()
	wait, speed, eta := p.statParts(now)
	label := p.opts.Label
	if p.detect {
		if w := terminalWidth(p.w); w > 0 {
			p.width = w
		}
	}
	room := p.width - 1

	line := func(bar string, stats ...string) string {
		parts := make([]string, 0, 4)
		if label != "" {
			parts = append(parts, label)
		}
		if bar != "" {
			parts = append(parts, bar)
		}
		s := strings.Join(append(parts, counts), " ")
		for _, st := range stats {
			if st != "" {
				s += "  " + st
			}
		}
		return s
	}

	// What does not fit goes: the bar first, then the rate, then the
	// ETA, then the wait.
	var out string
	if p.total > 0 {
		fixed := len([]rune(line("[]", wait, speed, eta)))
		if inner := room - fixed; inner >= 10 {
			out = line(p.bar(min(inner, 50)), wait, speed, eta)
		}
	}
	if out == "" {
		for _, stats := range [][]string{{wait, speed, eta}, {wait, eta}, {wait}, nil} {
			if out = line("", stats...); len([]rune(out)) <= room {
				break
			}
		}
	}
	if r := []rune(out); len(r) > room && room > 0 {
		out = string(r[:room])
	}
	n := len([]rune(out))
	// Spaces cover what is left of a longer previous line.
	io.WriteString(p.w, "\r"+out+strings.Repeat(" ", max(0, p.shown-n)))
	p.shown = n
	p.drawn = true
}

// clearBar blanks the bar, if one is on screen, and leaves the cursor at
// the start of the line. p.mu must be held.
func (p *Progress) clearBar() {
	if p.shown > 0 {
		io.WriteString(p.w, "\r"+strings.Repeat(" ", p.shown)+"\r")
		p.shown = 0
	}
}

// bar returns "[=====>    ]" with inner columns between the brackets.
func (p *Progress) bar(inner int) string {
	frac := float64(p.n) / float64(p.total)
	frac = max(0, min(frac, 1))
	filled := int(frac * float64(inner))
	var b strings.Builder
	b.WriteByte('[')
	switch {
	case filled >= inner:
		b.WriteString(strings.Repeat("=", inner))
	default:
		if filled > 0 {
			b.WriteString(strings.Repeat("=", filled-1))
			b.WriteByte('>')
		}
		b.WriteString(strings.Repeat(" ", inner-max(filled, 0)))
	}
	b.WriteByte(']')
	return b.String()
}
