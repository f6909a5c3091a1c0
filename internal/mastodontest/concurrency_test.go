package mastodontest

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

func TestConcurrentResolveMakesOneCopy(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{})
	dest := n.NewInstance(InstanceOptions{})
	alice := origin.AddAccount("alice")
	bob := dest.AddAccount("bob")
	var posts []*Status
	for range 10 {
		posts = append(posts, alice.Post(PostOptions{}))
	}
	tok := bob.Token()
	ids := make([][]string, len(posts))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for k, s := range posts {
		for range 4 {
			wg.Go(func() {
				r, err := try("GET", dest.URL()+"/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(s.URI()), tok, nil)
				if err != nil || r.status != 200 {
					t.Errorf("resolve: %v %d", err, r.status)
					return
				}
				var res wireSearch
				r.json(t, &res)
				if len(res.Statuses) != 1 {
					t.Errorf("resolve %s: %s", s.URI(), r.body)
					return
				}
				if r := call(t, "POST", dest.URL()+"/api/v1/statuses/"+res.Statuses[0].ID+"/bookmark", tok, nil); r.status != 200 {
					t.Errorf("bookmark: %d", r.status)
				}
				mu.Lock()
				ids[k] = append(ids[k], res.Statuses[0].ID)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for k, got := range ids {
		for _, id := range got {
			if id != dest.LocalID(posts[k].URI()) {
				t.Fatalf("post %d resolved to several ids: %v", k, got)
			}
		}
	}
	if got := len(bob.BookmarkURIs()); got != len(posts) {
		t.Fatalf("%d bookmarks, want %d", got, len(posts))
	}
}

func TestSlowOriginSlowsResolve(t *testing.T) {
	n := NewNetwork(t)
	origin := n.NewInstance(InstanceOptions{})
	dest := n.NewInstance(InstanceOptions{})
	s := origin.AddAccount("alice").Post(PostOptions{})
	tok := dest.AddAccount("bob").Token()
	origin.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", dest.URL()+"/api/v2/search?resolve=true&q="+url.QueryEscape(s.URI()), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("resolve answered while the origin takes an hour")
	}
	// The destination itself is not slow.
	if r := call(t, "GET", dest.URL()+"/api/v1/instance", "", nil); r.status != 200 {
		t.Fatalf("destination: %d", r.status)
	}
	origin.SetLatency(0)
	if _, res := search(t, dest, s.URI(), tok); len(res.Statuses) != 1 {
		t.Fatal("not resolved once the origin is fast")
	}
}

// BenchmarkPageBookmarks pages through 1,000 bookmarks, 40 a page.
func BenchmarkPageBookmarks(b *testing.B) {
	n := NewNetwork(b)
	i := n.NewInstance(InstanceOptions{})
	a := i.AddAccount("alice")
	for range 1000 {
		a.Bookmark(a.Post(PostOptions{Media: []MediaOptions{{}}}))
	}
	tok := a.Token()
	client := &http.Client{}
	b.ResetTimer()
	for b.Loop() {
		next := i.URL() + "/api/v1/bookmarks?limit=40"
		for next != "" {
			req, _ := http.NewRequest("GET", next, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			next = nextLink(resp.Header)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/26, "µs/page")
}
