package mastodon

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// stampingServer is a Mastodon that allows limit requests per minute in
// windows aligned to the minute of its clock (the test's fake clock, an
// hour behind the client's) and stamps each answer's reset with the
// sub-second part of the moment it handled the request. Each request
// moves the clock 100 ms. hold, if set, may hold an answer back.
type stampingServer struct {
	clk   *clocktest.Clock
	limit int
	hold  func(id string)

	mu      sync.Mutex
	counted map[int64]int // requests counted per window (Unix minute)
	tooMany int
	ids     []string
}

func (s *stampingServer) serverTime() time.Time {
	return serverDate.Add(s.clk.Now().Sub(epoch))
}

func (s *stampingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := path.Base(r.URL.Path)
	s.clk.Advance(100 * time.Millisecond)
	s.mu.Lock()
	now := s.serverTime()
	win := now.Unix() / 60
	s.counted[win]++
	n := s.counted[win]
	s.ids = append(s.ids, id)
	over := n > s.limit
	if over {
		s.tooMany++
	}
	s.mu.Unlock()
	end := time.Unix((win+1)*60, 0).UTC()
	w.Header().Set("Date", now.Format(http.TimeFormat))
	w.Header().Set("X-RateLimit-Limit", fmt.Sprint(s.limit))
	w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(max(s.limit-n, 0)))
	w.Header().Set("X-RateLimit-Reset", end.Add(time.Duration(now.Nanosecond())).Format("2006-01-02T15:04:05.000000Z"))
	if over {
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":"Too many requests"}`)
		return
	}
	if s.hold != nil {
		s.hold(id)
	}
	fmt.Fprint(w, statusJSON(id))
}

func (s *stampingServer) count(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestLateAnswerNeverRaisesTheBudget: request 1 is counted first (2 left)
// but answered after request 2 (1 left); each answer's reset carries its
// own sub-second part. Two callers then start at once: the budget has
// room for one of them only, and the other waits for the next window
// instead of meeting a 429.
func TestLateAnswerNeverRaisesTheBudget(t *testing.T) {
	clk := clocktest.New(epoch.Add(10 * time.Second))
	release1, arrived4 := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := &stampingServer{clk: clk, limit: 3, counted: map[int64]int{}}
	srv.hold = func(id string) {
		switch id {
		case "1":
			<-release1
		case "3":
			select { // answered once 4 went (or has waited for the window)
			case <-arrived4:
			case <-time.After(5 * time.Second):
				t.Error("request 4 never went")
			}
		case "4":
			once.Do(func() { close(arrived4) })
		}
	}
	hs := newServer(t, srv.ServeHTTP)
	rec := &recorder{clock: clk}
	c := New(Options{Server: hs.URL, Token: testToken, Options: remote.Options{Now: clk.Now, Sleep: rec.Sleep, OnWait: rec.OnWait}})
	ctx := context.Background()

	done1 := make(chan error, 1)
	go func() { _, err := c.Status(ctx, "1"); done1 <- err }()
	for !srv.count("1") {
		time.Sleep(time.Millisecond)
	}
	if _, err := c.Status(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	close(release1)
	if err := <-done1; err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, id := range []string{"3", "4"} {
		wg.Go(func() {
			if _, err := c.Status(ctx, id); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if srv.tooMany != 0 {
		t.Errorf("the server answered 429 %d times: a late answer raised the budget", srv.tooMany)
	}
	if len(rec.Sleeps()) != 1 {
		t.Errorf("waits %v, want one until the next window", rec.Sleeps())
	}
}
