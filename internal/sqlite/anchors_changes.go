package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"

	fedimarks "github.com/fedimarks/fedimarks"
)

// A search's page anchors are kept across changes of the archive: the
// bookmarks that changed since the anchors were read are in
// listing_changes (migration 0095), and only the stretches of the listing
// between two anchors that hold one of them are read again, each a walk
// of about anchorEvery matches. A backup that finds a new bookmark then
// costs the next typed page one short walk at the top of the listing,
// where reading the anchors of a word in a quarter of 100,000 posts again
// takes 200 ms; tagging a post costs a word's anchors nothing.

// maxFollowed is how many logged changes of an account a listing's
// anchors follow; past it (a full backup that moved every bookmark) the
// listing is read again in full.
const maxFollowed = 256

// maxStretches is how many stretches between anchors are read again
// to follow changes; past it the listing is read again in full.
const maxStretches = 16

// searchListing is one search listed by date, as its page anchors are
// read and followed.
type searchListing struct {
	account     string
	from, where string
	args        []any
	labels      bool // tags and notes decide what it lists
	every       int
	// stretch gives the FROM and WHERE clauses, and their arguments,
	// that walk a stretch of the listing of about want bookmarks at the
	// least cost (see dateMode).
	stretch func(want int) (from, where string, args []any, err error)
}

// changeMark reads, in tx, the newest seq of listing_changes and the floor
// below which its rows were pruned.
func changeMark(ctx context.Context, tx *sql.Tx) (seq, floor int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT coalesce((SELECT max(seq) FROM listing_changes), 0),
		coalesce((SELECT seq FROM listing_changes_floor), 0)`).Scan(&seq, &floor)
	return seq, floor, err
}

// searchAnchors returns the anchors of s as of tx: those kept under key
// if they saw every change since (following the changes logged since
// they were read, see follow), else read in one pass over the listing.
func (p *pageAnchors) searchAnchors(ctx context.Context, tx *sql.Tx, key string, s searchListing) (*anchorList, error) {
	seq, floor, err := changeMark(ctx, tx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	l := p.lists[key]
	p.mu.Unlock()
	if l != nil && (l.every != s.every || l.seq < floor || l.seq > seq) {
		l = nil
	}
	if l != nil && l.seq == seq {
		return l, nil // kept lists are never changed: a new one replaces one
	}
	if l != nil {
		if l, err = p.follow(ctx, tx, s, l, seq); err != nil {
			return nil, err
		}
	}
	if l == nil {
		p.walks.Add(1)
		if l, err = readAnchors(ctx, tx, s.from, s.where, s.args, s.every); err != nil {
			return nil, err
		}
	}
	l.seq = seq
	p.keep(key, l)
	return l, nil
}

// follow returns l brought to seq: the anchors of the stretches of the
// listing that hold a bookmark logged as changed after l.seq read again,
// the counts of those below them moved by as many as the stretches gained
// or lost. nil when too much changed to follow (maxFollowed,
// maxStretches): the caller reads the listing in full.
func (p *pageAnchors) follow(ctx context.Context, tx *sql.Tx, s searchListing, l *anchorList, seq int64) (*anchorList, error) {
	q := `SELECT position, id FROM listing_changes WHERE account = ? AND seq > ? AND seq <= ?`
	if !s.labels {
		q += ` AND labels = 0`
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY seq LIMIT ?`, s.account, l.seq, seq, maxFollowed+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dirty := map[int]int{} // stretch → changes in it
	n := 0
	for rows.Next() {
		var c cursor
		if err := rows.Scan(&c.position, &c.id); err != nil {
			return nil, err
		}
		if n++; n > maxFollowed {
			return nil, nil
		}
		dirty[l.stretchOf(c)]++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(dirty) > maxStretches {
		return nil, nil
	}
	if len(dirty) == 0 {
		return &anchorList{every: l.every, at: l.at, counts: l.counts}, nil
	}
	stretches := make([]int, 0, len(dirty))
	want := 0
	for j, k := range dirty {
		stretches = append(stretches, j)
		want = max(want, l.every+k)
	}
	slices.Sort(stretches)
	from, where, args, err := s.stretch(want)
	if err != nil {
		return nil, err
	}
	out := &anchorList{every: l.every}
	next := 0 // the first of l's anchors not yet in out
	shift := 0
	for _, j := range stretches {
		// Anchors above stretch j are kept, their counts shifted by
		// what the stretches above them gained or lost.
		for ; next < j; next++ {
			out.at = append(out.at, l.at[next])
			out.counts = append(out.counts, l.count(next)+shift)
		}
		above := 0 // bookmarks of the listing above stretch j, as it is now
		if j > 0 {
			above = out.counts[len(out.counts)-1]
		}
		cond, condArgs := l.stretchBounds(j)
		keys, err := readStretch(ctx, tx, from, where+cond, append(slices.Clone(args), condArgs...))
		if err != nil {
			return nil, err
		}
		for i := l.every; i <= len(keys); i += l.every {
			if j < len(l.at) && i == len(keys) && keys[i-1] == l.at[j] {
				break // the stretch's own lower anchor, added below
			}
			out.at = append(out.at, keys[i-1])
			out.counts = append(out.counts, above+i)
		}
		if j < len(l.at) {
			now := above + len(keys)
			shift = now - l.count(j)
			out.at = append(out.at, l.at[j])
			out.counts = append(out.counts, now)
			next = j + 1
		}
	}
	for ; next < len(l.at); next++ {
		out.at = append(out.at, l.at[next])
		out.counts = append(out.counts, l.count(next)+shift)
	}
	return out, nil
}

// count is how many bookmarks of the listing are at or above anchor j:
// (j+1)×every as read in one pass, other counts once changes were
// followed.
func (l *anchorList) count(j int) int {
	if l.counts == nil {
		return (j + 1) * l.every
	}
	return l.counts[j]
}

// above reports whether the bookmark at c is above (newer than) the one
// at d in a listing by date.
func (c cursor) above(d cursor) bool {
	return c.position > d.position || c.position == d.position && c.id > d.id
}

// stretchOf returns the stretch of the listing that the bookmark at c is
// in: stretch j runs from anchor j (included) up to anchor j−1 (the top
// for j = 0); stretch len(l.at) is what lies below the last anchor.
func (l *anchorList) stretchOf(c cursor) int {
	return sort.Search(len(l.at), func(j int) bool { return !l.at[j].above(c) })
}

// stretchBounds returns the SQL condition, and its arguments, that keeps
// the bookmarks of stretch j.
func (l *anchorList) stretchBounds(j int) (cond string, args []any) {
	if j < len(l.at) {
		cond += ` AND (b.position, b.id) >= (?, ?)`
		args = append(args, l.at[j].position, l.at[j].id)
	}
	if j > 0 {
		cond += ` AND (b.position, b.id) < (?, ?)`
		args = append(args, l.at[j-1].position, l.at[j-1].id)
	}
	return cond, args
}

// readStretch returns the places of the bookmarks of a stretch of a
// listing, newest first.
func readStretch(ctx context.Context, tx *sql.Tx, from, where string, args []any) ([]cursor, error) {
	rows, err := tx.QueryContext(ctx, `SELECT b.position, b.id FROM `+from+` WHERE `+where+`
		ORDER BY b.position DESC, b.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []cursor
	for rows.Next() {
		var c cursor
		if err := rows.Scan(&c.position, &c.id); err != nil {
			return nil, err
		}
		keys = append(keys, c)
	}
	return keys, rows.Err()
}

// seekTyped returns where the listing of q by date (notes: its text also
// matches notes) reaches offset, from its page anchors: the anchor to
// continue after and the rest of the offset past it; found is false when
// offset is above the first anchor; ok is false when q can match nothing.
func (a *Archive) seekTyped(ctx context.Context, tx *sql.Tx, q fedimarks.Query, notes bool, offset int) (c cursor, rest int, found, ok bool, err error) {
	lm, err := listingMode(ctx, tx, q)
	if err != nil {
		return cursor{}, 0, false, false, err
	}
	from, where, args, ok := searchSQL(q, lm, notes)
	if !ok {
		return cursor{}, 0, false, false, nil
	}
	account := string(q.Account)
	if q.String() == "" {
		c, rest, found, err := a.anchors.seek(ctx, tx, account, from, where, args, !q.IncludeRemoved, offset)
		return c, rest, found, true, err
	}
	if offset < anchorEvery {
		return cursor{}, offset, false, true, nil
	}
	s := searchListing{
		account: account, from: from, where: where, args: args, every: anchorEvery,
		labels: usesLabels(q, notes),
		stretch: func(want int) (string, string, []any, error) {
			mode, err := dateMode(ctx, tx, q, want, true)
			if err != nil {
				return "", "", nil, err
			}
			from, where, args, _ := searchSQL(q, mode, notes)
			return from, where, args, nil
		},
	}
	l, err := a.anchors.searchAnchors(ctx, tx, from+"\x00"+where+"\x00"+fmt.Sprint(args...), s)
	if err != nil {
		return cursor{}, 0, false, false, fmt.Errorf("read page anchors: %w", err)
	}
	// The last anchor at or above offset (counts grow down the list).
	j := sort.Search(len(l.at), func(j int) bool { return l.count(j) > offset })
	if j == 0 {
		return cursor{}, offset, false, true, nil
	}
	return l.at[j-1], offset - l.count(j-1), true, true, nil
}
