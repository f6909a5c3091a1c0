package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/clocktest"
)

// fixture is a policy on a fake clock whose sleeps advance the clock and
// are recorded with what OnWait said.
type fixture struct {
	p     *Policy
	clock *clocktest.Clock
	mu    sync.Mutex
	waits []WaitEvent
	slept []time.Duration
}

func newFixture(o Options) *fixture {
	f := &fixture{clock: clocktest.New(epoch)}
	o.Now = f.clock.Now
	o.Sleep = func(ctx context.Context, d time.Duration) error {
		f.mu.Lock()
		f.slept = append(f.slept, d)
		f.mu.Unlock()
		f.clock.Advance(d)
		return ctx.Err()
	}
	o.OnWait = func(e WaitEvent) {
		f.mu.Lock()
		f.waits = append(f.waits, e)
		f.mu.Unlock()
	}
	f.p = New(o)
	return f
}

func (f *fixture) reasons() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r []string
	for _, w := range f.waits {
		r = append(r, w.Reason)
	}
	return r
}

// refusal is the error the test adapter makes of an answer.
type refusal struct{ status int }

func (e *refusal) Error() string { return fmt.Sprintf("refused %d", e.status) }

// call is a call of the test adapter to url: an answer's Retry-After is
// the wait asked for; a 500 with "X-Final: yes" is final.
func call(url string, idempotent, paced bool) Call {
	return Call{
		Client: http.DefaultClient,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		},
		Refused: func(resp *http.Response) Refusal {
			DrainClose(resp.Body)
			return Refusal{Err: &refusal{resp.StatusCode}, RetryAfter: RetryAfter(resp.Header, time.Now),
				Final: resp.Header.Get("X-Final") == "yes"}
		},
		Idempotent: idempotent,
		Paced:      paced,
	}
}

// script answers the n-th request (from 0) with the n-th status (200
// after them), setting the headers given for it.
func script(t *testing.T, statuses []int, headers map[int]http.Header) (*httptest.Server, func() int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		k := n
		n++
		mu.Unlock()
		for name, v := range headers[k] {
			w.Header()[name] = v
		}
		if k < len(statuses) {
			w.WriteHeader(statuses[k])
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func TestPolicyRetriesAnswers(t *testing.T) {
	retryAfter := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name       string
		statuses   []int
		headers    map[int]http.Header
		idempotent bool
		wantErr    int // the status of the refusal returned, 0 for success
		wantWaits  []string
		wantSlept  []time.Duration // when exact (no jitter)
	}{
		{name: "5xx of an idempotent call, then success", statuses: []int{502, 500, 504}, idempotent: true,
			wantWaits: []string{"502", "500", "504"}},
		{name: "5xx of a call that may not be repeated", statuses: []int{502}, wantErr: 502},
		{name: "a 500 the adapter calls final", statuses: []int{500}, idempotent: true,
			headers: map[int]http.Header{0: {"X-Final": {"yes"}}}, wantErr: 500},
		{name: "503 waits its Retry-After", statuses: []int{503}, idempotent: true,
			headers: map[int]http.Header{0: retryAfter("30")}, wantWaits: []string{"503 Retry-After"},
			wantSlept: []time.Duration{30 * time.Second}},
		{name: "429 waits its Retry-After even when not idempotent", statuses: []int{429, 429},
			headers: map[int]http.Header{0: retryAfter("7")}, wantWaits: []string{"429", "429"}},
		{name: "a Retry-After of a day is cut to the cap, and said", statuses: []int{429},
			headers: map[int]http.Header{0: retryAfter("86400")}, wantWaits: []string{"429"}, wantSlept: []time.Duration{MaxWait}},
		{name: "429s in a row end after Max429Retries", statuses: slices.Repeat([]int{429}, Max429Retries+1),
			wantErr: 429, wantWaits: slices.Repeat([]string{"429"}, Max429Retries)},
		{name: "5xx retries end after MaxRetries", statuses: slices.Repeat([]int{503}, 4), idempotent: true,
			wantErr: 503, wantWaits: []string{"503", "503", "503"}},
		{name: "a 404 is returned at once", statuses: []int{404}, idempotent: true, wantErr: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := script(t, tt.statuses, tt.headers)
			f := newFixture(Options{MaxRetries: 3, Backoff: time.Second})
			resp, err := f.p.Do(context.Background(), call(srv.URL, tt.idempotent, false))
			var r *refusal
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr == 0:
				resp.Body.Close()
			case !errors.As(err, &r) || r.status != tt.wantErr:
				t.Fatalf("err = %v, want the refusal of the %d", err, tt.wantErr)
			}
			if got := f.reasons(); !slices.Equal(got, tt.wantWaits) {
				t.Errorf("waits %q, want %q", got, tt.wantWaits)
			}
			if tt.wantSlept != nil && !slices.Equal(f.slept, tt.wantSlept) {
				t.Errorf("slept %v, want %v", f.slept, tt.wantSlept)
			}
			if got, want := int64(requests()), f.p.Requests(); got != want || got != int64(len(tt.wantWaits)+1) {
				t.Errorf("%d requests reached the server, %d counted, want %d", got, want, len(tt.wantWaits)+1)
			}
		})
	}
}

// Backoffs grow from Backoff with up to 25% jitter; the policy's waits
// before the attempts say which attempt follows.
func TestPolicyBackoffBetweenRetries(t *testing.T) {
	srv, _ := script(t, []int{502, 502, 502}, nil)
	f := newFixture(Options{MaxRetries: 5, Backoff: time.Second})
	resp, err := f.p.Do(context.Background(), call(srv.URL, true, false))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, w := range f.waits {
		base := time.Second << k
		if w.Duration < base || w.Duration >= base+base/4 || w.Attempt != k+2 {
			t.Errorf("wait %d: %+v, want %v (+25%%) before attempt %d", k, w, base, k+2)
		}
	}
}

// A server found down (a request unanswered through all its retries)
// is tried once per request for DownFor; any answer ends that, and a
// host elsewhere (media) failing says nothing of the server.
func TestPolicyServerFoundDownFailsFast(t *testing.T) {
	live, _ := script(t, nil, nil)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // connection refused from now on
	f := newFixture(Options{MaxRetries: 2})
	try := func(why string, url string, elsewhere bool, wantRequests int64) {
		t.Helper()
		before := f.p.Requests()
		c := call(url, true, true)
		c.Elsewhere = elsewhere
		resp, err := f.p.Do(context.Background(), c)
		var none *NoAnswer
		switch {
		case url == live.URL && err != nil:
			t.Fatalf("%s: %v", why, err)
		case url == live.URL:
			resp.Body.Close()
		case !errors.As(err, &none) || none.Attempts != int(wantRequests):
			t.Fatalf("%s: err = %v, want no answer after %d attempts", why, err, wantRequests)
		}
		if got := f.p.Requests() - before; got != wantRequests {
			t.Errorf("%s: %d requests, want %d", why, got, wantRequests)
		}
	}
	try("media elsewhere unanswered", dead.URL, true, 3)
	try("the server, after media failed", dead.URL, false, 3)
	try("the server just found down", dead.URL, false, 1)
	f.clock.Advance(DownFor - time.Second)
	try("still within DownFor", dead.URL, false, 1)
	f.clock.Advance(2 * time.Second)
	try("DownFor over", dead.URL, false, 3)
	try("found down again", dead.URL, false, 1)
	try("an answer", live.URL, false, 1)
	try("after an answer", dead.URL, false, 3)
}

// Paced calls wait for the window their answers' X-RateLimit-* headers
// name when its budget is spent; unpaced calls neither wait nor record.
// A 429 without Retry-After waits until that window is over.
func TestPolicyPacedCallsWaitForTheWindow(t *testing.T) {
	serverNow := epoch.Add(-time.Hour) // the server's clock is an hour behind
	spent := http.Header{
		"Date":                  {serverNow.Format(http.TimeFormat)},
		"X-Ratelimit-Limit":     {"300"},
		"X-Ratelimit-Remaining": {"0"},
		"X-Ratelimit-Reset":     {serverNow.Add(10 * time.Second).Format(time.RFC3339Nano)},
	}
	srv, _ := script(t, []int{200, 429}, map[int]http.Header{0: spent, 1: spent})
	f := newFixture(Options{})
	ctx := context.Background()
	resp, err := f.p.Do(ctx, call(srv.URL, true, true))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rl := f.p.RateLimit(); !rl.Known || rl.Limit != 300 || rl.Remaining != 0 {
		t.Fatalf("RateLimit() = %+v", rl)
	}
	resp, err = f.p.Do(ctx, call(srv.URL, true, true))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := 10*time.Second + ResetMargin
	if got := f.reasons(); !slices.Equal(got, []string{"rate limit", "429"}) || f.slept[0] != want {
		t.Errorf("waits %q %v, want a rate-limit wait of %v then a 429's", got, f.slept, want)
	}
	before := len(f.slept)
	unpaced, _ := script(t, nil, map[int]http.Header{0: spent})
	for range 3 {
		resp, err := f.p.Do(ctx, call(unpaced.URL, true, false))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(f.slept) != before {
		t.Errorf("unpaced calls waited: %v", f.slept[before:])
	}
}

// A cancelled context sends nothing; one cancelled during a wait ends
// the call with its error.
func TestPolicyCancel(t *testing.T) {
	srv, requests := script(t, []int{503, 503}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := New(Options{})
	if _, err := p.Do(ctx, call(srv.URL, true, false)); !errors.Is(err, context.Canceled) || requests() != 0 {
		t.Fatalf("cancelled: err %v, %d requests", err, requests())
	}
	ctx, cancel = context.WithCancel(context.Background())
	p = New(Options{OnWait: func(WaitEvent) { cancel() }})
	if _, err := p.Do(ctx, call(srv.URL, true, false)); !errors.Is(err, context.Canceled) || requests() != 1 {
		t.Fatalf("cancelled while waiting: err %v, %d requests", err, requests())
	}
}
