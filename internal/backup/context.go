package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// Threads (backup --context): after the walk, each new bookmark's thread
// is fetched, one request per bookmark whose thread the archive does not
// hold yet, oldest bookmark first. The client paces the requests within
// the server's rate limit. A bookmark whose thread could not be fetched
// (interrupted, server down) stays pending and is fetched by the next
// backup --context; a post the server no longer shows is recorded as gone
// and not asked for again.

// ErrPostGone is what a ThreadSource returns when the server no longer
// shows the post (404, 410).
var ErrPostGone = errors.New("post gone")

// ThreadSource fetches the thread of the post id on the account's server:
// with all, every reply; else the author's self-thread (see
// mastodon.SelfThread). author is the post's author's profile URL.
type ThreadSource interface {
	Thread(ctx context.Context, id, author string, all bool) (ancestors, descendants []fedimarks.Status, err error)
}

// ThreadStore is the archive's side.
type ThreadStore interface {
	PendingContexts(ctx context.Context, h fedimarks.Handle, mode string) ([]sqlite.ContextTask, error)
	SaveThread(ctx context.Context, uri, mode, host string, ancestors, descendants []fedimarks.Status, now time.Time) error
}

// ThreadResult is what FetchThreads did: Fetched threads, Gone posts,
// Pending ones left for the next run (after an error).
type ThreadResult struct {
	Fetched, Gone, Pending int
}

// FetchThreads fetches the pending threads of h's bookmarks. It stops at
// the first error other than a gone post and returns it with the count of
// threads left pending.
func FetchThreads(ctx context.Context, h fedimarks.Handle, src ThreadSource, store ThreadStore, all bool, now func() time.Time, progress Progress) (ThreadResult, error) {
	mode := "self"
	if all {
		mode = "all"
	}
	tasks, err := store.PendingContexts(ctx, h, mode)
	if err != nil {
		return ThreadResult{}, err
	}
	var res ThreadResult
	for i, t := range tasks {
		anc, desc, err := src.Thread(ctx, t.LocalID, t.AuthorURL, all)
		m := mode
		switch {
		case errors.Is(err, ErrPostGone):
			m, anc, desc = "gone", nil, nil
		case err != nil:
			res.Pending = len(tasks) - i
			return res, fmt.Errorf("thread of %s: %w", t.URI, err)
		}
		if err := store.SaveThread(ctx, t.URI, m, h.Host(), anc, desc, now()); err != nil {
			res.Pending = len(tasks) - i
			return res, err
		}
		if m == "gone" {
			res.Gone++
		} else {
			res.Fetched++
		}
		if progress != nil {
			progress.Add(1)
		}
	}
	return res, nil
}
