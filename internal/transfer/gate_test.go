package transfer

import (
	"context"
	"testing"
	"time"
)

// TestGate: shared searches up to the limit; a lone one waits for them to
// end and goes before new shared ones; a lone waiter that gives up (its
// context ends) lets shared ones in again; one() lowers the limit to one.
func TestGate(t *testing.T) {
	ctx := context.Background()
	g := newGate(2)
	if g.enter(ctx, false) != nil || g.enter(ctx, false) != nil {
		t.Fatal("two shared searches refused")
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := g.enter(short, false); err == nil {
		t.Fatal("a third shared search got in with a limit of 2")
	}
	alone := make(chan error, 1)
	go func() { alone <- g.enter(ctx, true) }()
	for {
		g.mu.Lock()
		w := g.waiting
		g.mu.Unlock()
		if w == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	g.leave()
	short2, cancel2 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel2()
	if err := g.enter(short2, false); err == nil {
		t.Fatal("a shared search went before the waiting lone one")
	}
	g.leave()
	if err := <-alone; err != nil {
		t.Fatalf("lone search: %v", err)
	}
	// Alone now: nothing else gets in; a lone waiter that gives up frees
	// the way for shared ones.
	gaveUp, cancel3 := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.enter(gaveUp, true) }()
	cancel3()
	if err := <-done; err == nil {
		t.Fatal("a cancelled lone search got in")
	}
	g.leave()
	if err := g.enter(ctx, false); err != nil {
		t.Fatalf("shared after the lone one: %v", err)
	}
	g.leave()
	if !g.one() || g.one() {
		t.Fatal("one() did not report the change once")
	}
	g.enter(ctx, false)
	short4, cancel4 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel4()
	if err := g.enter(short4, false); err == nil {
		t.Fatal("two shared searches after one()")
	}
}
