package mastodontest

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
)

// TestMastodonResetCarriesTheRequestsSubSecond: Mastodon's reset is the
// window's end plus the sub-second part of the request's time, so two
// answers of one window differ; GoToSocial writes the end itself.
func TestMastodonResetCarriesTheRequestsSubSecond(t *testing.T) {
	for _, c := range []struct {
		q            Quirk
		first, later string
	}{
		{Mastodon, "2025-01-01T12:05:00.123456Z", "2025-01-01T12:05:00.987654Z"},
		{GoToSocial, "2025-01-01T12:05:00.000Z", "2025-01-01T12:05:00.000Z"},
	} {
		t.Run(c.q.String(), func(t *testing.T) {
			n := NewNetwork(t)
			clock := clocktest.New(time.Date(2025, 1, 1, 12, 3, 7, 123456789, time.UTC))
			n.SetClock(clock.Now)
			i := n.NewInstance(InstanceOptions{Quirk: c.q})
			tok := i.AddAccount("alice").Token()
			i.SetRateLimit(3, 5*time.Minute)
			r := call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
			if got := r.header.Get("X-RateLimit-Reset"); got != c.first {
				t.Errorf("first reset %q, want %q", got, c.first)
			}
			clock.Advance(time.Minute + 864197530*time.Nanosecond) // 12:04:07.987654319
			r = call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
			if got := r.header.Get("X-RateLimit-Reset"); got != c.later {
				t.Errorf("later reset %q, want %q", got, c.later)
			}
			if r.header.Get("X-RateLimit-Remaining") != "1" {
				t.Errorf("remaining %q: both answers are of one window", r.header.Get("X-RateLimit-Remaining"))
			}
		})
	}
}

func TestOddRateHeaders(t *testing.T) {
	start := time.Date(2025, 1, 1, 12, 3, 7, 250*int(time.Millisecond), time.UTC)
	end := time.Date(2025, 1, 1, 12, 5, 0, 0, time.UTC)
	for _, c := range []struct {
		mode                  RateHeaders
		reset, spentRemaining string
	}{
		{ResetEpochSeconds, strconv.FormatInt(end.Unix(), 10), "0"},
		{ResetEpochMillis, strconv.FormatInt(end.UnixMilli(), 10), "0"},
		{ResetFarFuture, "2035-01-01T12:05:00.250000Z", "0"},
		{ResetHuge, "123456789012345678901234567890", "0"},
		{ResetGarbage, "soon", "0"},
		{ResetPast, "2025-01-01T11:05:00.250000Z", "0"},
		{RemainingNegative, "2025-01-01T12:05:00.250000Z", "-3"},
	} {
		n := NewNetwork(t)
		n.SetClock(func() time.Time { return start })
		i := n.NewInstance(InstanceOptions{})
		tok := i.AddAccount("alice").Token()
		i.SetRateLimit(1, 5*time.Minute)
		i.SetRateHeaders(c.mode)
		r := call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
		if r.status != 200 || r.header.Get("X-RateLimit-Reset") != c.reset || r.header.Get("X-RateLimit-Remaining") != c.spentRemaining {
			t.Errorf("mode %d: %d reset %q remaining %q, want reset %q", c.mode, r.status,
				r.header.Get("X-RateLimit-Reset"), r.header.Get("X-RateLimit-Remaining"), c.reset)
		}
		// Only the headers lie: the budget is still one request.
		r = call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
		if r.status != http.StatusTooManyRequests || r.header.Get("X-RateLimit-Remaining") != c.spentRemaining {
			t.Errorf("mode %d over budget: %d remaining %q", c.mode, r.status, r.header.Get("X-RateLimit-Remaining"))
		}
	}
}

// TestRateWindowsRecordWhatEachWindowSaw: the records a pacing test
// asserts on count accepted and refused requests per window and when the
// first came.
func TestRateWindowsRecordWhatEachWindowSaw(t *testing.T) {
	n := NewNetwork(t)
	clock := clocktest.New(time.Date(2025, 1, 1, 12, 0, 0, 400*int(time.Millisecond), time.UTC))
	n.SetClock(clock.Now)
	i := n.NewInstance(InstanceOptions{})
	tok := i.AddAccount("alice").Token()
	i.SetRateLimit(2, time.Second)
	for range 3 {
		call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
	}
	clock.Advance(700 * time.Millisecond) // 12:00:01.1, the next window
	call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
	got := i.RateWindows(tok)
	want := []RateWindow{
		{Start: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), Used: 2, Refused: 1, First: time.Date(2025, 1, 1, 12, 0, 0, 400*int(time.Millisecond), time.UTC)},
		{Start: time.Date(2025, 1, 1, 12, 0, 1, 0, time.UTC), Used: 1, First: time.Date(2025, 1, 1, 12, 0, 1, 100*int(time.Millisecond), time.UTC)},
	}
	if len(got) != len(want) {
		t.Fatalf("windows %+v, want %+v", got, want)
	}
	for k := range want {
		if !got[k].Start.Equal(want[k].Start) || !got[k].First.Equal(want[k].First) || got[k].Used != want[k].Used || got[k].Refused != want[k].Refused {
			t.Errorf("window %d: %+v, want %+v", k, got[k], want[k])
		}
	}
}

// TestAnswerJitterReordersAnswers: with jitter, answers to requests sent
// one after another (each once the previous one was counted) come back out
// of order, so that a later answer carries a higher X-RateLimit-Remaining.
func TestAnswerJitterReordersAnswers(t *testing.T) {
	n := NewNetwork(t)
	i := n.NewInstance(InstanceOptions{})
	tok := i.AddAccount("alice").Token()
	i.SetRateLimit(1000, time.Hour)
	i.SetAnswerJitter(30 * time.Millisecond)
	var mu sync.Mutex
	var order []int // remaining, in the order the answers arrived
	var wg sync.WaitGroup
	for k := range 20 {
		wg.Go(func() {
			r := call(t, "GET", i.URL()+"/api/v1/bookmarks", tok, nil)
			rem, err := strconv.Atoi(r.header.Get("X-RateLimit-Remaining"))
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			order = append(order, rem)
			mu.Unlock()
		})
		for i.Requests("GET", "/api/v1/bookmarks") <= k {
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	raised := 0
	for k := 1; k < len(order); k++ {
		if order[k] > order[k-1] {
			raised++
		}
	}
	if raised == 0 {
		t.Fatalf("20 answers with 30 ms jitter arrived in count order: %v", order)
	}
}
