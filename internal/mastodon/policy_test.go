package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// serverDate is the server's clock in these tests, an hour before the
// client's fake clock (epoch), so a wait computed from the local clock
// would come out wrong.
var serverDate = epoch.Add(-time.Hour)

func setRate(w http.ResponseWriter, remaining int, reset time.Time) {
	w.Header().Set("Date", serverDate.Format(http.TimeFormat))
	w.Header().Set("X-RateLimit-Limit", "300")
	w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(remaining))
	w.Header().Set("X-RateLimit-Reset", reset.UTC().Format("2006-01-02T15:04:05.000000Z"))
}

func TestTooManyRequestsWaitsUntilReset(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if h.inc() == 1 {
			setRate(w, 0, serverDate.Add(30*time.Second+250*time.Millisecond))
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":"Too many requests"}`)
			return
		}
		setRate(w, 299, serverDate.Add(5*time.Minute))
		fmt.Fprint(w, statusJSON("1"))
	})
	c, rec := newTestClient(t, srv)
	st, err := c.Status(context.Background(), "1")
	if err != nil {
		t.Fatal(err)
	}
	if st.ID != "1" {
		t.Errorf("status id %q", st.ID)
	}
	want := 30*time.Second + 250*time.Millisecond + remote.ResetMargin
	if got := rec.Sleeps(); len(got) != 1 || got[0] != want {
		t.Fatalf("sleeps = %v, want exactly [%v] (reset - Date + margin)", got, want)
	}
	if ev := rec.Events(); len(ev) != 1 || ev[0].Reason != "429" || ev[0].Duration != want || ev[0].Attempt != 2 {
		t.Errorf("wait events = %+v", ev)
	}
	if c.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2", c.Requests())
	}
	if rl := c.RateLimit(); !rl.Known || rl.Limit != 300 || rl.Remaining != 299 {
		t.Errorf("RateLimit() = %+v", rl)
	}
}

func TestTooManyRequestsRetryAfterAndBackoff(t *testing.T) {
	for _, tt := range []struct {
		name       string
		retryAfter string
		min, max   time.Duration
	}{
		{"retry-after wins", "7", 7 * time.Second, 7 * time.Second},
		{"no hint: backoff", "", time.Second, time.Second + time.Second/4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &hits{}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if h.inc() == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
						// A far reset must not add a second wait.
						setRate(w, 0, serverDate.Add(4*time.Minute))
					}
					w.WriteHeader(http.StatusTooManyRequests)
					fmt.Fprint(w, `{"error":"rate limit reached"}`)
					return
				}
				fmt.Fprint(w, statusJSON("1"))
			})
			c, rec := newTestClient(t, srv)
			if _, err := c.Status(context.Background(), "1"); err != nil {
				t.Fatal(err)
			}
			got := rec.Sleeps()
			if len(got) != 1 || got[0] < tt.min || got[0] > tt.max {
				t.Fatalf("sleeps = %v, want one in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}

func TestTooManyRequestsGivesUp(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.inc()
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":"Too many requests"}`)
	})
	c, rec := newTestClient(t, srv)
	_, err := c.Status(context.Background(), "1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.Message != "Too many requests" || ae.RetryAfter != time.Second {
		t.Fatalf("err = %#v, want the 429 APIError", err)
	}
	if h.get() != remote.Max429Retries+1 || len(rec.Sleeps()) != remote.Max429Retries {
		t.Errorf("requests = %d, sleeps = %d; want %d and %d", h.get(), len(rec.Sleeps()), remote.Max429Retries+1, remote.Max429Retries)
	}
}

func TestPacingWhenRemainingIsZero(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch h.inc() {
		case 1:
			setRate(w, 0, serverDate.Add(10*time.Second+500*time.Millisecond))
		default:
			setRate(w, 299, serverDate.Add(5*time.Minute))
		}
		fmt.Fprint(w, statusJSON("1"))
	})
	c, rec := newTestClient(t, srv)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.Status(ctx, "1"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if rl := c.RateLimit(); rl.Remaining != 0 || !rl.Reset.Equal(serverDate.Add(10*time.Second+500*time.Millisecond)) {
				t.Errorf("RateLimit() after first = %+v", rl)
			}
		}
	}
	want := 10*time.Second + 500*time.Millisecond + remote.ResetMargin
	if got := rec.Sleeps(); len(got) != 1 || got[0] != want {
		t.Fatalf("sleeps = %v, want [%v] before the second request only", got, want)
	}
	if ev := rec.Events(); ev[0].Reason != "rate limit" {
		t.Errorf("reason = %q", ev[0].Reason)
	}
	if h.get() != 3 {
		t.Errorf("requests = %d", h.get())
	}
}

func TestPacingWithoutDateUsesLocalClock(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // suppress the automatic Date header
		w.Header().Set("X-RateLimit-Limit", "300")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", epoch.Add(5*time.Second).Format("2006-01-02T15:04:05.000Z"))
		fmt.Fprint(w, statusJSON("1"))
	})
	c, rec := newTestClient(t, srv)
	for i := 0; i < 2; i++ {
		if _, err := c.Status(context.Background(), "1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := rec.Sleeps(); len(got) != 1 || got[0] != 5*time.Second+remote.ResetMargin {
		t.Fatalf("sleeps = %v, want [5.1s]", got)
	}
}

func TestPacingCapsLongWaits(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		setRate(w, 0, serverDate.Add(3*time.Hour))
		fmt.Fprint(w, statusJSON("1"))
	})
	c, rec := newTestClient(t, srv)
	for i := 0; i < 2; i++ {
		if _, err := c.Status(context.Background(), "1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := rec.Sleeps(); len(got) != 1 || got[0] != remote.MaxWait {
		t.Fatalf("sleeps = %v, want [%v]", got, remote.MaxWait)
	}
}

func TestServiceUnavailableRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		name, retryAfter string
		want             time.Duration
	}{
		{"seconds", "30", 30 * time.Second},
		{"http date", serverDate.Add(42 * time.Second).Format(http.TimeFormat), 42 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &hits{}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if h.inc() == 1 {
					w.Header().Set("Date", serverDate.Format(http.TimeFormat))
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(http.StatusServiceUnavailable)
					fmt.Fprint(w, `{"error":"Remote data could not be fetched"}`)
					return
				}
				fmt.Fprint(w, `{"statuses":[`+statusJSON("5")+`]}`)
			})
			c, rec := newTestClient(t, srv)
			st, err := c.Resolve(context.Background(), "https://remote.example/users/a/statuses/5")
			if err != nil || st == nil || st.ID != "5" {
				t.Fatalf("Resolve = %v, %v", st, err)
			}
			if got := rec.Sleeps(); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("sleeps = %v, want [%v]", got, tt.want)
			}
			if ev := rec.Events(); ev[0].Reason != "503 Retry-After" {
				t.Errorf("reason = %q", ev[0].Reason)
			}
		})
	}
}

func TestBadGatewayRetriedWithBackoff(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if h.inc() <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>Bad Gateway</body></html>")
			return
		}
		fmt.Fprint(w, statusJSON("1"))
	})
	c, rec := newTestClient(t, srv)
	if _, err := c.Bookmark(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	got := rec.Sleeps()
	if len(got) != 2 || got[0] < time.Second || got[0] >= 1250*time.Millisecond || got[1] < 2*time.Second || got[1] >= 2500*time.Millisecond {
		t.Fatalf("sleeps = %v, want ~1s then ~2s", got)
	}
	if ev := rec.Events(); ev[0].Reason != "502" {
		t.Errorf("reason = %q", ev[0].Reason)
	}
	if c.Requests() != 3 {
		t.Errorf("Requests() = %d", c.Requests())
	}
}

// hijackFirst drops the connection without an answer for the first n
// requests.
func hijackFirst(t *testing.T, n int, h *hits, ok func(w http.ResponseWriter)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.inc() <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
			return
		}
		ok(w)
	}
}

func TestDroppedConnectionRetried(t *testing.T) {
	h := &hits{}
	srv := newServer(t, hijackFirst(t, 2, h, func(w http.ResponseWriter) {
		fmt.Fprint(w, `{"id":"1","username":"alice","acct":"alice"}`)
	}))
	c, rec := newTestClient(t, srv)
	a, err := c.VerifyCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.Username != "alice" {
		t.Errorf("account %+v", a)
	}
	if h.get() != 3 || len(rec.Sleeps()) != 2 {
		t.Errorf("requests = %d, sleeps = %v", h.get(), rec.Sleeps())
	}
	if ev := rec.Events(); !strings.HasPrefix(ev[0].Reason, "retry after") {
		t.Errorf("reason = %q", ev[0].Reason)
	}
}

func TestRetriesExhausted(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.inc()
		w.WriteHeader(http.StatusGatewayTimeout)
	})
	c, rec := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 2 })
	_, err := c.Status(context.Background(), "1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 504 || ae.Message != "Gateway Timeout" {
		t.Fatalf("err = %v, want a 504 APIError", err)
	}
	var u interface{ Unreachable() bool }
	if !errors.As(err, &u) || !u.Unreachable() {
		t.Errorf("504 after retries is not Unreachable")
	}
	if h.get() != 3 || len(rec.Sleeps()) != 2 {
		t.Errorf("requests = %d, sleeps = %d; want 3 and 2", h.get(), len(rec.Sleeps()))
	}
}

func TestConnectionFailuresExhausted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more: connection refused
	c, rec := newTestClient(t, srv, func(o *Options) { o.MaxRetries = 3 })
	_, err := c.Resolve(context.Background(), "https://remote.example/private?token=x")
	var ne *NetError
	if !errors.As(err, &ne) || ne.Attempts != 4 || ne.Path != "/api/v2/search" {
		t.Fatalf("err = %#v, want a NetError after 4 attempts", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err %v does not wrap ECONNREFUSED", err)
	}
	var u interface{ Unreachable() bool }
	if !errors.As(err, &u) || !u.Unreachable() {
		t.Error("NetError is not Unreachable")
	}
	if s := err.Error(); strings.Contains(s, testToken) || strings.Contains(s, "remote.example") || strings.Contains(s, "?") {
		t.Errorf("error text leaks the token or the query: %s", s)
	}
	if len(rec.Sleeps()) != 3 || c.Requests() != 4 {
		t.Errorf("sleeps = %d, requests = %d", len(rec.Sleeps()), c.Requests())
	}
}

func TestCancelDuringWaitReturnsPromptly(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "600")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waiting := make(chan struct{})
	var once sync.Once
	// The real Sleep: only ctx can end a 10-minute wait early.
	c := New(Options{Server: srv.URL, Token: testToken, Options: remote.Options{OnWait: func(WaitEvent) { once.Do(func() { close(waiting) }) }}})
	done := make(chan error, 1)
	go func() {
		_, err := c.Status(ctx, "1")
		done <- err
	}()
	<-waiting
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second): // a guard against a hang, not a timing assertion
		t.Fatal("Status did not return after cancel")
	}
	if c.Requests() != 1 {
		t.Errorf("Requests() = %d", c.Requests())
	}
}

func TestCancelledContextSendsNothing(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { h.inc() })
	c, _ := newTestClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Status(ctx, "1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if h.get() != 0 || c.Requests() != 0 {
		t.Errorf("a cancelled call sent %d requests", h.get())
	}
}

func TestUnauthorizedGivesAPIError(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.inc()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"The access token is invalid"}`)
	})
	c, _ := newTestClient(t, srv)
	_, err := c.BookmarksPage(context.Background(), "")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	if got, want := err.Error(), "GET /api/v1/bookmarks: 401 The access token is invalid"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !IsStatus(err, 401) || ae.StatusCode != 401 || h.get() != 1 {
		t.Errorf("IsStatus=%v requests=%d (401 must not be retried)", IsStatus(err, 401), h.get())
	}
}

func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		code              int
		wantMsg, wantDesc string
	}{
		{"json", "application/json", `{"error":"Record not found"}`, 404, "Record not found", ""},
		{"oauth", "application/json", `{"error":"invalid_grant","error_description":"The grant is invalid"}`, 400, "invalid_grant", "The grant is invalid"},
		{"plain text", "text/plain", "  validation\n failed:   bad  \n", 422, "validation failed: bad", ""},
		{"html", "text/html", "<!doctype html><html>Oops</html>", 403, "Forbidden", ""},
		{"empty", "", "", 410, "Gone", ""},
		{"echoed token", "text/plain", "bad token " + testToken, 400, "bad token [redacted]", ""},
		{"long", "text/plain", strings.Repeat("x", 5000), 400, strings.Repeat("x", 200) + "…", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.code)
				fmt.Fprint(w, tt.body)
			})
			c, _ := newTestClient(t, srv)
			_, err := c.Status(context.Background(), "1")
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.code {
				t.Fatalf("err = %v", err)
			}
			if ae.Message != tt.wantMsg || ae.Description != tt.wantDesc {
				t.Errorf("Message, Description = %q, %q; want %q, %q", ae.Message, ae.Description, tt.wantMsg, tt.wantDesc)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %s", err)
			}
		})
	}
}

func TestSnacAlreadyBookmarked422ReturnedUnchanged(t *testing.T) {
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.inc()
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/statuses/42/bookmark" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"error":"already bookmarked"}`)
	})
	c, _ := newTestClient(t, srv)
	_, err := c.Bookmark(context.Background(), "42")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 422 || ae.Message != "already bookmarked" || ae.Method != "POST" || ae.Path != "/api/v1/statuses/42/bookmark" {
		t.Fatalf("err = %#v", err)
	}
	if h.get() != 1 {
		t.Errorf("422 was retried: %d requests", h.get())
	}
}

func TestTokenOnlyToTheServer(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // path on the other host -> Authorization
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		fmt.Fprint(w, "PNGDATA")
	})
	var srvAuth []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		srvAuth = append(srvAuth, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case "/api/v1/statuses/1":
			http.Redirect(w, r, other.URL+"/redirected", http.StatusFound)
		case "/api/v1/statuses/2":
			http.Redirect(w, r, "/api/v1/statuses/3", http.StatusFound)
		case "/api/v1/statuses/3":
			fmt.Fprint(w, `{"id":"3","uri":"https://x.example/s/3"}`)
		case "/system/media/x.png":
			fmt.Fprint(w, "LOCALPNG")
		default:
			fmt.Fprint(w, `{"id":"7","username":"a","acct":"a"}`)
		}
	})
	c, _ := newTestClient(t, srv)
	ctx := context.Background()
	if _, err := c.VerifyCredentials(ctx); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if _, _, err := c.Download(ctx, other.URL+"/media/a.png", &buf, 1<<20); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, _, err := c.Download(ctx, srv.URL+"/system/media/x.png", &buf, 1<<20); err != nil || buf.String() != "LOCALPNG" {
		t.Fatalf("download from the server: %q %v", buf.String(), err)
	}
	// A redirect to another host is not followed at all: its answer would
	// not be the account's.
	_, err := c.Status(ctx, "1")
	var re *RedirectError
	if !errors.As(err, &re) || re.To != other.URL || fedimarks.IsUnreachable(err) || errors.As(err, new(*APIError)) {
		t.Errorf("redirect to another host: %v (%T), want a *RedirectError to %s", err, err, other.URL)
	}
	// On the server itself it is followed, with the token.
	if st, err := c.Status(ctx, "2"); err != nil || st.ID != "3" {
		t.Errorf("redirect on the server: %v %v", st.ID, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for path, auth := range seen {
		if auth != "" {
			t.Errorf("the other host got Authorization on %s", path)
		}
	}
	if _, ok := seen["/redirected"]; ok {
		t.Error("the redirect to another host was followed")
	}
	want := []string{
		"/api/v1/accounts/verify_credentials Bearer " + testToken,
		"/system/media/x.png ",
		"/api/v1/statuses/1 Bearer " + testToken,
		"/api/v1/statuses/2 Bearer " + testToken,
		"/api/v1/statuses/3 Bearer " + testToken,
	}
	if strings.Join(srvAuth, "|") != strings.Join(want, "|") {
		t.Errorf("server saw %q, want %q", srvAuth, want)
	}
}

func TestNoTokenNoAuthorization(t *testing.T) {
	var auth []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		if ua := r.Header.Get("User-Agent"); ua != "fedimarks-test/1" {
			t.Errorf("User-Agent %q", ua)
		}
		fmt.Fprint(w, `{"domain":"x.example","version":"4.3.0"}`)
	})
	c, _ := newTestClient(t, srv, func(o *Options) { o.Token = ""; o.UserAgent = "fedimarks-test/1" })
	if _, err := c.Instance(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(auth) != 1 || auth[0] != "" {
		t.Errorf("Authorization = %q", auth)
	}
}

func TestResponseSizeCap(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"statuses":[],"pad":"`)
		chunk := strings.Repeat("x", 1<<20)
		for i := 0; i <= maxJSONBytes>>20; i++ {
			fmt.Fprint(w, chunk)
		}
		fmt.Fprint(w, `"}`)
	})
	c, _ := newTestClient(t, srv)
	_, err := c.Resolve(context.Background(), "https://x/1")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want a size error", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		setRate(w, 100, serverDate.Add(time.Minute))
		fmt.Fprint(w, statusJSON("1"))
	})
	c, _ := newTestClient(t, srv)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if _, err := c.Status(context.Background(), "1"); err != nil {
					t.Error(err)
				}
				_ = c.RateLimit()
			}
		}()
	}
	wg.Wait()
	if c.Requests() != 40 {
		t.Errorf("Requests() = %d, want 40", c.Requests())
	}
}
