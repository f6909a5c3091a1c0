package ui

// Snapshot is what a Progress shows at one moment, for a display other
// than a terminal (the web page's job view). The strings are as the bar
// words them ("" when there is none).
type Snapshot struct {
	// Label names the job ("import bob@example.social").
	Label string
	// Done and Total are the counts (Total 0: unknown); Counts is them
	// as the bar writes them ("420/1,000 rows").
	Done, Total int64
	Counts      string
	// Wait is the wait under way ("waiting 29s for the rate limit"),
	// Speed the moving-average rate, ETA the time left ("ETA 12m"), the
	// rate limit's when it is longer than the rate's.
	Wait, Speed, ETA string
	// Finished is set once the step ended (Finish or Abort).
	Finished bool
}

// Snapshot returns what the progress shows now. It is safe to call from
// any goroutine, also after Finish.
func (p *Progress) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	wait, speed, eta := p.statParts(now)
	return Snapshot{Label: p.opts.Label, Done: p.n, Total: p.total, Counts: p.counts(),
		Wait: wait, Speed: speed, ETA: eta, Finished: p.finished}
}
