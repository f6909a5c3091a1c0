package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	fedimarks "github.com/fedimarks/fedimarks"
)

// anchorEvery is how far apart the page anchors of a search's listing
// are: every 20th bookmark, a page of the web page. A page typed by
// number then walks at most 19 bookmarks past its anchor, each of which
// may cost a lookup in the search index.
const anchorEvery = 20

// timelineEvery is how far apart the anchors of a timeline (no text, no
// filter) are: walking up to 999 entries of its index costs about 0.1 ms,
// and reading its anchors is 100 index seeks for 100,000 bookmarks, all
// within SQLite, where reading every 20th of them would pass each
// bookmark through Go. (A variable for the tests, which use smaller
// archives.)
var timelineEvery = 1000

// maxAnchorLists is how many listings' anchors an Archive keeps (the
// timeline and a few searches per account; about 80 KB for a listing of
// 100,000 bookmarks).
const maxAnchorLists = 16

// pageAnchors keeps, per listing in date order (the timeline, or a search
// listed by date), where every timelineEvery-th or anchorEvery-th
// bookmark of it is, so that a page typed by number starts from the
// anchor before it, an index seek, instead of stepping over every
// bookmark above it (an OFFSET: 30 to 200 ms for page 4,000 of 100,000).
// Anchors are read in the read transaction of the page that needs them.
// A timeline's are good while the account's generation
// (listing_generations, migration 0085: counted up by every change of its
// bookmarks) is the one they were read at; a search's follow the changes
// logged since they were read (see searchAnchors). The zero value is
// ready; it is safe for concurrent use.
type pageAnchors struct {
	mu    sync.Mutex
	lists map[string]*anchorList
	order []string // keys, oldest first, for eviction
	// walks counts the listings read in full to find their anchors (not
	// those read from timeline_anchors, nor those that followed
	// changes), for the tests.
	walks atomic.Int64
}

// anchorList is one listing's anchors: at[j] is the position and id of
// its item number (j+1)×every − 1 (counted from 0, newest first), read at
// generation gen (a timeline) or at listing_changes' seq (a search). Once
// a search's anchors followed changes, counts[j] is how many of its
// bookmarks are at or above at[j] (see count); at[j] may then be the
// place of a bookmark no longer listed.
type anchorList struct {
	gen    int64
	seq    int64
	every  int
	at     []cursor
	counts []int
}

// generation reads account's timeline generation in tx (0 when it has
// none): what moves bookmarks in its timeline.
func generation(ctx context.Context, tx *sql.Tx, account string) (int64, error) {
	var gen int64
	err := tx.QueryRowContext(ctx, `SELECT generation FROM listing_generations WHERE account = ?`, account).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return gen, err
}

// seek returns where account's timeline, which the SQL from, where and
// args select (in date order), reaches offset: the anchor to continue
// after and the rest of the offset, past it. ok is false when offset is
// above the first anchor. The anchors are read in tx if the kept ones are
// of another generation: from timeline_anchors when stored (the timeline
// of active bookmarks) and the backup left them there at this generation,
// else once, in one pass over the listing.
func (p *pageAnchors) seek(ctx context.Context, tx *sql.Tx, account, from, where string, args []any, stored bool, offset int) (c cursor, rest int, ok bool, err error) {
	every := timelineEvery
	if offset < every {
		return cursor{}, offset, false, nil
	}
	gen, err := generation(ctx, tx, account)
	if err != nil {
		return cursor{}, 0, false, fmt.Errorf("read listing generation: %w", err)
	}
	key := from + "\x00" + where + "\x00" + fmt.Sprint(args...)
	p.mu.Lock()
	l := p.lists[key]
	p.mu.Unlock()
	if l == nil || l.gen != gen || l.every != every {
		l = nil
		if stored {
			if l, err = storedAnchors(ctx, tx, account, gen, every); err != nil {
				return cursor{}, 0, false, fmt.Errorf("read page anchors: %w", err)
			}
		}
		if l == nil {
			p.walks.Add(1)
			if l, err = readTimelineAnchors(ctx, tx, from, where, args, every); err != nil {
				return cursor{}, 0, false, fmt.Errorf("read page anchors: %w", err)
			}
		}
		l.gen = gen
		p.keep(key, l)
	}
	j := min(offset/every, len(l.at))
	if j == 0 {
		// The listing is shorter than one stride: the page is empty
		// or within it.
		return cursor{}, offset, false, nil
	}
	return l.at[j-1], offset - j*every, true, nil
}

// readAnchors reads the anchors of a listing in one pass over it.
func readAnchors(ctx context.Context, tx *sql.Tx, from, where string, args []any, every int) (*anchorList, error) {
	rows, err := tx.QueryContext(ctx, `SELECT b.position, b.id FROM `+from+` WHERE `+where+`
		ORDER BY b.position DESC, b.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	l := &anchorList{every: every}
	for n := 1; rows.Next(); n++ {
		var c cursor
		if err := rows.Scan(&c.position, &c.id); err != nil {
			return nil, err
		}
		if n%every == 0 {
			l.at = append(l.at, c)
		}
	}
	return l, rows.Err()
}

// readTimelineAnchors reads the anchors of a timeline, each the row
// every−1 rows past the one before in its index.
func readTimelineAnchors(ctx context.Context, tx *sql.Tx, from, where string, args []any, every int) (*anchorList, error) {
	l := &anchorList{every: every}
	stmt, err := tx.PrepareContext(ctx, `SELECT b.position, b.id FROM `+from+` WHERE `+where+` AND (b.position, b.id) < (?, ?)
		ORDER BY b.position DESC, b.id DESC LIMIT 1 OFFSET ?`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	c := cursor{position: math.MaxInt64, id: math.MaxInt64}
	for {
		err := stmt.QueryRowContext(ctx, append(args, c.position, c.id, every-1)...).Scan(&c.position, &c.id)
		if errors.Is(err, sql.ErrNoRows) {
			return l, nil
		}
		if err != nil {
			return nil, err
		}
		l.at = append(l.at, c)
	}
}

// keep stores l under key, dropping the oldest list past maxAnchorLists.
func (p *pageAnchors) keep(key string, l *anchorList) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lists == nil {
		p.lists = make(map[string]*anchorList)
	}
	if _, ok := p.lists[key]; !ok {
		p.order = append(p.order, key)
	}
	p.lists[key] = l
	for len(p.order) > maxAnchorLists {
		delete(p.lists, p.order[0])
		p.order = p.order[1:]
	}
}

// timelineSQL is the FROM and WHERE clauses, and their arguments, of the
// timeline of account's active bookmarks, as Search lists it.
func timelineSQL(account string) (from, where string, args []any) {
	from, where, args, _ = searchSQL(fedimarks.Query{Account: fedimarks.Handle(account)}, matchJoin, false)
	return from, where, args
}

// storeTimelineAnchors reads the anchors of account's timeline in tx, a
// write transaction, and stores them in timeline_anchors at the
// account's generation in tx, for the next reader (see seek). A backup
// calls it once per run, at the end: about as long as one page typed
// by number takes to find them (100 index walks of 1,000 entries at
// 100,000 bookmarks).
func storeTimelineAnchors(ctx context.Context, tx *sql.Tx, account string) error {
	gen, err := generation(ctx, tx, account)
	if err != nil {
		return err
	}
	from, where, args := timelineSQL(account)
	l, err := readTimelineAnchors(ctx, tx, from, where, args, timelineEvery)
	if err != nil {
		return err
	}
	packed := make([]byte, 0, len(l.at)*12)
	for _, c := range l.at {
		packed = binary.AppendVarint(binary.AppendVarint(packed, c.position), c.id)
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO timeline_anchors (account, generation, every, anchors) VALUES (?, ?, ?, ?)`,
		account, gen, l.every, packed)
	return err
}

// storedAnchors returns account's timeline anchors from timeline_anchors
// if they were stored at generation gen with stride every; nil if not.
func storedAnchors(ctx context.Context, tx *sql.Tx, account string, gen int64, every int) (*anchorList, error) {
	var packed []byte
	err := tx.QueryRowContext(ctx, `SELECT anchors FROM timeline_anchors WHERE account = ? AND generation = ? AND every = ?`,
		account, gen, every).Scan(&packed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l := &anchorList{every: every}
	for len(packed) > 0 {
		var c cursor
		var n, m int
		c.position, n = binary.Varint(packed)
		if n > 0 {
			c.id, m = binary.Varint(packed[n:])
		}
		if n <= 0 || m <= 0 {
			return nil, nil // not as storeTimelineAnchors wrote it: read the listing
		}
		l.at = append(l.at, c)
		packed = packed[n+m:]
	}
	return l, nil
}
