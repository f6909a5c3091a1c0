package transfer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedimarks/fedimarks"
)

// resolvedCache holds the statuses resolved so far by their URI, URL
// and the address searched, so that a post met again under another
// address costs no second search. Safe for concurrent use.
type resolvedCache struct {
	mu     sync.Mutex
	byAddr map[addrKey]*resolvedPost
}

// failStreaks count consecutive searches and bookmark requests the
// destination left unanswered (or answered 5xx). Kept apart so that
// searches that succeed do not hide bookmarks that all fail.
type failStreaks struct {
	read, write atomic.Int32
}

// down reports whether the destination failed destFailLimit requests of
// one kind in a row.
func (f *failStreaks) down() bool {
	return f.read.Load() >= destFailLimit || f.write.Load() >= destFailLimit
}

// resolved is a resolver's answer for one row.
type resolved struct {
	st      *fedimarks.Status
	err     error
	skipped string // set when the breaker kept the request back
	// origin is what the post's own server answered, when it was asked
	// (the destination's search found nothing).
	origin originAnswer
}

// found reports whether a search's answer is a post.
func found(st *fedimarks.Status) bool { return st != nil && st.ID != "" }

// write does the pending rows todo (indexes into r.rows, in Seq order;
// the destination's bookmarks already read):
// rows already on the destination first (no request), then the rest with
// resolvers running ahead and this goroutine writing in order.
func (r *run) write(ctx context.Context, todo []int) error {
	rest, err := r.finishListed(ctx, todo)
	if err != nil || len(rest) == 0 {
		return err
	}
	workers := r.openGate()
	queue := r.toResolve(rest)
	ahead, stop := r.resolveAhead(ctx, queue, workers)
	defer stop()
	return r.writeInOrder(ctx, rest, queue, ahead)
}

// finishListed finishes the rows of todo that the destination's listing
// holds already (no request) and returns the others, in order.
func (r *run) finishListed(ctx context.Context, todo []int) ([]int, error) {
	var rest []int
	for _, i := range todo {
		it := &r.rows[i]
		id, ok := r.listing.set.find(it.URI, it.URL)
		if !ok {
			rest = append(rest, i)
			continue
		}
		if it.DestID == "" {
			it.DestID = id // its id there: what filing it in a folder needs
		}
		if err := r.finishFound(ctx, it, "already bookmarked on the destination"); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// openGate sets how many searches may run at once and returns how many
// resolvers run.
func (r *run) openGate() int {
	workers := r.im.Workers
	if workers <= 0 {
		workers = 4
	}
	if r.req.Software == "snac" {
		// snac answers some of several searches at once with nothing.
		r.gate = newGate(1)
	} else {
		r.gate = newGate(workers)
	}
	return workers
}

// toResolve is the subsequence of rest whose rows need a search.
func (r *run) toResolve(rest []int) []int {
	var queue []int
	for _, i := range rest {
		if r.needsResolve(r.rows[i]) {
			queue = append(queue, i)
		}
	}
	return queue
}

// resolveSlot is where the answer for one row comes.
type resolveSlot struct {
	i  int           // the row
	ch chan resolved // its answer, once
}

// resolveAhead starts resolving the rows of queue with workers resolvers.
// A dispatcher hands the rows' slots to the writer in order (ahead), at
// most a window ahead, so that only a window's worth exist at a time (one
// per row cost 300 bytes a row). stop ends the resolvers and waits for
// them.
func (r *run) resolveAhead(ctx context.Context, queue []int, workers int) (ahead <-chan resolveSlot, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	slots := make(chan resolveSlot, 2*workers)
	jobs := make(chan resolveSlot)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		dispatch(ctx, queue, slots, jobs)
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sl := range jobs {
				sl.ch <- r.resolve(ctx, r.rows[sl.i])
			}
		}()
	}
	return slots, func() { cancel(); wg.Wait() }
}

// dispatch feeds the rows of queue to the writer (ahead) and the resolvers
// (jobs) in order, then closes jobs.
func dispatch(ctx context.Context, queue []int, ahead, jobs chan<- resolveSlot) {
	defer close(jobs)
	for _, i := range queue {
		sl := resolveSlot{i, make(chan resolved, 1)}
		select {
		case ahead <- sl:
		case <-ctx.Done():
			return
		}
		select {
		case jobs <- sl:
		case <-ctx.Done():
			return
		}
	}
}

// writeInOrder does the rows of rest in order: those of queue with their
// resolvers' answers, the others directly. It stops when the destination
// failed too many requests in a row.
func (r *run) writeInOrder(ctx context.Context, rest, queue []int, ahead <-chan resolveSlot) error {
	next := 0 // the next row of queue to come from the dispatcher
	for _, i := range rest {
		it := &r.rows[i]
		var err error
		if next < len(queue) && queue[next] == i {
			next++
			var res resolved
			if res, err = nextAnswer(ctx, ahead); err != nil {
				return err
			}
			err = r.finishResolved(ctx, it, res, viaSearch)
		} else {
			err = r.direct(ctx, it)
		}
		if err != nil {
			return err
		}
		if r.fails.down() {
			return &fedimarks.Error{Code: fedimarks.EUnavailable,
				Message: fmt.Sprintf("stopped: the destination %s failed %d requests in a row (no answer, or a server error)", r.destHost, destFailLimit)}
		}
	}
	return nil
}

// nextAnswer waits for the next slot from the dispatcher and its answer.
func nextAnswer(ctx context.Context, ahead <-chan resolveSlot) (resolved, error) {
	var sl resolveSlot
	select {
	case sl = <-ahead:
	case <-ctx.Done():
		return resolved{}, interrupted(ctx.Err())
	}
	select {
	case res := <-sl.ch:
		return res, nil
	case <-ctx.Done():
		return resolved{}, interrupted(ctx.Err())
	}
}

// needsResolve: rows with a known destination id are bookmarked directly.
// Posts of the destination's own server always are, by the id in their
// address: a search would cost more than a fresh run spends on them. The
// id of another post, known from an interrupted attempt, is used only when
// the destination's bookmarks were read: when not (a rerun), the search
// tells whether the interrupted request was stored, which spares a
// second bookmark.
func (r *run) needsResolve(it fedimarks.JobItem) bool {
	if localID(it, r.destHost) != "" {
		return false
	}
	return r.listing.skipped || it.DestID == ""
}

func postDomain(it fedimarks.JobItem) string {
	if h := fedimarks.HostOf(it.URI); h != "" {
		return h
	}
	return fedimarks.HostOf(it.URL)
}

// resolve asks the destination for its copy of the row's post, unless the
// post's domain has tripped the breaker. Safe for concurrent use.
func (r *run) resolve(ctx context.Context, it fedimarks.JobItem) resolved {
	if st := r.seen.before(it); st != nil {
		return resolved{st: st}
	}
	domain := postDomain(it)
	if ok, why := r.br.allow(domain); !ok {
		return resolved{skipped: why}
	}
	return r.lookUp(ctx, it, domain, false)
}

// searchQuery is the address a row's post is searched by: its URI, else
// its URL.
func searchQuery(it fedimarks.JobItem) string {
	if fedimarks.HostOf(it.URI) == "" {
		return it.URL
	}
	return it.URI
}

// lookUp searches the row's post on the destination (alone: with no other
// search in flight). When nothing is found, the post's own server is asked
// why; when it serves the post, the destination failed to fetch it, most
// likely because of searches in parallel: the destination gets one search
// at a time from then on, and this one is tried again, alone, after a
// pause. So is it when the server refuses to tell (it answers no unsigned
// fetch); found then, the destination gets one search at a time too. At
// most one request goes to the post's server.
func (r *run) lookUp(ctx context.Context, it fedimarks.JobItem, domain string, alone bool) resolved {
	q := searchQuery(it)
	st, err := r.search(ctx, q, alone)
	if err != nil || found(st) {
		r.recordSearch(ctx, domain, err)
		if err == nil {
			r.seen.note(st, q)
		}
		return resolved{st: st, err: err}
	}
	a := r.askOrigin(ctx, it, domain, q)
	switch a.verdict {
	case originCanceled:
		return resolved{err: a.err}
	case originServes:
		if r.gate.one() {
			r.note("%s found nothing for a post that its server %s serves: searching one post at a time from now on", r.destHost, domain)
		}
	case originRefused:
		// It answers no unsigned fetch (GoToSocial never does): the post
		// may be there, lost to searches in parallel. One more search
		// tells.
	default:
		return resolved{origin: a}
	}
	if err := r.sleep(ctx, r.im.RetryPause, 2*time.Second); err != nil {
		return resolved{err: err}
	}
	st, err = r.search(ctx, q, true)
	if err != nil || found(st) {
		r.recordSearch(ctx, domain, err)
		if err == nil {
			r.seen.note(st, q)
			if r.gate.one() {
				r.note("%s found a post on a second search that it had not found on the first: searching one post at a time from now on", r.destHost)
			}
		}
	}
	return resolved{st: st, err: err, origin: a}
}

// search runs one resolving search on the destination, through the gate.
func (r *run) search(ctx context.Context, q string, alone bool) (*fedimarks.Status, error) {
	if err := r.gate.enter(ctx, alone); err != nil {
		return nil, err
	}
	st, err := r.im.Writer.Resolve(ctx, q)
	r.gate.leave()
	r.noteAnswer(&r.fails.read, err, false)
	return st, err
}

// recordSearch tells the breaker what a search's answer says of the
// post's server: only the destination's word that it did not answer
// counts against it; the destination's own trouble says nothing about it.
func (r *run) recordSearch(ctx context.Context, domain string, err error) {
	switch {
	case err == nil:
		r.br.record(domain, outcomeOK)
	case isCanceled(err) || ctx.Err() != nil:
		r.br.record(domain, outcomeNeutral)
	default:
		if v, _ := classify(err, false, r.req.Destination, false); v == vUnreachable {
			r.br.record(domain, outcomeFail)
		} else {
			r.br.record(domain, outcomeNeutral)
		}
	}
}

// before returns the status resolved earlier in this run for one of the
// row's addresses, or nil.
func (c *resolvedCache) before(it fedimarks.JobItem) *fedimarks.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range []string{it.URI, it.URL} {
		if k := keysOf(a).key(); k != "" {
			if p := c.byAddr[hashKey(k)]; p != nil {
				return p.status()
			}
		}
	}
	return nil
}

// note remembers a resolved status under its addresses and the address
// searched.
func (c *resolvedCache) note(st *fedimarks.Status, query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byAddr == nil {
		c.byAddr = map[addrKey]*resolvedPost{}
	}
	p := keepResolved(*st, query)
	for _, a := range []string{query, st.URI, st.URL} {
		if k := keysOf(a).key(); k != "" {
			if h := hashKey(k); c.byAddr[h] == nil {
				c.byAddr[h] = p
			}
		}
	}
}

// noteAnswer keeps count, in n, of consecutive requests the destination
// failed (no answer, or a 5xx of its own); any other answer resets it, a
// cancelled request leaves it.
func (r *run) noteAnswer(n *atomic.Int32, err error, bookmark bool) {
	switch {
	case destinationFailed(err, bookmark):
		n.Add(1)
	case err == nil || !isCanceled(err):
		n.Store(0)
	}
}
