package mastodontest

import (
	"context"
	"net/http"
	"time"
)

// Races makes an instance lose the races that real servers were seen to
// lose under concurrent requests (shared/MASTODON.md). The zero value
// races nothing.
type Races struct {
	// Searches: a resolving search that has to fetch the post from another
	// instance answers 200 with no status, as for a deleted post, when
	// another such search is in flight on this instance. snac did this
	// (15 of 50 searches empty when four ran at once, none one at a time).
	Searches bool
	// Bookmarks: a bookmark POST that arrives while such a search is in
	// flight stores the bookmark and answers 404 "Record not found", as
	// snac did.
	Bookmarks bool
	// Handshake: as the origin of posts, the instance answers 500
	// "StatusGet: network race handshaking ..." to a signed fetch from an
	// instance whose key it has not met yet while another fetch from that
	// instance is still in flight; once one fetch is done, the key is known
	// and fetches succeed. GoToSocial did this; the fetching server (also
	// GoToSocial) then answered its user's search 200 with no status.
	Handshake bool
	// Hold is how long a search that fetches (Searches, Bookmarks) or the
	// first fetch from a new key (Handshake) stays in flight, in real time,
	// so that concurrent requests overlap it: until a concurrent request
	// loses the race, at most Hold; default 50 ms.
	Hold time.Duration
}

// raceState is an instance's races and what they did. Guarded by n.mu.
type raceState struct {
	Races
	searching   int             // resolving searches fetching now
	handshaking map[string]bool // fetching hosts whose first fetch is in flight
	met         map[string]bool // fetching hosts whose key is known
	spoiled     int             // answers a race spoiled
	company     chan struct{}   // closed when a request loses the race
}

// SetRaces sets the races the instance loses (the zero Races: none) and
// forgets the keys it met.
func (i *Instance) SetRaces(r Races) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	if r.Hold <= 0 {
		r.Hold = 50 * time.Millisecond
	}
	i.race = raceState{Races: r, handshaking: map[string]bool{}, met: map[string]bool{}}
}

// Raced returns how many answers a race spoiled: empty searches for posts
// that exist, 404s to bookmarks that were stored, 500s to fetches.
func (i *Instance) Raced() int {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return i.race.spoiled
}

// searchRace is called by a resolving search before it fetches from
// another instance, with n.mu held. When the search loses the race it
// reports true; else it counts the search in flight, holds it, and the
// caller must call done (with n.mu held) when the fetch is over.
// The hold releases n.mu.
func (i *Instance) searchRace(ctx context.Context) (lost bool, done func()) {
	if !i.race.Searches && !i.race.Bookmarks {
		return false, func() {}
	}
	if i.race.Searches && i.race.searching > 0 {
		i.race.spoiled++
		i.race.wake()
		return true, nil
	}
	i.race.searching++
	i.hold(ctx)
	return false, func() { i.race.searching-- }
}

// bookmarkRace reports whether a bookmark POST loses the race: stored,
// but answered 404. Called with n.mu held, after the bookmark was stored.
func (i *Instance) bookmarkRace() bool {
	if !i.race.Bookmarks || i.race.searching == 0 {
		return false
	}
	i.race.spoiled++
	return true
}

// handshake plays the Handshake race for a fetch signed by host from
// (none for unsigned fetches). It runs with n.mu held and releases it
// while the first fetch of a new key is held.
func (i *Instance) handshake(ctx context.Context, from string) (reply, bool) {
	if !i.race.Handshake || from == "" || i.race.met[from] {
		return reply{}, false
	}
	if i.race.handshaking[from] {
		i.race.spoiled++
		i.race.wake()
		return errReply(http.StatusInternalServerError, "StatusGet: network race handshaking http://"+from+"/actor"), true
	}
	i.race.handshaking[from] = true
	i.hold(ctx)
	delete(i.race.handshaking, from)
	i.race.met[from] = true
	return reply{}, false
}

// searchingNow returns how many resolving searches are fetching (tests).
func (i *Instance) searchingNow() int {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return i.race.searching
}

// hold keeps a racing request in flight: until a concurrent one loses the
// race, Hold passes, or ctx or the network ends. Called with n.mu held,
// which it releases meanwhile.
func (i *Instance) hold(ctx context.Context) {
	if i.race.company == nil {
		i.race.company = make(chan struct{})
	}
	company, d := i.race.company, i.race.Hold
	i.n.mu.Unlock()
	defer i.n.mu.Lock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-company:
	case <-ctx.Done():
	case <-i.n.done:
	}
}

// wake ends the holds of the requests in flight: one lost the race.
func (r *raceState) wake() {
	if r.company != nil {
		close(r.company)
		r.company = nil
	}
}
