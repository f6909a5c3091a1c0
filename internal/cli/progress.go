package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/remote"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// waitShower shows a client's waits as they happen, and its notes: a
// progress display (*ui.Progress), or the slot of the step under way
// (*progressSlot).
type waitShower interface {
	Wait(d time.Duration, why string)
	Tick()
	Note(format string, args ...any)
}

// waitWhy words a client's reason to wait for a person.
func waitWhy(reason string) string {
	switch reason {
	case "rate limit":
		return "for the rate limit"
	case "429":
		return "for the rate limit (429 Too Many Requests)"
	case "503 Retry-After":
		return "(503: the server asked to retry later)"
	}
	return "(" + reason + ")"
}

// progressSlot holds the progress display of the step under way, so that
// one client's waits show in the bar of whatever step runs: reading the
// destination's bookmarks, then writing them. With no display there, a
// wait is a line on standard error.
type progressSlot struct {
	mu   sync.Mutex
	p    *ui.Progress
	out  io.Writer // lines when no display
	host string
}

// set makes p the display (nil: none) and returns the one before.
func (s *progressSlot) set(p *ui.Progress) *ui.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.p
	s.p = p
	return old
}

func (s *progressSlot) get() *ui.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

func (s *progressSlot) Wait(d time.Duration, why string) {
	if p := s.get(); p != nil {
		p.Wait(d, why)
	} else {
		fmt.Fprintf(s.out, "%s: waiting %s %s\n", s.host, ui.Duration(d), why)
	}
}

func (s *progressSlot) Note(format string, args ...any) {
	if p := s.get(); p != nil {
		p.Note(format, args...)
	} else {
		fmt.Fprintf(s.out, format+"\n", args...)
	}
}

func (s *progressSlot) Tick() {
	if p := s.get(); p != nil {
		p.Tick()
	}
}

// newSlot is a progressSlot whose lines (no display) name server.
func (a *app) newSlot(server string) *progressSlot { return newProgressSlot(a.stderr, server) }

// newProgressSlot is a progressSlot whose lines (no display) go to out
// and name server.
func newProgressSlot(out io.Writer, server string) *progressSlot {
	return &progressSlot{out: out, host: fedimarks.HostOf(server)}
}

// sleeper is how the clients wait: IO.Sleep (tests) or a timer, in steps
// of a second when a display shows the wait, so that its countdown moves.
func (a *app) sleeper(shown waitShower) func(ctx context.Context, d time.Duration) error {
	sleep := a.io.Sleep
	if sleep == nil {
		sleep = remote.Sleep
	}
	if shown == nil {
		return sleep
	}
	return func(ctx context.Context, d time.Duration) error {
		for d > 0 {
			step := min(d, time.Second)
			if err := sleep(ctx, step); err != nil {
				return err
			}
			d -= step
			shown.Tick()
		}
		return ctx.Err()
	}
}

// readingLister is a Lister that says, as soon as it reads, that it is
// reading an account's bookmarks (a big account takes minutes), counts
// them as they come, and ends with a line of what it read. On a terminal
// the bar shows from the first request (it goes when the listing fails);
// plain lines stay, so the first comes with the first bookmarks read: a
// listing that fails at once leaves its error alone, with no count of
// bookmarks that were never read.
type readingLister struct {
	r    reach // its display, clock and standard error
	l    transfer.Lister
	h    fedimarks.Handle
	c    requestCounter
	slot *progressSlot
	// favorites: the account keeps favorites (Misskey), and the lines say so.
	favorites bool
}

func (r readingLister) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	noun := "bookmark"
	if r.favorites {
		noun = "favorite"
	}
	label := "reading " + string(r.h) + "'s " + noun + "s"
	show := func(start int64) *ui.Progress {
		p := r.r.display(ui.ProgressOptions{Label: label, Unit: "so far", Start: start})
		r.slot.set(p)
		p.Show()
		return p
	}
	prev := r.slot.set(nil) // no display yet: a wait is a line of its own
	defer func() { r.slot.set(prev) }()
	start, sent := r.r.now(), r.c.Requests()
	var p *ui.Progress
	if r.r.bars {
		p = show(0)
	}
	n := 0
	err := r.l.EachBookmark(ctx, func(page []fedimarks.Status) error {
		switch {
		case p != nil:
			p.Add(int64(len(page)))
		case len(page) > 0:
			// Plain lines stay: the first comes with the first count
			// read, and the display (its rate too) starts there.
			p = show(int64(len(page)))
		}
		n += len(page)
		return fn(page)
	})
	if p != nil {
		p.Abort()
	}
	if ctx.Err() == nil && err == nil { // nothing to say of a listing not read
		fmt.Fprintf(r.r.errOut, "read %s of %s (%s, %s)\n", fedimarks.Plural(int64(n), noun), r.h,
			fedimarks.Plural(r.c.Requests()-sent, "request"), ui.Duration(r.r.now().Sub(start)))
	}
	return err
}

// budgetETA is a progress ETA from the rate limit the server reports: the
// units left take perUnit requests each, which the budget left and the
// windows after it allow at that pace (transfer.TimeNeeded).
func budgetETA(b transfer.BudgetReader, perUnit func() float64) func(left int64) (time.Duration, bool) {
	return func(left int64) (time.Duration, bool) {
		bud, answered := b.Budget()
		if !answered {
			return 0, false
		}
		return transfer.TimeNeeded(int(float64(left)*perUnit()+0.5), bud)
	}
}
