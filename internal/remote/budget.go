package remote

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// budget paces the requests to one server by its X-RateLimit-* headers so
// that none meets a 429 while the window's budget is used to its end. It
// owns its state (the current window, what is left of it, the requests in
// flight, the offset between the local and the server's clocks) and takes
// the local time as a parameter, as golang.org/x/time/rate's
// ReserveN(now, n) does, so that it is tested without waiting. It is safe
// for concurrent use.
//
// What the servers do, and what the budget makes of it:
//
//   - Windows are fixed. Mastodon aligns them to the Unix epoch on whole
//     seconds and stamps each answer's X-RateLimit-Reset with the
//     sub-second part of the time it handled the request, so the resets
//     of one window differ by up to a second. Once two answers of one
//     window show that (same second, other fractions), a window is known
//     by its whole second and ends on it. Otherwise (GoToSocial writes one
//     reset per window) resets less than a second apart are one window.
//   - Answers come back in another order than the server counted them,
//     so a window's remaining count is the lowest any of its answers gave:
//     a late answer never raises it. Requests in flight count as spent
//     until they land. An answer of a window older than the current one
//     changes nothing.
//   - The server's Date header has a resolution of one second. Each answer
//     bounds the offset of the local clock (it was written between the
//     request and the answer, within the second Date names); the bounds of
//     many answers narrow it to a few milliseconds. A window ends locally
//     at its reset plus the upper bound of the offset plus ResetMargin:
//     never before the server's, and a little after it.
//   - When the window ends, the next one's budget is unknown until its
//     first answer: up to its limit less the requests in flight may go.
//   - Odd headers (a reset that is no time, decades away, an hour ago;
//     a negative remaining count) never make a wait zero or negative: a
//     reset is read in epoch seconds, milliseconds or microseconds as
//     its size says, a wait is at most MaxWait (then a request goes and
//     its answer says what next), a spent budget with no usable reset
//     waits a growing backoff. The first oddity is returned once as a
//     note for the user.
type budget struct {
	mu       sync.Mutex
	inflight flights // requests sent and not yet answered
	limit    int     // the last X-RateLimit-Limit; 0 until told
	cur      window
	stamped  bool // the server stamps resets with the request's sub-second part
	offset   clockOffset
	backoff  time.Duration // the first wait of a spent budget without a usable reset
	blindN   int           // how many such waits in a row
	blind    time.Time     // local clock: no request before (zero: none)
	noted    bool          // the odd-header note was given
}

// window is the rate-limit window the budget last heard of.
type window struct {
	known bool
	// reset is its end on the server's clock: the earliest reset of its
	// answers, or the whole second they share when the server stamps.
	reset     time.Time
	remaining int // the lowest X-RateLimit-Remaining of its answers
	// until is when, on the local clock, the window is over for the client:
	// reset plus the clock offset plus ResetMargin, at most MaxWait after
	// the answer that set it.
	until time.Time
}

// Limits of the budget's reading of headers.
const (
	// sameWindow is how close two resets of one window are at most when
	// the server is not known to stamp them.
	sameWindow = time.Second
	// oddAhead is how far ahead a reset is odd (Mastodon's API windows are
	// 5 to 30 minutes; some servers have daily ones).
	oddAhead = 25 * time.Hour
	// oddPast is how far before the answer's Date a reset is odd (a
	// stale answer's reset may precede its Date by the time the server
	// took to answer).
	oddPast = 10 * time.Minute
	// driftRate bounds how fast the two clocks drift apart (100 ppm).
	driftRate = 1e-4
)

func newBudget(backoff time.Duration) *budget {
	if backoff <= 0 {
		backoff = defaultBackoff
	}
	return &budget{backoff: backoff}
}

// reserve asks, at now, whether a request may go. If so (0, nil), the
// request counts as in flight until land is called. Otherwise it returns
// how long to wait before asking again (wait > 0), or a channel that is
// closed when a request in flight lands (the next window's budget is
// unknown and its limit is in flight).
func (b *budget) reserve(now time.Time) (wait time.Duration, landed <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.blind) {
		return b.blind.Sub(now), nil
	}
	if b.cur.known && now.Before(b.cur.until) {
		if b.cur.remaining-b.inflight.n > 0 {
			b.inflight.n++
			return 0, nil
		}
		return b.cur.until.Sub(now), nil
	}
	// No window on record, or it is over: the next one's budget is unknown.
	if b.limit > 0 && b.inflight.n >= b.limit {
		return 0, b.inflight.wait()
	}
	b.inflight.n++
	return 0, nil
}

// land counts a reserved request as answered or failed.
func (b *budget) land() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight.land()
}

// flights counts the requests sent and not yet answered, and wakes those
// waiting for one to land. Its owner's lock guards it.
type flights struct {
	n      int
	landed chan struct{} // closed when a request lands; nil until someone waits
}

// wait returns the channel closed when a request lands.
func (f *flights) wait() <-chan struct{} {
	if f.landed == nil {
		f.landed = make(chan struct{})
	}
	return f.landed
}

// land counts one request answered or failed and wakes those waiting.
func (f *flights) land() {
	if f.n > 0 {
		f.n--
	}
	if f.landed != nil {
		close(f.landed)
		f.landed = nil
	}
}

// observe records what an answer's X-RateLimit-* headers say. sent is when
// its request went, now when the answer came (local clock). It returns the
// rate limit as the server wrote it (Known false without the headers) and,
// the first time headers are odd, a note that says so.
func (b *budget) observe(sent, now time.Time, h http.Header) (RateLimit, string) {
	info, ok := readRateInfo(h, now)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !info.date.IsZero() {
		frac := time.Duration(-1)
		if b.stamped && info.usable {
			frac = info.reset.Sub(wholeSecond(info.reset))
		}
		b.offset.sample(sent, now, info.date, frac)
	}
	var note string
	if info.odd != "" && !b.noted {
		b.noted, note = true, info.odd
	}
	if !ok {
		return RateLimit{}, note
	}
	if info.limit > 0 {
		b.limit = info.limit
	}
	rl := RateLimit{Limit: info.limit, Remaining: info.remaining, Reset: info.reset, Known: true}
	if !info.usable {
		// Without a reset, a spent budget waits longer each time until an
		// answer shows a new window.
		if info.remaining > 0 {
			b.blindN = 0
		} else {
			b.blindN++
			b.blind = now.Add(b.blindWait(b.blindN))
		}
		return rl, note
	}
	b.blindN = 0
	b.place(info.reset, info.remaining, sent, now)
	return rl, note
}

// place files an answer of the window that ends at reset (server clock).
func (b *budget) place(reset time.Time, remaining int, sent, now time.Time) {
	c := &b.cur
	if !c.known {
		b.adopt(reset, remaining, now)
		return
	}
	switch b.compare(reset, c.reset) {
	case 1:
		// The server's clock has passed the current window's end.
		b.adopt(reset, remaining, now)
	case 0:
		if !now.Before(c.until) {
			if sent.Before(c.until) {
				return // a late answer of a window that is over
			}
			// Sent after the window was over for the client, it is
			// still on: the wait was cut at MaxWait, or the end came
			// early. Start from this answer, waiting at least a backoff.
			b.adopt(reset, remaining, now)
			if floor := now.Add(b.backoff); c.until.Before(floor) {
				c.until = floor
			}
			return
		}
		if !b.stamped && !reset.Equal(c.reset) && wholeSecond(reset).Equal(wholeSecond(c.reset)) {
			b.stamped = true
		}
		if remaining < c.remaining {
			c.remaining = remaining
		}
		c.reset = b.canonical(minTime(reset, c.reset))
		// The end comes nearer as the reset and the clock offset are
		// better known.
		c.until = minTime(c.until, b.localEnd(c.reset, now))
	}
	// -1: an answer of an older window changes nothing.
}

// adopt makes the window ending at reset the current one.
func (b *budget) adopt(reset time.Time, remaining int, now time.Time) {
	reset = b.canonical(reset)
	b.cur = window{known: true, reset: reset, remaining: remaining, until: b.localEnd(reset, now)}
}

// compare says whether the window of reset a is older (-1), the same (0)
// or newer (1) than the current one, ending at c.
func (b *budget) compare(a, c time.Time) int {
	if b.stamped {
		a = wholeSecond(a)
		switch {
		case a.Equal(c):
			return 0
		case a.After(c):
			return 1
		}
		return -1
	}
	switch d := a.Sub(c); {
	case d > -sameWindow && d < sameWindow:
		return 0
	case d > 0:
		return 1
	}
	return -1
}

// canonical is the end of the window of reset: its whole second when the
// server stamps resets.
func (b *budget) canonical(reset time.Time) time.Time {
	if b.stamped {
		return wholeSecond(reset)
	}
	return reset
}

// localEnd is when, on the local clock, a window that ends at reset (server
// clock) is over for certain, at most MaxWait after now.
func (b *budget) localEnd(reset, now time.Time) time.Time {
	end := reset.Add(b.offset.upper(now) + ResetMargin)
	if limit := now.Add(MaxWait); end.After(limit) {
		return limit
	}
	return end
}

// retryWait is how long to wait, at now, after a 429 whose headers were
// just observed: until the current window is over, or the wait of a spent
// budget without a usable reset; 0 when the budget knows none.
func (b *budget) retryWait(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.blind) {
		return b.blind.Sub(now)
	}
	if b.cur.known && now.Before(b.cur.until) {
		return b.cur.until.Sub(now)
	}
	return 0
}

// forget drops the current window and any pause, after a wait the server
// asked for (Retry-After) that covered it.
func (b *budget) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cur.known = false
	b.blind = time.Time{}
}

// blindWait is the n-th wait in a row of a spent budget without a usable
// reset: the backoff doubled n-1 times, at most maxBackoff.
func (b *budget) blindWait(n int) time.Duration {
	d := b.backoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

func wholeSecond(t time.Time) time.Time { return t.Truncate(time.Second) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// clockOffset bounds the local clock minus the server's.
type clockOffset struct {
	known  bool
	lo, hi time.Duration // the offset lies in [lo, hi]
	at     time.Time     // local time of the last sample
}

// sample narrows the bounds with an answer whose Date is date, to a
// request sent at sent and answered at recv (local clock). The server
// wrote Date at a moment of the second it names, between the two. frac,
// when the server stamps resets (else -1), is the sub-second part of the
// moment it handled the request, also between the two: when the request
// took less than frac and less than the rest of that second, no second
// began between that moment and Date's, and the moment is Date's second
// plus frac, which bounds the offset to the request's round trip.
func (o *clockOffset) sample(sent, recv, date time.Time, frac time.Duration) {
	lo, hi := sent.Sub(date)-time.Second, recv.Sub(date)
	if rtt := recv.Sub(sent); frac >= 0 && rtt < frac && rtt < time.Second-frac {
		handled := date.Add(frac)
		lo, hi = sent.Sub(handled), recv.Sub(handled)
	}
	if o.known {
		drift := time.Duration(float64(recv.Sub(o.at).Abs()) * driftRate)
		nlo, nhi := max(lo, o.lo-drift), min(hi, o.hi+drift)
		if nlo <= nhi {
			lo, hi = nlo, nhi
		} // else a clock jumped: start again from this answer
	}
	o.known, o.lo, o.hi, o.at = true, lo, hi, recv
}

// upper is the largest the offset may be at now (0 when no answer had a
// Date: the clocks are taken to agree).
func (o *clockOffset) upper(now time.Time) time.Duration {
	if !o.known {
		return 0
	}
	return o.hi + time.Duration(float64(now.Sub(o.at).Abs())*driftRate)
}

// rateInfo is what one answer's X-RateLimit-* and Date headers say.
type rateInfo struct {
	limit, remaining int
	reset            time.Time // server clock; zero if absent or no time
	usable           bool      // reset is fit to pace by
	date             time.Time // zero if absent
	odd              string    // what is odd about them, for a person
}

// readRateInfo reads X-RateLimit-Limit, -Remaining and -Reset and Date
// from h, received at now; ok is false unless Limit and Remaining are
// there and are numbers. A negative Remaining reads as 0. Reset is ISO
// 8601 (Mastodon: microseconds, GoToSocial: milliseconds; without a zone
// it is UTC) or a number: below 1e9 seconds from the answer's Date (or
// now), else a Unix time in seconds, milliseconds, microseconds or
// nanoseconds as its size says. A reset that is no time or more than
// oddPast before Date is odd and unusable; one more than oddAhead ahead
// is odd but usable (waits are capped at MaxWait).
func readRateInfo(h http.Header, now time.Time) (info rateInfo, ok bool) {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		info.date = d
	}
	ls, rs := strings.TrimSpace(h.Get("X-RateLimit-Limit")), strings.TrimSpace(h.Get("X-RateLimit-Remaining"))
	if ls == "" || rs == "" {
		return info, false
	}
	limit, err1 := strconv.Atoi(ls)
	remaining, err2 := strconv.Atoi(rs)
	if err1 != nil || err2 != nil {
		info.odd = oddNote("X-RateLimit-Limit", ls+", X-RateLimit-Remaining "+rs, "not numbers; pacing by 429 answers")
		return info, false
	}
	info.limit, info.remaining = limit, remaining
	if remaining < 0 {
		info.remaining = 0
		info.odd = oddNote("X-RateLimit-Remaining", rs, "read as 0")
	}
	s := strings.TrimSpace(h.Get("X-RateLimit-Reset"))
	if s == "" {
		return info, true
	}
	base := now
	if !info.date.IsZero() {
		base = info.date
	}
	reset, why := parseReset(s, base)
	if why == "" {
		switch ahead := reset.Sub(base); {
		case ahead > oddAhead:
			why = fmt.Sprintf("%s ahead; waiting at most %s at a time", roughly(ahead), roughly(MaxWait))
			info.usable = true // far, but a time: waits are capped
		case -ahead > oddPast:
			why = roughly(-ahead) + " in the past"
		default:
			info.usable = true
		}
		info.reset = reset
	}
	if why != "" && !info.usable {
		why += "; pacing by growing waits instead"
	}
	if why != "" && info.odd == "" {
		info.odd = oddNote("X-RateLimit-Reset", s, why)
	}
	return info, true
}

// parseReset reads an X-RateLimit-Reset value; why says what is wrong
// with one that is no time.
func parseReset(s string, base time.Time) (time.Time, string) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, ""
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, ""
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return time.Time{}, "not a time"
	}
	switch {
	case n < 0:
		return time.Time{}, "negative"
	case n < 1e9: // seconds from now
		return base.Add(time.Duration(n * float64(time.Second))), ""
	case n < 1e11: // Unix seconds (until the year 5138)
		return unixFloat(n, time.Second), ""
	case n < 1e14:
		return unixFloat(n, time.Millisecond), ""
	case n < 1e17:
		return unixFloat(n, time.Microsecond), ""
	case n < 1e20:
		return unixFloat(n, time.Nanosecond), ""
	}
	return time.Time{}, "not a time"
}

// unixFloat is the Unix time n counted in unit.
func unixFloat(n float64, unit time.Duration) time.Time {
	per := float64(time.Second / unit)
	sec := math.Floor(n / per)
	return time.Unix(int64(sec), int64((n/per-sec)*1e9))
}

// oddNote says, for a person, what is odd about a header.
func oddNote(name, value, why string) string {
	v := Excerpt(value)
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return fmt.Sprintf("odd rate-limit header %s %q (%s)", name, v, why)
}

// roughly prints a long duration in its largest unit.
func roughly(d time.Duration) string {
	switch {
	case d >= 2*365*24*time.Hour:
		return fmt.Sprintf("%d years", int(d.Hours()/24/365))
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}
