package remote

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// In these tests the server's clock is an hour behind the local one
// (serverDate = epoch - 1h), its windows are aligned to whole minutes,
// and a request takes 20 ms: sent at now, answered at now + rtt, handled
// by the server halfway.
const rtt = 20 * time.Millisecond

// answer is the headers of an answer handled at server time at, stamped
// as Mastodon does (reset = window end + at's sub-second part).
func answer(at time.Time, limit, remaining int) http.Header {
	end := at.Truncate(time.Minute).Add(time.Minute)
	h := http.Header{}
	h.Set("Date", at.Format(http.TimeFormat))
	h.Set("X-RateLimit-Limit", fmt.Sprint(limit))
	h.Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
	h.Set("X-RateLimit-Reset", end.Add(time.Duration(at.Nanosecond())).Format("2006-01-02T15:04:05.000000Z"))
	return h
}

// local is the local time of server time at.
func local(at time.Time) time.Time { return at.Add(time.Hour) }

// exchange runs one request through b: reserved at the local time of
// server time at - rtt/2, answered at + rtt/2. It fails if b would not
// let it go.
func exchange(t *testing.T, b *budget, at time.Time, h http.Header) string {
	t.Helper()
	sent := local(at).Add(-rtt / 2)
	if d, ch := b.reserve(sent); d != 0 || ch != nil {
		t.Fatalf("request at %s held back (%v, %v)", at.Format("15:04:05.000"), d, ch)
	}
	_, note := b.observe(sent, local(at).Add(rtt/2), h)
	b.land()
	return note
}

var minute = time.Date(2031, 3, 4, 4, 7, 0, 0, time.UTC) // a window's start on the server

func TestBudgetStampedResetsAreOneWindowEndingOnItsSecond(t *testing.T) {
	b := newBudget(time.Second)
	// 10 answers spread over the window's first 43 s, each stamped.
	for k := 0; k < 10; k++ {
		at := minute.Add(time.Duration(k)*4300*time.Millisecond + time.Duration(k)*37*time.Millisecond)
		exchange(t, b, at, answer(at, 10, 9-k))
	}
	if !b.stamped {
		t.Fatal("resets of one window with other sub-second parts not taken as stamped")
	}
	end := minute.Add(time.Minute)
	if !b.cur.reset.Equal(end) || b.cur.remaining != 0 {
		t.Fatalf("window %+v, want end %v and nothing left", b.cur, end)
	}
	now := local(minute.Add(44 * time.Second))
	d, _ := b.reserve(now)
	late := now.Add(d).Sub(local(end))
	if late < 0 || late > ResetMargin+rtt {
		t.Errorf("the next request may go %v after the window's end, want within [0, %v]", late, ResetMargin+rtt)
	}
}

func TestBudgetLateAnswerNeverRaisesTheCount(t *testing.T) {
	b := newBudget(time.Second)
	at := minute.Add(5*time.Second + 300*time.Millisecond)
	exchange(t, b, at, answer(at, 10, 4))
	// The answer of a request counted earlier (5 left) arrives later.
	early := at.Add(-120 * time.Millisecond)
	b.observe(local(at), local(at).Add(rtt), answer(early, 10, 5))
	if b.cur.remaining != 4 {
		t.Fatalf("remaining %d after a late answer, want 4", b.cur.remaining)
	}
	now := local(at).Add(time.Second)
	for k := 0; k < 4; k++ {
		if d, ch := b.reserve(now); d != 0 || ch != nil {
			t.Fatalf("request %d of 4 left held back", k+1)
		}
	}
	if d, _ := b.reserve(now); d <= 0 {
		t.Fatal("a fifth request in flight with 4 left went")
	}
}

func TestBudgetWindowsOlderAndNewer(t *testing.T) {
	b := newBudget(time.Second)
	at := minute.Add(59 * time.Second)
	exchange(t, b, at, answer(at, 10, 1))
	exchange(t, b, at.Add(200*time.Millisecond), answer(at.Add(200*time.Millisecond), 10, 0))
	// An answer of the next window, handled after the server's end but
	// arriving before the client's end (margin): the next window is on.
	next := minute.Add(time.Minute + 30*time.Millisecond)
	b.observe(local(next).Add(-rtt), local(next).Add(rtt/2), answer(next, 10, 7))
	if !b.cur.reset.Equal(minute.Add(2*time.Minute)) || b.cur.remaining != 7 {
		t.Fatalf("window %+v, want the next one with 7 left", b.cur)
	}
	// A late answer of the old window changes nothing.
	b.observe(local(at), local(next).Add(rtt), answer(at.Add(400*time.Millisecond), 10, 0))
	if !b.cur.reset.Equal(minute.Add(2*time.Minute)) || b.cur.remaining != 7 {
		t.Fatalf("window %+v after an old window's answer", b.cur)
	}
	if d, ch := b.reserve(local(next).Add(rtt)); d != 0 || ch != nil {
		t.Fatal("held back with 7 left")
	}
}

// TestBudgetNextWindowUnknownUpToItsLimit: once a window is over, the
// next one's budget is unknown until its first answer: up to the limit
// less what is in flight may go, then callers wait for a landing.
func TestBudgetNextWindowUnknownUpToItsLimit(t *testing.T) {
	b := newBudget(time.Second)
	at := minute.Add(50 * time.Second)
	exchange(t, b, at, answer(at, 3, 0))
	now := local(minute.Add(time.Minute)).Add(time.Second)
	for k := 0; k < 3; k++ {
		if d, ch := b.reserve(now); d != 0 || ch != nil {
			t.Fatalf("request %d of the new window held back", k+1)
		}
	}
	d, ch := b.reserve(now)
	if d != 0 || ch == nil {
		t.Fatalf("a fourth request with 3 in flight: (%v, %v), want to wait for a landing", d, ch)
	}
	b.land()
	select {
	case <-ch:
	default:
		t.Fatal("a landing did not wake the waiter")
	}
	if d, ch := b.reserve(now); d != 0 || ch != nil {
		t.Fatal("held back after a landing")
	}
}

// TestBudgetClockOffsetFromOneSecondDates: the server's clock is 1 h and
// 437 ms behind; Date says whole seconds. Waits are measured on the local
// clock and end after the server's window, by little more than the
// margin, whether the server stamps resets or not.
func TestBudgetClockOffsetFromOneSecondDates(t *testing.T) {
	skew := time.Hour + 437*time.Millisecond
	for _, stamped := range []bool{true, false} {
		b := newBudget(time.Second)
		// Requests at every 0.37 s of server time, answered in 20 ms.
		at := minute.Add(3 * time.Second)
		for k := 0; at.Before(minute.Add(40 * time.Second)); k++ {
			h := answer(at, 1000, 900-k)
			if !stamped {
				h.Set("X-RateLimit-Reset", minute.Add(time.Minute).Format("2006-01-02T15:04:05.000Z"))
			}
			sent := at.Add(skew - rtt/2)
			if d, ch := b.reserve(sent); d != 0 || ch != nil {
				t.Fatal("held back")
			}
			b.observe(sent, sent.Add(rtt), h)
			b.land()
			at = at.Add(370 * time.Millisecond)
		}
		end := minute.Add(time.Minute).Add(skew) // the window's end on the local clock
		late := b.cur.until.Sub(end)
		if late < 0 || late > ResetMargin+rtt+time.Millisecond {
			t.Errorf("stamped %v: the window ends %v after the server's, want within [0, %v]", stamped, late, ResetMargin+rtt)
		}
	}
}

func TestBudgetOddHeaders(t *testing.T) {
	at := minute.Add(20*time.Second + 250*time.Millisecond) // server time of the answer
	end := minute.Add(time.Minute)
	const backoff = 2 * time.Second
	tests := []struct {
		name, reset, remaining string
		wait                   time.Duration // from the answer's arrival; 0: exactly until end
		note                   string        // "" for none
	}{
		{"iso", end.Format(time.RFC3339Nano), "0", 0, ""},
		{"epoch seconds", fmt.Sprint(end.Unix()), "0", 0, ""},
		{"epoch milliseconds", fmt.Sprint(end.UnixMilli()), "0", 0, ""},
		{"epoch microseconds", fmt.Sprint(end.UnixMicro()), "0", 0, ""},
		{"seconds from now", "39.75", "0", 0, ""},
		{"negative remaining", end.Format(time.RFC3339Nano), "-3", 0, `X-RateLimit-Remaining "-3" (read as 0)`},
		{"ten years ahead", end.AddDate(10, 0, 0).Format(time.RFC3339Nano), "0", MaxWait, "10 years ahead; waiting at most 15 minutes"},
		{"huge", "123456789012345678901234567890", "0", backoff, `X-RateLimit-Reset "123456789012345678901234567890" (not a time; pacing by growing waits instead)`},
		{"year 2262 in nanoseconds", "9223372036854775808", "0", MaxWait, "231 years ahead"},
		{"garbage", "soon", "0", backoff, `"soon" (not a time; pacing by growing waits instead)`},
		{"nan", "NaN", "0", backoff, "(not a time; pacing by growing waits instead)"},
		{"negative", "-5", "0", backoff, "(negative; pacing by growing waits instead)"},
		{"an hour ago", end.Add(-2 * time.Hour).Format(time.RFC3339Nano), "0", backoff, "119 minutes in the past"},
		{"control characters", "\x1b[2Jsoon", "0", backoff, `"[2Jsoon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBudget(backoff)
			h := answer(at, 300, 0)
			h.Set("X-RateLimit-Reset", tt.reset)
			h.Set("X-RateLimit-Remaining", tt.remaining)
			sent := local(at).Add(-rtt / 2)
			recv := local(at).Add(rtt / 2)
			if d, ch := b.reserve(sent); d != 0 || ch != nil {
				t.Fatal("first request held back")
			}
			_, note := b.observe(sent, recv, h)
			b.land()
			if tt.note == "" && note != "" || tt.note != "" && !strings.Contains(note, tt.note) {
				t.Errorf("note %q, want one containing %q", note, tt.note)
			}
			if strings.ContainsAny(note, "\x1b\r\n") {
				t.Errorf("note %q holds control characters", note)
			}
			d, ch := b.reserve(recv)
			if ch != nil || d <= 0 || d > MaxWait {
				t.Fatalf("wait %v: want one in (0, %v]", d, MaxWait)
			}
			want := tt.wait
			if want == 0 {
				// One answer bounds the clock offset to its Date's second.
				want = local(end).Add(ResetMargin).Sub(recv)
				if d < want || d > want+time.Second+rtt {
					t.Errorf("wait %v, want %v until the window's end (and at most a second more)", d, want)
				}
			} else if d != want {
				t.Errorf("wait %v, want %v", d, want)
			}
			// After the wait one request goes again (then retry).
			if d2, ch := b.reserve(recv.Add(d)); d2 != 0 || ch != nil {
				t.Errorf("after the wait: held back again (%v)", d2)
			}
			if _, again := b.observe(sent, recv, h); again != "" {
				t.Errorf("second note %q: an odd header is noted once", again)
			}
		})
	}
}

// TestBudgetCappedWaitThenRetry: a reset ten years ahead is waited for
// 15 minutes at a time: then one request goes, and its answer (still
// spent) starts another 15 minutes.
func TestBudgetCappedWaitThenRetry(t *testing.T) {
	b := newBudget(time.Second)
	at := minute.Add(10 * time.Second)
	far := func(at time.Time) http.Header {
		h := answer(at, 300, 0)
		h.Set("X-RateLimit-Reset", minute.AddDate(10, 0, 0).Format(time.RFC3339Nano))
		return h
	}
	exchange(t, b, at, far(at))
	for k := 0; k < 3; k++ {
		now := local(at).Add(rtt / 2)
		d, _ := b.reserve(now)
		if d <= 0 || d > MaxWait {
			t.Fatalf("wait %d: %v", k, d)
		}
		at = at.Add(d + rtt)
		exchange(t, b, at, far(at))
	}
}

// TestBudgetBlindWaitsGrow: spent budgets without a usable reset wait the
// backoff doubled each time, at most maxBackoff; a usable answer ends it.
func TestBudgetBlindWaitsGrow(t *testing.T) {
	b := newBudget(time.Second)
	at := minute.Add(10 * time.Second)
	var waits []time.Duration
	for k := 0; k < 8; k++ {
		h := answer(at, 300, 0)
		h.Set("X-RateLimit-Reset", "soon")
		exchange(t, b, at, h)
		d, _ := b.reserve(local(at).Add(rtt / 2))
		waits = append(waits, d)
		at = at.Add(d + rtt)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for k := range want {
		if waits[k] != want[k]*time.Second {
			t.Fatalf("blind waits %v, want %v seconds", waits, want)
		}
	}
	exchange(t, b, at, answer(at, 300, 200))
	if b.blindN != 0 {
		t.Error("a usable answer did not end the blind waits")
	}
}

func TestParseResetUnits(t *testing.T) {
	base := epoch
	want := time.Date(2025, 1, 1, 12, 5, 0, 0, time.UTC)
	for _, s := range []string{"1735733100", "1735733100000", "1735733100000000", "1735733100000000000", "1735733100.0"} {
		got, why := parseReset(s, base)
		if why != "" || !got.Equal(want) {
			t.Errorf("parseReset(%s) = %v, %q; want %v", s, got, why, want)
		}
	}
	if got, why := parseReset("1735733100.5", base); why != "" || !got.Equal(want.Add(500*time.Millisecond)) {
		t.Errorf("fractional seconds: %v %q", got, why)
	}
}
