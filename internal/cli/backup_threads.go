package cli

import (
	"context"
	"fmt"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// contextFlag is --context: alone it keeps self-threads ("self"),
// --context=all every reply (--context all is read by the command).
type contextFlag struct{ mode *string }

func (f contextFlag) String() string {
	if f.mode == nil {
		return ""
	}
	return *f.mode
}

func (f contextFlag) Set(s string) error {
	switch s {
	case "true", "self":
		*f.mode = "self"
	case "all":
		*f.mode = "all"
	case "false":
		*f.mode = ""
	default:
		return fmt.Errorf("--context takes nothing or all, not %q", s)
	}
	return nil
}

func (f contextFlag) IsBoolFlag() bool { return true }

// threadResult is the --json summary of the threads a backup kept.
type threadResult struct {
	Fetched int `json:"fetched"`
	Gone    int `json:"gone"`
	Pending int `json:"pending"`
}

// threadSource fetches threads with the account's client: with the token
// until the server refuses it for lack of read:statuses (403), then
// without it (public threads), for the rest of the backup.
type threadSource struct {
	c    *mastodon.Client
	anon *bool
}

func (s threadSource) Thread(ctx context.Context, id, author string, all bool) ([]fedimarks.Status, []fedimarks.Status, error) {
	t, err := s.c.Context(ctx, id, *s.anon)
	if k := fedimarks.ErrorKind(err); !*s.anon && (k == fedimarks.KindScope || k == fedimarks.KindForbidden) {
		*s.anon = true
		t, err = s.c.Context(ctx, id, true)
	}
	if k := fedimarks.ErrorKind(err); k == fedimarks.KindNotFound || k == fedimarks.KindGone {
		return nil, nil, backup.ErrPostGone
	}
	if err != nil {
		return nil, nil, err
	}
	if !all {
		t = mastodon.SelfThread(t, id, author)
	}
	return statusesOf(t.Ancestors), statusesOf(t.Descendants), nil
}

func statusesOf(ps []mastodon.ThreadPost) []fedimarks.Status {
	out := make([]fedimarks.Status, len(ps))
	for i, p := range ps {
		out[i] = p.Status
	}
	return out
}

// runThreads fetches the pending threads of acc's new bookmarks and
// prints a summary line.
func runThreads(ctx context.Context, a *app, acc fedimarks.Account, c *mastodon.Client, all bool, out *backupResult) error {
	ar, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	before := c.Requests()
	prog := a.progress("threads "+string(acc.Handle), 0, "threads")
	res, err := backup.FetchThreads(ctx, acc.Handle, threadSource{c, new(bool)}, ar, all, a.now, prog)
	out.Threads = &threadResult{Fetched: res.Fetched, Gone: res.Gone, Pending: res.Pending}
	out.Requests = c.Requests()
	if err != nil {
		prog.Abort()
		fmt.Fprintf(a.stderr, "%s: %s kept, %d left for the next backup --context\n",
			acc.Handle, fedimarks.Plural(int64(res.Fetched), "thread"), res.Pending)
		return a.apiError(acc.Handle, acc.Server, err, "read:statuses")
	}
	prog.Finish()
	if res.Fetched+res.Gone > 0 {
		gone := ""
		if res.Gone > 0 {
			gone = fmt.Sprintf(", %d no longer shown by the server", res.Gone)
		}
		fmt.Fprintf(a.stderr, "%s: %s kept%s; %s\n", acc.Handle,
			fedimarks.Plural(int64(res.Fetched), "thread"), gone, fedimarks.Plural(c.Requests()-before, "request"))
	}
	return nil
}

// withThread sets b.Thread to the thread the archive kept for it, if any.
func withThread(ctx context.Context, ar *sqlite.Archive, b *fedimarks.Bookmark) error {
	before, after, err := ar.ThreadOf(ctx, b.Status.URI)
	if err != nil {
		return err
	}
	if len(before)+len(after) > 0 {
		b.Thread = &fedimarks.Thread{Before: before, After: after}
	}
	return nil
}

// contextMark starts the snippet of a thread post's tab-separated line.
func contextMark(hit fedimarks.Hit) string {
	if hit.ContextOf != "" {
		return "[context] "
	}
	return ""
}
