package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// anchorEvery is how far apart the page anchors of a listing are: every
// 20th bookmark, a page of the web page.
const anchorEvery = 20

// maxAnchorLists is how many listings' anchors an Archive keeps (the
// timeline and a few searches per account; about 80 KB for a listing of
// 100,000 bookmarks).
const maxAnchorLists = 16

// pageAnchors keeps, per listing in date order (the timeline, or a search
// listed by date), where every anchorEvery-th bookmark of it is, so that
// a page typed by number starts from the anchor before it, an index seek,
// instead of stepping over every bookmark above it (an OFFSET: 30 to 200
// ms for page 4,000 of 100,000). Anchors are read in the read transaction
// of the page that needs them, and are good while the account's
// generation (listing_generations, migration 0085: counted up by every change of its bookmarks,
// tags, notes or their posts' index entries) is the one they were read
// at. The zero value is ready; it is safe for concurrent use.
type pageAnchors struct {
	mu    sync.Mutex
	lists map[string]*anchorList
	order []string // keys, oldest first, for eviction
}

// anchorList is one listing's anchors: at[j] is the position and id of
// its item number (j+1)×anchorEvery − 1 (counted from 0, newest first),
// read at generation gen.
type anchorList struct {
	gen int64
	at  []cursor
}

// generation reads h's listing generation in tx (0 when h has none).
func generation(ctx context.Context, tx *sql.Tx, account string) (int64, error) {
	var gen int64
	err := tx.QueryRowContext(ctx, `SELECT generation FROM listing_generations WHERE account = ?`, account).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return gen, err
}

// seek returns where the listing that the SQL from, where and args select
// (in date order) reaches offset: the anchor to continue after and the
// rest of the offset, past it. ok is false when offset is above the first
// anchor. The anchors are read in tx if the kept ones are of another
// generation: once, in one pass over the listing's positions.
func (p *pageAnchors) seek(ctx context.Context, tx *sql.Tx, account, from, where string, args []any, offset int) (c cursor, rest int, ok bool, err error) {
	j := offset / anchorEvery
	if j == 0 {
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
	if l == nil || l.gen != gen {
		if l, err = readAnchors(ctx, tx, from, where, args); err != nil {
			return cursor{}, 0, false, fmt.Errorf("read page anchors: %w", err)
		}
		l.gen = gen
		p.keep(key, l)
	}
	if j > len(l.at) {
		// Past the end of the listing: the page is empty.
		if len(l.at) == 0 {
			return cursor{}, offset, false, nil
		}
		j = len(l.at)
	}
	return l.at[j-1], offset - j*anchorEvery, true, nil
}

// readAnchors reads the anchors of a listing in one pass.
func readAnchors(ctx context.Context, tx *sql.Tx, from, where string, args []any) (*anchorList, error) {
	rows, err := tx.QueryContext(ctx, `SELECT position, id FROM (SELECT b.position, b.id,
			row_number() OVER (ORDER BY b.position DESC, b.id DESC) AS n
		FROM `+from+` WHERE `+where+`) WHERE n % `+fmt.Sprint(anchorEvery)+` = 0 ORDER BY n`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	l := &anchorList{}
	for rows.Next() {
		var c cursor
		if err := rows.Scan(&c.position, &c.id); err != nil {
			return nil, err
		}
		l.at = append(l.at, c)
	}
	return l, rows.Err()
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
