package backup_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// listing is a scripted server: bookmarks newest first, pages of size n
// with cursors that name the last item seen (stable when bookmarks are
// added, like Mastodon's max_id); a cursor in fail fails once.
type listing struct {
	uris     []string // newest first
	n        int
	fail     map[string]error
	requests int
}

type httpStatusErr int

func (e httpStatusErr) Error() string { return fmt.Sprintf("HTTP %d", int(e)) }

// As reads the fake as the *fedimarks.RemoteError the client would make
// of the status.
func (e httpStatusErr) As(target any) bool {
	return backup.AsRemote(target, backup.KindOfStatus(int(e)), e)
}

func (l *listing) Page(ctx context.Context, url string) (backup.Page, error) {
	l.requests++
	if err := l.fail[url]; err != nil {
		delete(l.fail, url)
		return backup.Page{}, err
	}
	off := 0
	if url != "" {
		after := strings.TrimPrefix(url, "after:")
		for i, u := range l.uris {
			if u == after {
				off = i + 1
			}
		}
	}
	var p backup.Page
	for i := off; i < len(l.uris) && i < off+l.n; i++ {
		st, err := fedimarks.ParseStatus([]byte(fmt.Sprintf(`{"id":"%d","uri":%q,"content":"<p>x</p>"}`, i, l.uris[i])))
		if err != nil {
			return p, err
		}
		p.Statuses = append(p.Statuses, st)
	}
	if off+l.n < len(l.uris) {
		p.Next = "after:" + l.uris[off+l.n-1]
	}
	return p, nil
}

func (l *listing) prepend(n int, prefix string) {
	var fresh []string
	for i := n - 1; i >= 0; i-- {
		fresh = append(fresh, fmt.Sprintf("https://h.example/%s/%d", prefix, i))
	}
	l.uris = append(fresh, l.uris...)
}

func archived(t *testing.T, ar *sqlite.Archive, h fedimarks.Handle) []string {
	t.Helper()
	bs, err := ar.Bookmarks(context.Background(), h, sqlite.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Status.URI
	}
	return out
}

// sameOrder fails the test unless the archive lists exactly uris, in
// that order (newest first, as the server does).
func sameOrder(t *testing.T, ar *sqlite.Archive, uris []string) {
	t.Helper()
	if got, want := strings.Join(archived(t, ar, h), ","), strings.Join(uris, ","); got != want {
		t.Fatalf("archive differs from the server's listing:\n got %s\nwant %s", got, want)
	}
}

func open(t *testing.T) *sqlite.Archive {
	t.Helper()
	ar, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ar.Close() })
	return ar
}

const h = fedimarks.Handle("alice@h.example")

func TestStaleCursorFallsBackToFullWalk(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 10}
	l.prepend(50, "old")
	// First run dies on its third page.
	third := "after:" + l.uris[19]
	l.fail = map[string]error{third: errors.New("connection reset")}
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err == nil {
		t.Fatal("want the injected failure")
	}
	if got := len(archived(t, ar, h)); got != 20 {
		t.Fatalf("after the failure %d archived, want the 20 of two pages", got)
	}
	// The server no longer knows that cursor (Pixelfed's expire).
	l.fail = map[string]error{third: httpStatusErr(400)}
	l.prepend(3, "new")
	res, err := backup.Run(ctx, h, l, ar, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed {
		t.Error("Resumed not reported")
	}
	sameOrder(t, ar, l.uris)
}

func TestResumeCatchesUpThenFinishes(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 10}
	l.prepend(30, "a")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	l.prepend(45, "b")
	l.fail = map[string]error{"after:" + l.uris[19]: errors.New("network down")}
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err == nil {
		t.Fatal("want the injected failure")
	}
	l.prepend(4, "c")
	l.requests = 0
	res, err := backup.Run(ctx, h, l, ar, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameOrder(t, ar, l.uris)
	// 4 new on top (1 page, stops at the interrupted run's first item),
	// then the rest of the interrupted walk from p20: p20, p30, p40 (stops at a).
	if res.New != 4+25 || !res.Resumed {
		t.Errorf("result %+v, want 29 new and resumed", res)
	}
	if l.requests != 4 {
		t.Errorf("resume made %d requests, want 4 (one for the top, three to finish)", l.requests)
	}
	// Nothing new now: one request.
	l.requests = 0
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	if l.requests != 1 {
		t.Errorf("unchanged backup made %d requests, want 1", l.requests)
	}
}

func TestFullRecordsRemovalsAndRestores(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 7}
	l.prepend(20, "a")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	gone := l.uris[3]
	l.uris = append(l.uris[:3:3], l.uris[4:]...)
	now := time.Now().Add(time.Hour)
	res, err := backup.Run(ctx, h, l, ar, backup.Options{Full: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 {
		t.Fatalf("removed %d, want 1", res.Removed)
	}
	// Bookmarked again: it comes back on top.
	l.uris = append([]string{gone}, l.uris...)
	res, err = backup.Run(ctx, h, l, ar, backup.Options{Now: func() time.Time { return now.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored != 1 || archived(t, ar, h)[0] != gone {
		t.Fatalf("restore: %+v, top %s", res, archived(t, ar, h)[0])
	}
}

func TestStoppedBeforeFirstPageThenBackupDoesTheWork(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 10}
	l.prepend(25, "a")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	l.prepend(5, "b")
	// The next backup fails on its very first request (a 403, a network
	// fault, Ctrl-C): its run saved nothing.
	l.fail = map[string]error{"": httpStatusErr(403)}
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err == nil {
		t.Fatal("want the injected failure")
	}
	res, err := backup.Run(ctx, h, l, ar, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 5 {
		t.Fatalf("after a run that stopped before its first page, the next backup found %d new, want 5", res.New)
	}
	sameOrder(t, ar, l.uris)
}

func TestRebookmarkedPostDoesNotHideNewOnes(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 10}
	l.prepend(30, "a")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	l.prepend(3, "b")
	// Post a/5 is unbookmarked and bookmarked again: the server lists it on top.
	again := "https://h.example/a/5"
	for i, u := range l.uris {
		if u == again {
			l.uris = append(l.uris[:i:i], l.uris[i+1:]...)
			break
		}
	}
	l.uris = append([]string{again}, l.uris...)
	l.requests = 0
	res, err := backup.Run(ctx, h, l, ar, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 3 {
		t.Errorf("found %d new, want the 3 below the re-bookmarked post", res.New)
	}
	sameOrder(t, ar, l.uris)
	if l.requests != 1 {
		t.Errorf("made %d requests, want 1", l.requests)
	}
}

func TestArchivedPostEndingAPageIsCheckedOnTheNext(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 5}
	l.prepend(12, "a")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	// 4 new, then a re-bookmarked post ending the first page, then 6 new.
	l.prepend(6, "b")
	again := "https://h.example/a/0"
	l.uris = l.uris[:len(l.uris)-1]
	l.uris = append([]string{again}, l.uris...)
	l.prepend(4, "c")
	res, err := backup.Run(ctx, h, l, ar, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 10 {
		t.Errorf("found %d new, want 10", res.New)
	}
	sameOrder(t, ar, l.uris)
}

// emptyPages is a GoToSocial-like listing: many empty pages (filtered
// after paging) with fresh next links before the rest.
type emptyPages struct {
	listing
	empties int
}

func (e *emptyPages) Page(ctx context.Context, url string) (backup.Page, error) {
	var n int
	if _, err := fmt.Sscanf(url, "empty:%d", &n); err == nil || url == "" {
		if url == "" {
			n = 0
		}
		if n < e.empties {
			return backup.Page{Next: fmt.Sprintf("empty:%d", n+1)}, nil
		}
		return e.listing.Page(ctx, "")
	}
	return e.listing.Page(ctx, url)
}

func TestFullWalkThroughManyEmptyPagesRecordsNoFalseRemovals(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	e := &emptyPages{listing: listing{n: 10}}
	e.prepend(30, "a")
	if _, err := backup.Run(ctx, h, &e.listing, ar, backup.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	e.empties = 12 // more than a small cap would allow
	res, err := backup.Run(ctx, h, e, ar, backup.Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 0 || len(archived(t, ar, h)) != 30 {
		t.Fatalf("after 12 empty pages: %+v, %d archived; want nothing removed", res, len(archived(t, ar, h)))
	}
}
