package mastodon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDownload(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 1000) // 10,000 bytes
	h := &hits{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("Authorization sent with a download")
		}
		switch r.URL.Path {
		case "/sized.png":
			w.Header().Set("Content-Type", "image/png")
			w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
			w.Write(payload)
		case "/chunked.mp4":
			w.Header().Set("Content-Type", "video/mp4")
			for i := 0; i < 10; i++ {
				w.Write(payload[i*1000 : (i+1)*1000])
				w.(http.Flusher).Flush()
			}
		case "/flaky.png":
			if h.inc() == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "image/png")
			w.Write(payload)
		case "/gone.png":
			w.WriteHeader(http.StatusGone)
		default:
			http.NotFound(w, r)
		}
	})
	c, rec := newTestClient(t, srv)
	ctx := context.Background()

	for _, path := range []string{"/sized.png", "/chunked.mp4", "/flaky.png"} {
		var buf bytes.Buffer
		ct, n, err := c.Download(ctx, srv.URL+path, &buf, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if n != int64(len(payload)) || !bytes.Equal(buf.Bytes(), payload) || ct == "" {
			t.Errorf("%s: ct=%q n=%d len=%d", path, ct, n, buf.Len())
		}
	}
	if len(rec.Sleeps()) != 1 {
		t.Errorf("flaky download: sleeps = %v, want one retry", rec.Sleeps())
	}

	// Exactly at the limit is fine.
	var buf bytes.Buffer
	if _, n, err := c.Download(ctx, srv.URL+"/chunked.mp4", &buf, int64(len(payload))); err != nil || n != int64(len(payload)) {
		t.Errorf("download at the limit: n=%d err=%v", n, err)
	}
	for _, path := range []string{"/sized.png", "/chunked.mp4"} {
		var buf bytes.Buffer
		_, n, err := c.Download(ctx, srv.URL+path, &buf, 4096)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s over the limit: err = %v, want ErrTooLarge", path, err)
		}
		if n > 4096 || int64(buf.Len()) > 4096 {
			t.Errorf("%s: wrote %d bytes past a 4096 limit", path, buf.Len())
		}
	}
	for _, code := range []int{404, 410} {
		path := map[int]string{404: "/missing.png", 410: "/gone.png"}[code]
		_, _, err := c.Download(ctx, srv.URL+path, &bytes.Buffer{}, 0)
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != code || ae.Path != path {
			t.Errorf("%s: err = %v, want a %d APIError", path, err, code)
		}
	}
	before := c.Requests()
	for _, bad := range []string{"file:///etc/passwd", "javascript:alert(1)", "/relative.png", "ftp://x/y"} {
		if _, _, err := c.Download(ctx, bad, &bytes.Buffer{}, 0); err == nil {
			t.Errorf("Download(%q) succeeded", bad)
		}
	}
	if c.Requests() != before {
		t.Errorf("bad URLs sent %d requests", c.Requests()-before)
	}
}

func TestDownloadDoesNotPaceOrRecordRateLimits(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		// A CDN that happens to send rate limit headers with nothing left.
		setRate(w, 0, serverDate.Add(10*time.Minute))
		fmt.Fprint(w, "data")
	})
	c, rec := newTestClient(t, srv)
	for i := 0; i < 2; i++ {
		if _, _, err := c.Download(context.Background(), srv.URL+"/x", &bytes.Buffer{}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.Sleeps()) != 0 || c.RateLimit().Known {
		t.Errorf("downloads paced (%v) or recorded rate limits (%+v)", rec.Sleeps(), c.RateLimit())
	}
}

func TestResolve(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/api/v2/search" || q.Get("resolve") != "true" || q.Get("type") != "statuses" || q.Get("limit") != "1" {
			t.Errorf("request %s", r.URL)
		}
		switch q.Get("q") {
		case "https://remote.example/users/a/statuses/1?x=1&y=2":
			fmt.Fprint(w, `{"accounts":[],"statuses":[`+statusJSON("77")+`],"hashtags":[]}`)
		default:
			fmt.Fprint(w, `{"accounts":[],"statuses":[],"hashtags":[]}`)
		}
	})
	c, _ := newTestClient(t, srv)
	st, err := c.Resolve(context.Background(), "https://remote.example/users/a/statuses/1?x=1&y=2")
	if err != nil || st == nil || st.ID != "77" || !strings.Contains(string(st.Raw), `"id":"77"`) {
		t.Fatalf("Resolve = %+v, %v", st, err)
	}
	st, err = c.Resolve(context.Background(), "https://remote.example/users/a/statuses/gone")
	if st != nil || err != nil {
		t.Errorf("Resolve of nothing = %v, %v; want nil, nil", st, err)
	}
}

func TestStatusIDIsPathEscaped(t *testing.T) {
	var paths []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.EscapedPath())
		fmt.Fprint(w, statusJSON("x"))
	})
	c, _ := newTestClient(t, srv)
	ctx := context.Background()
	if _, err := c.Status(ctx, "a/b?c"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bookmark(ctx, "../x"); err != nil {
		t.Fatal(err)
	}
	if err := c.Unbookmark(ctx, "12"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v1/statuses/a%2Fb%3Fc",
		"POST /api/v1/statuses/..%2Fx/bookmark",
		"POST /api/v1/statuses/12/unbookmark",
	}
	if strings.Join(paths, "|") != strings.Join(want, "|") {
		t.Errorf("paths = %q, want %q", paths, want)
	}
}

func TestVerifyCredentials(t *testing.T) {
	body := `{"id":110000000000000001,"username":"alice","acct":"alice","display_name":"Alice","url":"https://m.example/@alice","note":"unknown fields kept"}`
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/accounts/verify_credentials" {
			t.Errorf("path %s", r.URL.Path)
		}
		fmt.Fprint(w, body)
	})
	c, _ := newTestClient(t, srv)
	a, err := c.VerifyCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "110000000000000001" || a.Username != "alice" || a.Acct != "alice" || a.DisplayName != "Alice" || a.URL != "https://m.example/@alice" || string(a.Raw) != body {
		t.Errorf("account = %+v", a)
	}
}

func TestInstance(t *testing.T) {
	t.Run("v2", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v2/instance" {
				t.Errorf("path %s", r.URL.Path)
			}
			fmt.Fprint(w, `{"domain":"gts.example","version":"0.17.3 git-abc123","source_url":"https://github.com/superseriousbusiness/gotosocial"}`)
		})
		c, _ := newTestClient(t, srv)
		in, err := c.Instance(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if in != (Instance{Domain: "gts.example", Version: "0.17.3 git-abc123", Software: "gotosocial"}) {
			t.Errorf("instance = %+v", in)
		}
	})
	t.Run("v1 fallback", func(t *testing.T) {
		var paths []string
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.Path)
			if r.URL.Path == "/api/v2/instance" {
				w.WriteHeader(404)
				fmt.Fprint(w, `{"error":"Record not found"}`)
				return
			}
			fmt.Fprint(w, `{"uri":"old.example","version":"3.5.3 (compatible; Pixelfed 0.12.4)"}`)
		})
		c, _ := newTestClient(t, srv)
		in, err := c.Instance(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if in != (Instance{Domain: "old.example", Version: "3.5.3 (compatible; Pixelfed 0.12.4)", Software: "pixelfed", MastodonVersion: [3]int{3, 5, 3}}) {
			t.Errorf("instance = %+v", in)
		}
		if strings.Join(paths, ",") != "/api/v2/instance,/api/v1/instance" {
			t.Errorf("paths = %v", paths)
		}
	})
	t.Run("v1 uri as URL", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v2/instance" {
				w.WriteHeader(404)
				return
			}
			fmt.Fprint(w, `{"uri":"https://akko.example","version":"2.7.2 (compatible; Akkoma 3.10.4)"}`)
		})
		c, _ := newTestClient(t, srv)
		in, err := c.Instance(context.Background())
		if err != nil || in.Domain != "akko.example" || in.Software != "akkoma" {
			t.Errorf("instance = %+v, %v", in, err)
		}
	})
	t.Run("other errors are not a fallback", func(t *testing.T) {
		h := &hits{}
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			h.inc()
			w.WriteHeader(401)
		})
		c, _ := newTestClient(t, srv)
		if _, err := c.Instance(context.Background()); !IsStatus(err, 401) || h.get() != 1 {
			t.Errorf("err = %v, requests = %d", err, h.get())
		}
	})
}
