package mastodontest

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// RateHeaders selects how an Instance writes X-RateLimit-Reset and
// X-RateLimit-Remaining. Whatever it writes, the budget itself (the count
// of requests per window, the 429 over it) stays the real one: only the
// headers lie, as a misconfigured server or proxy does.
type RateHeaders int

// The header modes. The zero value writes them as the family does.
const (
	// HeadersAsFamily writes the headers as the server family does:
	// Mastodon stamps each answer's reset with the sub-second part of the
	// time it handled the request (its rate_limit_headers.rb computes
	// request_time + (period - request_time.to_i % period), with
	// microseconds), so the reset of one window differs from answer to
	// answer by up to a second; GoToSocial writes the window's end with
	// .000Z; Pixelfed and snac as Mastodon.
	HeadersAsFamily RateHeaders = iota
	// ResetEpochSeconds writes the reset as Unix seconds ("1735689900").
	ResetEpochSeconds
	// ResetEpochMillis writes the reset as Unix milliseconds.
	ResetEpochMillis
	// ResetFarFuture writes a reset ten years after the window's end.
	ResetFarFuture
	// ResetHuge writes a reset of 30 digits, beyond any integer type.
	ResetHuge
	// ResetGarbage writes a reset that is no time at all ("soon").
	ResetGarbage
	// ResetPast writes a reset an hour before the window's end (in the
	// past).
	ResetPast
	// RemainingNegative writes X-RateLimit-Remaining below zero when the
	// budget is spent ("-3").
	RemainingNegative
)

// RateWindow is what one fixed rate-limit window of one access token saw.
type RateWindow struct {
	// Start is the window's start (aligned to the Unix epoch).
	Start time.Time
	// Used counts the requests the budget accepted, Refused those answered
	// 429.
	Used, Refused int
	// First is when the first request of the window was counted.
	First time.Time
}

// limits is an Instance's rate-limit header mode, answer jitter and
// per-window records. Guarded by n.mu.
type limits struct {
	headers RateHeaders
	jitter  time.Duration
	rng     *rand.Rand
	windows map[string][]RateWindow // by token value
}

// SetRateHeaders selects how the instance writes its rate-limit headers
// from now on.
func (i *Instance) SetRateHeaders(h RateHeaders) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.lim.headers = h
}

// SetAnswerJitter holds each answer under /api/ for a random time below
// max (real time) after its request was counted and its rate-limit
// headers written, as a busy server does: answers then come back in
// another order than the requests were counted, so a later answer can
// carry an older (higher) X-RateLimit-Remaining. 0 turns it off.
func (i *Instance) SetAnswerJitter(max time.Duration) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.lim.jitter = max
	if i.lim.rng == nil {
		i.lim.rng = rand.New(rand.NewPCG(1, 2))
	}
}

// answerDelay draws the hold of one answer. It runs with n.mu held.
func (i *Instance) answerDelay() time.Duration {
	if i.lim.jitter <= 0 {
		return 0
	}
	return time.Duration(i.lim.rng.Int64N(int64(i.lim.jitter)))
}

// RateWindows returns, oldest first, the windows in which the access token
// tok made requests since the rate limit was last set (SetRateLimit with
// n > 0), with what each saw.
func (i *Instance) RateWindows(tok string) []RateWindow {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return append([]RateWindow(nil), i.lim.windows["token "+tok]...)
}

// record counts one request of key in the window starting at start.
func (i *Instance) record(key string, start, now time.Time, refused bool) {
	if i.lim.windows == nil {
		i.lim.windows = map[string][]RateWindow{}
	}
	ws := i.lim.windows[key]
	if len(ws) == 0 || !ws[len(ws)-1].Start.Equal(start) {
		ws = append(ws, RateWindow{Start: start, First: now})
	}
	w := &ws[len(ws)-1]
	if refused {
		w.Refused++
	} else {
		w.Used++
	}
	i.lim.windows[key] = ws
}

// spend takes one request from key's budget and says what is left.
func (i *Instance) spend(key string, now time.Time) (limit, remaining int, reset time.Time, ok bool) {
	if i.rateN <= 0 {
		const win = 5 * time.Minute
		return 300, 300, windowStart(now, win).Add(win), true
	}
	start := windowStart(now, i.rateWindow)
	reset = start.Add(i.rateWindow)
	rc := i.rateUsed[key]
	if rc.start != start.UnixNano() {
		rc = rateCount{start: start.UnixNano()}
	}
	if rc.used >= i.rateN {
		i.record(key, start, now, true)
		return i.rateN, 0, reset, false
	}
	rc.used++
	i.rateUsed[key] = rc
	i.record(key, start, now, false)
	return i.rateN, i.rateN - rc.used, reset, true
}

// rateHeaders writes the X-RateLimit-* headers of an answer handled now
// in the window that ends at end. It runs with n.mu held.
func (i *Instance) rateHeaders(rp *reply, limit, remaining int, end time.Time) {
	i.rateHeadersAt(rp, limit, remaining, end, i.n.now())
}

// rateHeadersAt is rateHeaders for a request handled at now.
func (i *Instance) rateHeadersAt(rp *reply, limit, remaining int, end, now time.Time) {
	rp.set("X-RateLimit-Limit", strconv.Itoa(limit))
	reset := i.resetTime(end, now)
	switch i.lim.headers {
	case ResetEpochSeconds:
		reset = strconv.FormatInt(end.Unix(), 10)
	case ResetEpochMillis:
		reset = strconv.FormatInt(end.UnixMilli(), 10)
	case ResetFarFuture:
		reset = i.resetTime(end.AddDate(10, 0, 0), now)
	case ResetHuge:
		reset = "123456789012345678901234567890"
	case ResetGarbage:
		reset = "soon"
	case ResetPast:
		reset = i.resetTime(end.Add(-time.Hour), now)
	case RemainingNegative:
		if remaining == 0 {
			remaining = -3
		}
	}
	rp.set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	rp.set("X-RateLimit-Reset", reset)
}

// resetTime formats X-RateLimit-Reset as the family does for a request
// handled at now in a window ending at end.
func (i *Instance) resetTime(end, now time.Time) string {
	if i.opts.Quirk == GoToSocial {
		return end.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	// Mastodon: the window's end plus the request's sub-second part.
	frac := time.Duration(now.Nanosecond()) / time.Microsecond * time.Microsecond
	return end.Add(frac).UTC().Format("2006-01-02T15:04:05.000000Z")
}
