package backup_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
)

// threads is a scripted ThreadSource: each post's thread is one ancestor
// "q-<id>"; ids in gone answer ErrPostGone, those in fail fail once.
type threads struct {
	gone, fail map[string]bool
	asked      []string
}

func (s *threads) Thread(ctx context.Context, id, author string, all bool) ([]fedimarks.Status, []fedimarks.Status, error) {
	s.asked = append(s.asked, id)
	if s.gone[id] {
		return nil, nil, backup.ErrPostGone
	}
	if s.fail[id] {
		delete(s.fail, id)
		return nil, nil, errors.New("connection reset")
	}
	st, err := fedimarks.ParseStatus([]byte(`{"id":"q` + id + `","uri":"https://x.example/q/` + id + `","content":"<p>q</p>"}`))
	return []fedimarks.Status{st}, nil, err
}

// TestFetchThreadsResumesAndSkipsGone: threads are fetched oldest bookmark
// first; a failure stops the fetch with the rest pending, the next run
// fetches them (and only them); a post the server no longer shows is
// recorded and not asked again; bookmarks archived before --context was
// first used are not asked for.
func TestFetchThreadsResumesAndSkipsGone(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	now := func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
	l := &listing{n: 10}
	l.prepend(2, "before")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := ar.EnableContext(ctx, h, now()); err != nil {
		t.Fatal(err)
	}
	l.prepend(4, "new") // ids 0..3 newest first: "3" is the oldest new bookmark
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	src := &threads{gone: map[string]bool{"3": true}, fail: map[string]bool{"1": true}}
	res, err := backup.FetchThreads(ctx, h, src, ar, false, now, nil)
	if err == nil || res != (backup.ThreadResult{Fetched: 1, Gone: 1, Pending: 2}) {
		t.Fatalf("first fetch = %+v, %v; want 1 fetched, 1 gone, 2 pending and the error", res, err)
	}
	src.asked = nil
	res, err = backup.FetchThreads(ctx, h, src, ar, false, now, nil)
	if err != nil || res != (backup.ThreadResult{Fetched: 2}) || len(src.asked) != 2 || src.asked[0] != "1" || src.asked[1] != "0" {
		t.Fatalf("second fetch = %+v, %v, asked %v; want the 2 pending, oldest first", res, err, src.asked)
	}
	src.asked = nil
	if res, err := backup.FetchThreads(ctx, h, src, ar, false, now, nil); err != nil || res != (backup.ThreadResult{}) || len(src.asked) != 0 {
		t.Fatalf("third fetch = %+v, %v, asked %v; want nothing", res, err, src.asked)
	}
	// --context all asks again for the threads kept as self-threads (not
	// for the gone one).
	if res, err := backup.FetchThreads(ctx, h, src, ar, true, now, nil); err != nil || res.Fetched != 3 {
		t.Fatalf("all = %+v, %v", res, err)
	}
}
