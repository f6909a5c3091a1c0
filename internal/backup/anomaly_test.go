package backup_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks/internal/backup"
)

// notes records what a backup tells the user.
type notes struct{ said []string }

func (n *notes) Add(int64) {}
func (n *notes) Note(format string, args ...any) {
	n.said = append(n.said, fmt.Sprintf(format, args...))
}
func (n *notes) has(s string) bool { return strings.Contains(strings.Join(n.said, "\n"), s) }

// unreadable is a listing whose page at url also held an element that
// could not be read.
type unreadable struct {
	*listing
	url string
}

func (u unreadable) Page(ctx context.Context, url string) (backup.Page, error) {
	p, err := u.listing.Page(ctx, url)
	if url == u.url {
		p.Skipped = 1
	}
	return p, err
}

// A full walk that met a bookmark it could not read records no removals
// (the unreadable one may be an archived one) and is no full walk.
func TestFullWalkWithAnUnreadableBookmarkRecordsNoRemovals(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 10}
	l.prepend(30, "a")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	first, _, err := ar.LastFullWalk(ctx, h)
	if err != nil || first.IsZero() {
		t.Fatalf("a clean full walk is not recorded: %v %v", first, err)
	}
	l.uris = append(l.uris[:15:15], l.uris[16:]...) // the server cannot render one
	var said notes
	later := time.Now().Add(time.Hour)
	res, err := backup.Run(ctx, h, unreadable{l, "after:" + l.uris[9]}, ar,
		backup.Options{Full: true, Progress: &said, Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 0 || len(archived(t, ar, h)) != 30 {
		t.Errorf("after a page with an unreadable bookmark: %d removed, %d archived; want 0 and 30", res.Removed, len(archived(t, ar, h)))
	}
	if !said.has("a bookmark the server sent could not be read: no bookmark is recorded as removed") {
		t.Errorf("said %q", said.said)
	}
	if last, _, err := ar.LastFullWalk(ctx, h); err != nil || !last.Equal(first) {
		t.Errorf("last full walk %v after a walk with an anomaly, want still %v", last, first)
	}
}

// A backup stopped while it resumed an older run (its walk from the top
// failed) leaves two runs unfinished: the next backup finishes both.
func TestRunLeftBehindByAFailedResumeIsFinished(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 10}
	l.prepend(20, "a")
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	l.prepend(50, "b")
	l.fail = map[string]error{"after:" + l.uris[29]: errors.New("connection reset")}
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err == nil {
		t.Fatal("want the injected failure")
	}
	l.fail = map[string]error{"": httpStatusErr(503)}
	if _, err := backup.Run(ctx, h, l, ar, backup.Options{}); err == nil {
		t.Fatal("want the injected failure")
	}
	res, err := backup.Run(ctx, h, l, ar, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.New != 20 {
		t.Errorf("result %+v, want the interrupted walk finished: resumed, 20 new", res)
	}
	sameOrder(t, ar, l.uris)
}

// With FullEvery, an archive whose account never had a full walk gets one,
// and says why; one whose account has nothing archived gets one silently.
func TestFullEveryWithoutAFullWalkOnRecord(t *testing.T) {
	ctx := context.Background()
	ar := open(t)
	l := &listing{n: 10}
	l.prepend(15, "a")
	var said notes
	res, err := backup.Run(ctx, h, l, ar, backup.Options{FullEvery: time.Hour, Progress: &said})
	if err != nil || !res.Full || len(said.said) != 0 {
		t.Fatalf("first backup: %+v %v, said %q; want a silent full walk", res, err, said.said)
	}
	ar2 := open(t)
	if _, err := backup.Run(ctx, h, l, ar2, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	res, err = backup.Run(ctx, h, l, ar2, backup.Options{FullEvery: time.Hour, Progress: &said})
	if err != nil || !res.Full || !said.has("no full walk on record: walking everything") || res.Pages != 2 {
		t.Fatalf("backup with no full walk on record: %+v %v, said %q", res, err, said.said)
	}
}
