package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

// TestFetchObject asks fake origins about their posts: the Note of a
// public post; 410 with a Tombstone or 404 for deleted ones (an *APIError
// with the status); 401 under authorized fetch; a down server as a
// *NetError after one attempt; a slow one as "no answer within" the
// timeout. No request carries a token or a signature.
func TestFetchObject(t *testing.T) {
	ctx := context.Background()
	n := mastodontest.NewNetwork(t)
	origin := n.NewInstance(mastodontest.InstanceOptions{})
	alice := origin.AddAccount("alice")
	pub, gone, gone410 := alice.Post(mastodontest.PostOptions{}), alice.Post(mastodontest.PostOptions{}), alice.Post(mastodontest.PostOptions{})
	gone.Delete()
	f := &ObjectFetcher{UserAgent: "fedimarks/test"}

	obj, err := f.FetchObject(ctx, pub.URI())
	if err != nil || obj.Type != "Note" || obj.ID != pub.URI() {
		t.Fatalf("public post: %+v %v", obj, err)
	}
	if obj, err := f.FetchObject(ctx, pub.URL()); err != nil || obj.ID != pub.URI() {
		t.Errorf("by URL: %+v %v", obj, err)
	}
	if _, err := f.FetchObject(ctx, gone.URI()); !IsStatus(err, 404) {
		t.Errorf("deleted (404): %v", err)
	}
	origin.SetGoneAnswer(http.StatusGone)
	gone410.Delete()
	_, err = f.FetchObject(ctx, gone410.URI())
	if !IsStatus(err, 410) || !strings.Contains(err.Error(), "410 Gone") {
		t.Errorf("deleted (410): %v", err)
	}
	origin.SetAuthorizedFetch(true)
	if _, err := f.FetchObject(ctx, pub.URI()); !IsStatus(err, 401) {
		t.Errorf("authorized fetch: %v", err)
	}
	origin.SetAuthorizedFetch(false)

	origin.SetDown(true)
	_, err = f.FetchObject(ctx, pub.URI())
	var ne *NetError
	if !errors.As(err, &ne) || ne.Attempts != 1 || !ne.Unreachable() {
		t.Errorf("down: %#v", err)
	}
	origin.SetDown(false)

	origin.SetLatency(time.Second)
	slow := &ObjectFetcher{Timeout: 30 * time.Millisecond}
	_, err = slow.FetchObject(ctx, pub.URI())
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no answer within 30ms") {
		t.Errorf("slow: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := slow.FetchObject(cctx, pub.URI()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	origin.SetLatency(0)
	if n, accepts := origin.UnsignedFetches(); n < 5 || !strings.HasPrefix(accepts[0], "application/activity+json") {
		t.Errorf("unsigned fetches %d %v", n, accepts)
	}
}

// TestFetchObjectOddAnswers: a web page, JSON without a type, and a
// redirect that would carry credentials are no object; no header of the
// request names a token.
func TestFetchObjectOddAnswers(t *testing.T) {
	var sawAuth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get("Authorization") + r.Header.Get("Cookie") + r.Header.Get("Signature"); v != "" {
			sawAuth = append(sawAuth, v)
		}
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>hi</html>"))
		case "/notype":
			w.Header().Set("Content-Type", "application/activity+json")
			w.Write([]byte(`{"id":"x"}`))
		case "/moved":
			http.Redirect(w, r, "/ld", http.StatusFound)
		case "/ld":
			w.Header().Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
			w.Write([]byte(`{"id":"x","type":["Note","Object"]}`))
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	f := &ObjectFetcher{HTTPClient: srv.Client()}
	for _, p := range []string{"/page", "/notype", "/loop"} {
		if _, err := f.FetchObject(ctx, srv.URL+p); err == nil || IsStatus(err, 200) {
			t.Errorf("%s: %v, want an error", p, err)
		}
	}
	if obj, err := f.FetchObject(ctx, srv.URL+"/moved"); err != nil || obj.Type != "Note" {
		t.Errorf("redirect to JSON-LD: %+v %v", obj, err)
	}
	if _, err := f.FetchObject(ctx, "ftp://example.org/x"); err == nil {
		t.Error("ftp URL fetched")
	}
	if len(sawAuth) > 0 {
		t.Errorf("credentials sent: %q", sawAuth)
	}
}
