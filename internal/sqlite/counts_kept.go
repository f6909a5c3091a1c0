package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	fedimarks "github.com/fedimarks/fedimarks"
)

// maxKeptCounts is how many searches' counts an Archive keeps.
const maxKeptCounts = 64

// keptCounts keeps the counts of searches (SearchCountAtMost) with the
// listing_changes seq they were read at (migration 0095), and follows the
// changes logged since instead of counting again: a page of a hashtag
// right after a post was tagged, or after a backup found a bookmark
// without it, does not count its matches again. Counting them costs
// little once SQLite has the pages in memory, but any write to the file
// makes every reader drop its cache, and the 501 bookmarks of a hashtag
// on 2 % of 100,000 posts sit on as many pages: 20 ms. The zero value is
// ready; it is safe for concurrent use.
type keptCounts struct {
	mu    sync.Mutex
	m     map[string]keptCount
	order []string // keys, oldest first, for eviction
	// reads counts the counts read from the listing, for the tests.
	reads atomic.Int64
}

// keptCount is one search's count n (counted up to max; 0: no bound),
// read at listing_changes' seq, when the highest bookmark id was lastID.
type keptCount struct {
	n, max      int
	seq, lastID int64
}

// countListing is one search as it is counted.
type countListing struct {
	account     string
	from, where string
	args        []any
	labels      bool // tags and notes decide what it lists
	max         int  // count no further (0: no bound)
}

// count returns how many bookmarks s lists, up to s.max, as of tx: the
// kept count when it saw every change since or could follow them, else
// counted.
func (k *keptCounts) count(ctx context.Context, tx *sql.Tx, s countListing) (int, error) {
	key := fmt.Sprint(s.max) + "\x00" + s.from + "\x00" + s.where + "\x00" + fmt.Sprint(s.args...)
	seq, floor, err := changeMark(ctx, tx)
	if err != nil {
		return 0, err
	}
	var lastID int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM bookmarks`).Scan(&lastID); err != nil {
		return 0, err
	}
	k.mu.Lock()
	c, ok := k.m[key]
	k.mu.Unlock()
	if ok && c.seq >= floor && c.seq <= seq {
		n, followed, err := c.follow(ctx, tx, s, seq)
		if err != nil {
			return 0, err
		}
		if followed {
			k.keep(key, keptCount{n: n, max: s.max, seq: seq, lastID: lastID})
			return n, nil
		}
	}
	k.reads.Add(1)
	query, args := `SELECT count(*) FROM `+s.from+` WHERE `+s.where, s.args
	if s.max > 0 {
		query = `SELECT count(*) FROM (SELECT 1 FROM ` + s.from + ` WHERE ` + s.where + ` LIMIT ?)`
		args = append(slices.Clone(args), s.max)
	}
	var n int
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, err
	}
	k.keep(key, keptCount{n: n, max: s.max, seq: seq, lastID: lastID})
	return n, nil
}

// follow returns c's count at seq from the bookmarks logged as changed
// since c was read; followed is false when it cannot tell (the caller
// counts). A bookmark added since (an id above c.lastID) was not listed
// then: the count grows by those listed now. One that was there may have
// left or joined the listing: unless the count had reached max and each
// such bookmark is listed now (so the count still reaches max), only
// counting again tells.
func (c keptCount) follow(ctx context.Context, tx *sql.Tx, s countListing, seq int64) (n int, followed bool, err error) {
	if c.seq == seq {
		return c.n, true, nil
	}
	q := `SELECT DISTINCT id FROM listing_changes WHERE account = ? AND seq > ? AND seq <= ?`
	if !s.labels {
		q += ` AND labels = 0`
	}
	rows, err := tx.QueryContext(ctx, q+` LIMIT ?`, s.account, c.seq, seq, maxFollowed+1)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	var added, old []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, false, err
		}
		if id > c.lastID {
			added = append(added, id)
		} else {
			old = append(old, id)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	rows.Close()
	if len(added)+len(old) > maxFollowed {
		return 0, false, nil
	}
	full := s.max > 0 && c.n >= s.max
	if len(old) > 0 && !full {
		return 0, false, nil
	}
	if len(old) > 0 {
		listed, err := countAmong(ctx, tx, s, old)
		if err != nil || listed < len(old) {
			return 0, false, err
		}
	}
	if full {
		return c.n, true, nil
	}
	listed, err := countAmong(ctx, tx, s, added)
	if err != nil {
		return 0, false, err
	}
	n = c.n + listed
	if s.max > 0 {
		n = min(n, s.max)
	}
	return n, true, nil
}

// countAmong counts the bookmarks of ids that s lists.
func countAmong(ctx context.Context, tx *sql.Tx, s countListing, ids []any) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+s.from+` WHERE `+s.where+` AND b.id IN (?`+repeatString(",?", len(ids)-1)+`)`,
		append(slices.Clone(s.args), ids...)...).Scan(&n)
	return n, err
}

// keep stores c under key, dropping the oldest past maxKeptCounts.
func (k *keptCounts) keep(key string, c keptCount) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = make(map[string]keptCount)
	}
	if _, ok := k.m[key]; !ok {
		k.order = append(k.order, key)
	}
	k.m[key] = c
	for len(k.order) > maxKeptCounts {
		delete(k.m, k.order[0])
		k.order = k.order[1:]
	}
}

// countSearch counts the bookmarks that q lists (notes: its text also
// matches notes), up to max (0: no bound), in a read transaction of its
// own, from the kept count where it can (see keptCounts).
func (a *Archive) countSearch(ctx context.Context, q fedimarks.Query, notes bool, max int) (int, error) {
	tx, err := a.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if ordered(q) {
		m, ok, err := a.searchOrdered(ctx, tx, q, false)
		if err != nil {
			return 0, err
		}
		if ok {
			if max > 0 {
				return min(len(m.at), max), nil
			}
			return len(m.at), nil
		}
	}
	mode, err := listingMode(ctx, tx, q)
	if err != nil {
		return 0, err
	}
	from, where, args, ok := searchSQL(q, mode, notes)
	if !ok {
		return 0, nil
	}
	return a.counts.count(ctx, tx, countListing{account: string(q.Account), from: from, where: where, args: args,
		labels: usesLabels(q, notes), max: max})
}

// usesLabels reports whether local tags or notes decide what q lists
// (notes: its text also matches notes).
func usesLabels(q fedimarks.Query, notes bool) bool {
	return notes || len(q.Tags) > 0 || len(q.NotTags) > 0 || q.HasNote
}
