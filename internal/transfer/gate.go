package transfer

import (
	"context"
	"sync"
)

// gate limits the searches that run at once on the destination, and lets
// one search run alone: servers lose posts to searches in parallel
// (GoToSocial fetches them signed with a key the post's server has not
// met yet, and that server fails all but one; snac answers some with
// nothing), so a search retried for that reason runs with no other in
// flight, and a destination that showed it once gets one search at a time
// from then on. A waiting lone search goes before new shared ones. Safe for
// concurrent use.
type gate struct {
	mu      sync.Mutex
	limit   int  // shared searches at once
	active  int  // searches in flight
	alone   bool // the search in flight runs alone
	waiting int  // lone searches waiting
	changed chan struct{}
}

func newGate(limit int) *gate {
	return &gate{limit: max(limit, 1), changed: make(chan struct{})}
}

// enter waits for room for a search (alone: for no other search in
// flight) and takes it; it fails only when ctx ends.
func (g *gate) enter(ctx context.Context, alone bool) error {
	g.mu.Lock()
	if alone {
		g.waiting++
	}
	for {
		ok := !g.alone && g.active < g.limit && g.waiting == 0
		if alone {
			ok = !g.alone && g.active == 0
		}
		if ok {
			if alone {
				g.waiting--
				g.alone = true
			}
			g.active++
			g.mu.Unlock()
			return nil
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			if alone {
				g.mu.Lock()
				g.waiting--
				g.signal()
				g.mu.Unlock()
			}
			return ctx.Err()
		}
		g.mu.Lock()
	}
}

// leave gives back what enter took.
func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	g.alone = false
	g.signal()
}

// one limits shared searches to one at a time from now on; it reports
// whether that is a change.
func (g *gate) one() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit == 1 {
		return false
	}
	g.limit = 1
	g.signal()
	return true
}

// signal wakes every waiter; called with g.mu held.
func (g *gate) signal() {
	close(g.changed)
	g.changed = make(chan struct{})
}
