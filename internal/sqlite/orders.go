package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// A listing order is one account's bookmarks, all of them, in the order
// its listings by date show them (position DESC, id DESC), read at one
// listing generation (migration 0085). With it a search can take its
// matches from the index alone (the post ids of search_fts, tag_posts,
// search_docs) and put them in order, count them and cut any page of them
// in memory, where ordering them in SQL looks every match up in bookmarks:
// a page in the cache costs the same, but a process that kept nothing
// (a `serve` just started, a `search` command) reads one page of the file
// per match, 25,000 of them for page 800 of a common word at 100,000
// bookmarks (180 ms; about 10 µs a page on a virtual machine). The order
// is stored in listing_orders (migration 0100) by each backup run's last
// transaction, so that the next process reads it in a few hundred
// microseconds, and `serve` builds it again in the background when its
// generation is behind (see KeepOrders).

// listOrderFormat is the packing of listing_orders.entries that encode
// writes and decodeOrder reads.
const listOrderFormat = 1

// listOrder is an account's bookmarks in listing order at generation gen:
// entry i is the bookmark with id id[i] at position position[i],
// removed when a full backup found it gone. It is never changed once
// built: a new generation gets a new one.
type listOrder struct {
	gen      int64
	position []int64
	id       []int64
	removed  entrySet
	// at finds an entry by its post: dense[statusID] is its index + 1
	// when the account's post ids are dense enough, else sparse holds it.
	dense  []int32
	sparse map[int64]int32
	// status is each entry's post id, kept only in an order read from
	// the bookmarks, to be stored (encode).
	status []int64
}

// newListOrder makes an order for n entries of posts whose ids are at
// most top.
func newListOrder(n int, top int64) *listOrder {
	o := &listOrder{
		position: make([]int64, 0, n),
		id:       make([]int64, 0, n),
		removed:  newEntrySet(n),
	}
	// A slice of the post ids up to the highest costs 4 bytes a post
	// id; a map costs about 40 a bookmark: the slice while it is at
	// most ten times longer than the bookmarks.
	if top < int64(10*n+4096) {
		o.dense = make([]int32, top+1)
	} else {
		o.sparse = make(map[int64]int32, n)
	}
	return o
}

// add appends the bookmark id at position, of post status.
func (o *listOrder) add(status, position, id int64, removed bool) {
	i := len(o.id)
	o.position = append(o.position, position)
	o.id = append(o.id, id)
	if removed {
		o.removed.add(i)
	}
	if o.dense != nil {
		o.dense[status] = int32(i + 1)
	} else {
		o.sparse[status] = int32(i)
	}
}

// index returns the entry of the post statusID, if the account
// bookmarked it.
func (o *listOrder) index(statusID int64) (int, bool) {
	if o.dense != nil {
		if statusID < 0 || statusID >= int64(len(o.dense)) || o.dense[statusID] == 0 {
			return 0, false
		}
		return int(o.dense[statusID]) - 1, true
	}
	i, ok := o.sparse[statusID]
	return int(i), ok
}

// len is how many bookmarks the order holds, removed ones included.
func (o *listOrder) len() int { return len(o.id) }

// after reports whether entry i is listed after the place c (older):
// (position, id) < (c.position, c.id); before whether it is listed
// before it (newer).
func (o *listOrder) after(i int, c cursor) bool {
	return o.position[i] < c.position || (o.position[i] == c.position && o.id[i] < c.id)
}

func (o *listOrder) before(i int, c cursor) bool {
	return o.position[i] > c.position || (o.position[i] == c.position && o.id[i] > c.id)
}

// encode packs an order read from the bookmarks: the number of its
// entries and the highest post id, then for each entry the differences
// from the entry before of its post id, position and id (the id's
// shifted left one bit, with the removed flag in the low bit), as
// varints. A backup's bookmarks differ from their neighbours by small
// numbers: about 5 bytes a bookmark.
func (o *listOrder) encode() []byte {
	b := make([]byte, 0, 16+6*len(o.status))
	var top int64
	for _, s := range o.status {
		top = max(top, s)
	}
	b = binary.AppendUvarint(b, uint64(len(o.status)))
	b = binary.AppendUvarint(b, uint64(max(top, 0)))
	var ps, pp, pi int64
	for i, s := range o.status {
		flag := int64(0)
		if o.removed.has(i) {
			flag = 1
		}
		b = binary.AppendVarint(b, s-ps)
		b = binary.AppendVarint(b, o.position[i]-pp)
		b = binary.AppendVarint(b, (o.id[i]-pi)<<1|flag)
		ps, pp, pi = s, o.position[i], o.id[i]
	}
	return b
}

// errBadOrder is a stored order that decodeOrder cannot read: it is
// built again.
var errBadOrder = errors.New("listing order not as encode wrote it")

// decodeOrder reads what encode wrote.
func decodeOrder(b []byte) (*listOrder, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errBadOrder
	}
	b = b[k:]
	top, k := binary.Uvarint(b)
	if k <= 0 || top > 1<<62 {
		return nil, errBadOrder
	}
	b = b[k:]
	o := newListOrder(int(n), int64(top))
	var ps, pp, pi int64
	for range n {
		var d [3]int64
		for j := range d {
			v, k := binary.Varint(b)
			if k <= 0 {
				return nil, errBadOrder
			}
			d[j], b = v, b[k:]
		}
		ps, pp, pi = ps+d[0], pp+d[1], pi+d[2]>>1
		if ps < 0 || ps > int64(top) {
			return nil, errBadOrder
		}
		o.add(ps, pp, pi, d[2]&1 == 1)
	}
	if len(b) != 0 {
		return nil, errBadOrder
	}
	return o, nil
}

// readOrder reads account's listing order from its bookmarks in tx, at
// generation gen (which the caller read in tx).
func readOrder(ctx context.Context, tx *sql.Tx, account string, gen int64) (*listOrder, error) {
	rows, err := tx.QueryContext(ctx, `SELECT status_id, position, id, removed_at IS NOT NULL FROM bookmarks
		WHERE account = ? ORDER BY position DESC, id DESC`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		status, position, id []int64
		removed              []bool
		top                  int64
	)
	for rows.Next() {
		var (
			s, p, i int64
			r       bool
		)
		if err := rows.Scan(&s, &p, &i, &r); err != nil {
			return nil, err
		}
		status, position, id, removed = append(status, s), append(position, p), append(id, i), append(removed, r)
		top = max(top, s)
		if s < 0 {
			top = math.MaxInt64 // not a rowid SQLite gives: a map holds it
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	o := newListOrder(len(status), top)
	for i := range status {
		o.add(status[i], position[i], id[i], removed[i])
	}
	o.gen, o.status = gen, status
	return o, nil
}

// storeOrder writes o as account's stored listing order, unless one of a
// later generation is stored already.
func storeOrder(ctx context.Context, ex execer, account string, o *listOrder) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO listing_orders (account, generation, format, entries) VALUES (?, ?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET generation = excluded.generation, format = excluded.format, entries = excluded.entries
		WHERE excluded.generation >= listing_orders.generation`,
		account, o.gen, listOrderFormat, o.encode())
	return err
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// storeListingOrder reads account's listing order in tx, a write
// transaction, and stores it at the account's generation in tx, for the
// next process that searches (see listOrder). A backup calls it once per
// run, at the end: about 40 ms at 100,000 bookmarks.
func storeListingOrder(ctx context.Context, tx *sql.Tx, account string) error {
	gen, err := generation(ctx, tx, account)
	if err != nil {
		return err
	}
	o, err := readOrder(ctx, tx, account, gen)
	if err != nil {
		return err
	}
	return storeOrder(ctx, tx, account, o)
}

// listOrders keeps the accounts' listing orders an Archive read, and
// builds them again in the background when asked to (see KeepOrders).
// The zero value keeps them and builds nothing; it is safe for concurrent
// use.
type listOrders struct {
	mu       sync.Mutex
	kept     map[string]*listOrder
	building map[string]bool
	// background, when set, is the context the builds run in (the
	// archive's, cancelled by Close); wg waits for them.
	background context.Context
	wg         sync.WaitGroup
	// pause is how long a build waits before the next one of the same
	// account may start: a backup running beside `serve` moves the
	// generation on with each page, and the searches meanwhile use SQL.
	pause time.Duration
	// builds counts the orders built from the bookmarks (not read from
	// listing_orders), for the tests.
	builds int
}

// orderFor returns account's listing order as of tx: the kept one when
// it is of the account's generation in tx, else the stored one when it
// is, else nil (and, when the archive builds orders, a build starts in
// the background for the next search).
func (a *Archive) orderFor(ctx context.Context, tx *sql.Tx, account string) (*listOrder, error) {
	if a.noOrders {
		return nil, nil
	}
	gen, err := generation(ctx, tx, account)
	if err != nil {
		return nil, fmt.Errorf("read listing generation: %w", err)
	}
	p := &a.orders
	p.mu.Lock()
	o := p.kept[account]
	p.mu.Unlock()
	if o != nil && o.gen == gen {
		return o, nil
	}
	var (
		stored int64
		format int
	)
	err = tx.QueryRowContext(ctx, `SELECT generation, format FROM listing_orders WHERE account = ?`, account).Scan(&stored, &format)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read listing order: %w", err)
	}
	if err == nil && stored == gen && format == listOrderFormat {
		var packed []byte
		if err := tx.QueryRowContext(ctx, `SELECT entries FROM listing_orders WHERE account = ?`, account).Scan(&packed); err != nil {
			return nil, fmt.Errorf("read listing order: %w", err)
		}
		if o, err := decodeOrder(packed); err == nil {
			o.gen = gen
			p.keep(account, o)
			return o, nil
		}
	}
	a.buildOrderLater(account)
	return nil, nil
}

// keep keeps o as account's order unless a later one is kept.
func (p *listOrders) keep(account string, o *listOrder) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kept == nil {
		p.kept = make(map[string]*listOrder)
	}
	if k := p.kept[account]; k == nil || k.gen <= o.gen {
		p.kept[account] = o
	}
}

// KeepOrders readies the listing orders of every account for the
// searches of a long-lived process (`serve` calls it before it listens):
// it reads the stored ones, builds those missing or behind the account's
// generation now (a run still going, an import, a sync or an archive
// from before this version leave them behind; about 130 ms for 100,000
// bookmarks whose pages are not in the cache), and from then on builds
// one again in the background when a search finds it behind, the
// searches meanwhile using SQL. Close stops the builds.
func (a *Archive) KeepOrders(ctx context.Context) error {
	accounts, err := a.ArchivedAccounts(ctx)
	if err != nil {
		return err
	}
	for _, h := range accounts {
		if err := a.readyOrder(ctx, string(h)); err != nil {
			return fmt.Errorf("read the listing order of %s: %w", h, err)
		}
	}
	p := &a.orders
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.background == nil {
		p.background = a.closing
		if p.pause == 0 {
			p.pause = 2 * time.Second
		}
	}
	return nil
}

// readyOrder keeps account's order as it is now: the stored one, or one
// built from the bookmarks.
func (a *Archive) readyOrder(ctx context.Context, account string) error {
	tx, err := a.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	o, err := a.orderFor(ctx, tx, account)
	tx.Rollback()
	if o != nil || err != nil {
		return err
	}
	return a.buildOrder(ctx, account)
}

// buildOrderLater starts a background build of account's order, unless
// builds are off or one of that account is under way.
func (a *Archive) buildOrderLater(account string) {
	p := &a.orders
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.background == nil || p.background.Err() != nil || p.building[account] {
		return
	}
	if p.building == nil {
		p.building = make(map[string]bool)
	}
	p.building[account] = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx := p.background
		// Best effort: a failed build leaves the searches on SQL, as
		// they are until it is done.
		_ = a.buildOrder(ctx, account)
		t := time.NewTimer(p.pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		p.mu.Lock()
		delete(p.building, account)
		p.mu.Unlock()
	}()
}

// buildOrder reads account's order in a read transaction, keeps it and
// stores it.
func (a *Archive) buildOrder(ctx context.Context, account string) error {
	tx, err := a.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	gen, err := generation(ctx, tx, account)
	if err != nil {
		return err
	}
	o, err := readOrder(ctx, tx, account, gen)
	if err != nil {
		return err
	}
	tx.Rollback()
	a.orders.keep(account, o)
	a.orders.mu.Lock()
	a.orders.builds++
	a.orders.mu.Unlock()
	return storeOrder(ctx, a.w, account, o)
}
