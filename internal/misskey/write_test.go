package misskey

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/remote"
)

// A favorite whose answer was lost (the connection closed after the
// server stored it) is sent again; the repeat's ALREADY_FAVORITED is the
// first request's doing, so the note was favorited now. Without a lost
// answer, ALREADY_FAVORITED is a conflict: already there.
func TestBookmarkAnswerLostThenAlreadyFavorited(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Write([]byte("HTTP/1.1 20")) // stored, then the answer is cut
			conn.Close()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":{"message":"The note has already been marked as a favorite.","code":"ALREADY_FAVORITED","id":"a402c12b-34dd-41d2-97d8-4d2ffd96a1a6","kind":"client"}}`))
	}))
	defer srv.Close()
	noSleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	w := NewWriter(New(Options{Server: srv.URL, Token: "tok-0123456789", Options: remote.Options{Sleep: noSleep}}))
	if _, err := w.Bookmark(context.Background(), "9abc"); err != nil {
		t.Fatalf("answer lost, then ALREADY_FAVORITED: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2", calls.Load())
	}
	_, err := w.Bookmark(context.Background(), "9abc")
	if fedimarks.ErrorKind(err) != fedimarks.KindConflict || !strings.Contains(err.Error(), "ALREADY_FAVORITED") {
		t.Errorf("a plain ALREADY_FAVORITED: %v (kind %q)", err, fedimarks.ErrorKind(err))
	}
}

// Misskey sends no Retry-After with its 429: the limiter's info.resetMs
// (the window's end, Unix milliseconds) says how long to wait.
func TestRateLimitWaitsUntilInfoResetMs(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	reset := now.Add(40 * time.Minute)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"message":"Rate limit exceeded. Please try again later.","code":"RATE_LIMIT_EXCEEDED","id":"d5826d14-3982-4d2e-8011-b9e9f02499ef","kind":"client","info":{"resetMs":` +
				strconv.FormatInt(reset.UnixMilli(), 10) + `}}}`))
			return
		}
		w.Write([]byte(`{"type":"Note","object":{"id":"9n","uri":"https://a.example/notes/1","createdAt":"2026-01-01T00:00:00.000Z","visibility":"public","user":{"id":"u","username":"a","host":"a.example"}}}`))
	}))
	defer srv.Close()
	var waited time.Duration
	c := New(Options{Server: srv.URL, Token: "tok-0123456789",
		Options: remote.Options{
			Now:   func() time.Time { return now },
			Sleep: func(ctx context.Context, d time.Duration) error { waited += d; return nil },
		},
	})
	st, err := NewWriter(c).Resolve(context.Background(), "https://a.example/notes/1")
	if err != nil || st == nil || st.ID != "9n" {
		t.Fatalf("resolve after a 429: %v %v", st, err)
	}
	if waited < 14*time.Minute {
		t.Errorf("waited %v after a 429 whose window ends in 40 minutes", waited)
	}
}
