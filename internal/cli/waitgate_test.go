package cli

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitGate is how a scenario on a fake clock (testClock) lets the tool's
// waits (rate limits, retries) pass, in place of real time: held, a wait
// blocks until the gate is released or its context ends (so a run can be
// stopped mid-way for certain, at a wait); released, a wait moves the
// clock at once. Pass its sleep as IO.Sleep and the clock's Now as IO.Now.
type waitGate struct {
	clock *testClock
	mu    sync.Mutex
	held  chan struct{} // nil: released
	// allowed is how many more waits may pass while held; blocked, the
	// waits blocked now; passed, the waits done.
	allowed, blocked, passed int
}

func newWaitGate(clock *testClock) *waitGate { return &waitGate{clock: clock} }

// hold makes the next waits block until release.
func (g *waitGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held == nil {
		g.held = make(chan struct{})
	}
}

// allow lets n more waits pass while the gate is held, and the blocked
// ones first.
func (g *waitGate) allow(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.allowed += n
	if g.held != nil && g.blocked > 0 {
		// Wake the blocked waits: the first n pass, the others block again.
		close(g.held)
		g.held = make(chan struct{})
	}
}

// release lets the blocked waits and the next ones pass.
func (g *waitGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held != nil {
		close(g.held)
		g.held = nil
	}
}

// waiting reports how many waits are blocked at the gate now.
func (g *waitGate) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.blocked
}

// waits reports how many waits passed the gate.
func (g *waitGate) waits() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.passed
}

// sleep is the IO.Sleep of a run behind the gate.
func (g *waitGate) sleep(ctx context.Context, d time.Duration) error {
	for {
		g.mu.Lock()
		held := g.held
		if held != nil && g.allowed > 0 {
			g.allowed--
			held = nil
		}
		if held == nil {
			g.mu.Unlock()
			break
		}
		g.blocked++
		g.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
		}
		g.mu.Lock()
		g.blocked--
		g.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	g.clock.Advance(d)
	g.mu.Lock()
	g.passed++
	g.mu.Unlock()
	return ctx.Err()
}

// at runs the tool on the gate's clock, its waits through the gate, and
// fails the test unless it exits with want.
func (g *waitGate) at(t *testing.T, want int, home, stdin string, args ...string) run {
	t.Helper()
	r := runToolWith(t, nil, home, stdin, g.tweak, args...)
	if r.code != want {
		t.Fatalf("fedimarks %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// tweak puts a run of the tool on the gate's clock, its waits through
// the gate.
func (g *waitGate) tweak(o *IO) { o.Now, o.Sleep = g.clock.Now, g.sleep }
