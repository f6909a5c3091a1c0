package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// Threads cut short (backup --context): a server's context endpoint caps
// what it gives (Mastodon: 4,096 posts; 60 replies, 40 posts above and 20
// levels without read:statuses), and fedimarks caps the calls a Misskey
// thread takes (misskey.MaxThreadCalls). A thread that reached a cap is
// kept as it was read but not recorded as whole: asked with every reply
// and with the author's own thread read whole (Misskey reads it apart), it
// is recorded as a self-thread, so the next backup --context all reads it
// again; else it is marked cut, and backup --context reads it again a
// week later (the same cap would cut it again on the next run). The
// backup says so once, with how many and what to do.

// threadRead is a thread as a reader read it.
type threadRead struct {
	ancestors, descendants []fedimarks.Status
	// cut says a cap stopped the reading, why words the cap, and more
	// (when not "") how to read more of it.
	cut       bool
	why, more string
	// selfWhole says the author's own thread was read whole, even if cut.
	selfWhole bool
}

// threadReader reads a post's thread on the account's server (see
// backup.ThreadSource), telling a thread cut short.
type threadReader interface {
	thread(ctx context.Context, id, author string, all bool) (threadRead, error)
}

// threadCuts is the backup's ThreadSource and ThreadStore over a reader
// and the archive: it records a thread cut short as not whole, and counts
// those.
type threadCuts struct {
	r  threadReader
	ar *sqlite.Archive
	// uris are the pending posts' URIs by their id on the server; cut
	// how the threads cut short were read, by URI.
	uris map[string]string
	cut  map[string]threadRead
	// n counts the threads cut short, self those recorded as
	// self-threads; last is the latest's reading (its why and more).
	n, self int
	last    threadRead
}

func newThreadCuts(r threadReader, ar *sqlite.Archive) *threadCuts {
	return &threadCuts{r: r, ar: ar, uris: map[string]string{}, cut: map[string]threadRead{}}
}

func (c *threadCuts) PendingContexts(ctx context.Context, h fedimarks.Handle, mode string) ([]sqlite.ContextTask, error) {
	tasks, err := c.ar.PendingContexts(ctx, h, mode)
	for _, t := range tasks {
		c.uris[t.LocalID] = t.URI
	}
	return tasks, err
}

func (c *threadCuts) Thread(ctx context.Context, id, author string, all bool) ([]fedimarks.Status, []fedimarks.Status, error) {
	r, err := c.r.thread(ctx, id, author, all)
	if err != nil {
		return nil, nil, err
	}
	if r.cut {
		c.cut[c.uris[id]] = r
	}
	return r.ancestors, r.descendants, nil
}

func (c *threadCuts) SaveThread(ctx context.Context, uri, mode, host string, ancestors, descendants []fedimarks.Status, now time.Time) error {
	r, cut := c.cut[uri]
	if !cut || mode == "gone" {
		return c.ar.SaveThread(ctx, uri, mode, host, ancestors, descendants, now)
	}
	delete(c.cut, uri)
	c.n, c.last = c.n+1, r
	if mode == "all" && r.selfWhole {
		c.self++
		return c.ar.SaveThread(ctx, uri, "self", host, ancestors, descendants, now)
	}
	if err := c.ar.SaveThread(ctx, uri, mode, host, ancestors, descendants, now); err != nil {
		return err
	}
	return c.ar.MarkThreadCut(ctx, uri)
}

// say writes, once, how many threads of h were cut short, why, and what
// comes of them; nothing when none was.
func (c *threadCuts) say(w io.Writer, h fedimarks.Handle) {
	if c.n == 0 {
		return
	}
	var again string
	if c.self == c.n {
		again = "the author's own thread whole; the next backup --context all reads " + itThem(c.n) + " again"
	} else {
		again = "backup --context reads " + itThem(c.n) + " again in a week"
	}
	more := ""
	if c.last.more != "" {
		more = "; " + c.last.more
	}
	fmt.Fprintf(w, "%s: %s cut short (%s): what was read is kept, %s%s\n",
		h, fedimarks.Plural(int64(c.n), "thread"), c.last.why, again, more)
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// softwareIs says the server of acc runs the software name (as signing in
// found it: "mastodon 4.3.0" is mastodon).
func softwareIs(acc fedimarks.Account, name string) bool {
	sw, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(acc.Software)), " ")
	return sw == name
}
