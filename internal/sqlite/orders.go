package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
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
// bookmarks (180 ms; about 10 µs a page on a virtual machine). Each
// backup run's last transaction stores the order in listing_orders
// (migration 0100), moved on by the bookmarks logged as changed since the
// stored one (see followOrder), so that the next process reads it in 2 to
// 4 ms at 100,000 bookmarks; a process that keeps its order moves it on
// the same way after a change, and `serve` reads it again in the
// background when the log cannot tell (see KeepOrders).

// listOrderFormat is the packing of listing_orders.entries that encode
// writes and decodeOrder reads.
const listOrderFormat = 2

// listOrder is an account's bookmarks in listing order at generation gen
// (and listing_changes seq seq): entry i is the bookmark with id id[i] at
// position position[i], removed when a full backup found it gone. It
// also holds what the search index says of each entry's post
// (search_docs), for the filters: indexed, with media, dated (created at
// created[i], Unix nanoseconds), in language langs[lang[i]]. datesOK is
// false when a post's date was not stored as fmtTime writes it: a date
// filter then cannot be told from the order. It is never changed once
// built: a new generation gets a new one.
type listOrder struct {
	gen, seq int64 // the generation and listing_changes seq read at
	position []int64
	id       []int64
	removed  entrySet

	indexed, media, dated entrySet
	created               []int64
	lang                  []uint16
	langs                 []string
	codes                 map[string]uint16 // langs' codes, while the order is built
	datesOK               bool

	// at finds an entry by its post: dense[statusID] is its index + 1
	// when the account's post ids are dense enough, else sparse holds it.
	dense  []int32
	sparse map[int64]int32
	// status is each entry's post id, kept only in an order built from
	// rows (see statuses).
	status []int64
}

// newListOrder makes an order for n entries of posts whose ids are at
// most top.
func newListOrder(n int, top int64) *listOrder {
	o := &listOrder{
		position: make([]int64, 0, n),
		id:       make([]int64, 0, n),
		removed:  newEntrySet(n),
		indexed:  newEntrySet(n),
		media:    newEntrySet(n),
		dated:    newEntrySet(n),
		created:  make([]int64, 0, n),
		lang:     make([]uint16, 0, n),
		langs:    []string{""},
		codes:    map[string]uint16{"": 0},
		datesOK:  true,
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

// code returns the code of the language lang in o, adding it; ok is
// false past 65,535 languages (the order is then not built).
func (o *listOrder) code(lang string) (uint16, bool) {
	if c, ok := o.codes[lang]; ok {
		return c, true
	}
	if len(o.langs) > math.MaxUint16 {
		return 0, false
	}
	c := uint16(len(o.langs))
	o.langs = append(o.langs, lang)
	o.codes[lang] = c
	return c, true
}

// add appends e, whose language has the code lang in o.
func (o *listOrder) add(e entry, lang uint16) {
	i := len(o.id)
	o.position = append(o.position, e.position)
	o.id = append(o.id, e.id)
	o.created = append(o.created, e.created)
	o.lang = append(o.lang, lang)
	if e.removed {
		o.removed.add(i)
	}
	if e.indexed {
		o.indexed.add(i)
	}
	if e.media {
		o.media.add(i)
	}
	if e.dated {
		o.dated.add(i)
	}
	if e.badDate {
		o.datesOK = false
	}
	if o.dense != nil {
		o.dense[e.status] = int32(i + 1)
	} else {
		o.sparse[e.status] = int32(i)
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

// statuses returns each entry's post id.
func (o *listOrder) statuses() []int64 {
	if o.status != nil {
		return o.status
	}
	st := make([]int64, o.len())
	if o.dense != nil {
		for s, v := range o.dense {
			if v != 0 {
				st[v-1] = int64(s)
			}
		}
	} else {
		for s, i := range o.sparse {
			st[i] = s
		}
	}
	return st
}

// after reports whether entry i is listed after the place c (older):
// (position, id) < (c.position, c.id); before whether it is listed
// before it (newer).
func (o *listOrder) after(i int, c cursor) bool {
	return o.position[i] < c.position || (o.position[i] == c.position && o.id[i] < c.id)
}

// at returns the entry at the place c, if o has one there.
func (o *listOrder) at(c cursor) (int, bool) {
	k := sort.Search(o.len(), func(i int) bool { return !o.before(i, c) })
	return k, k < o.len() && o.position[k] == c.position && o.id[k] == c.id
}

func (o *listOrder) before(i int, c cursor) bool {
	return o.position[i] > c.position || (o.position[i] == c.position && o.id[i] > c.id)
}

// Entry flags, in the low bits of an encoded id difference.
const (
	flagRemoved = 1 << iota
	flagIndexed
	flagMedia
	flagDated
	flagBits = iota
)

// encode packs o: the number of its entries, the highest post id,
// whether its dates can be filtered, its languages (count, then each
// as its length and bytes); then for each entry the differences from the
// entry before of its post id, position and id (the id's shifted left
// flagBits bits, with the entry's flags in the low bits), the difference
// of its date from the last dated entry's when dated, and its language's
// code, as varints. A backup's bookmarks differ from their neighbours by
// small numbers: 7 to 12 bytes a bookmark. ok is false when an id
// differs from the one before by 2^59 or more, which the shift would cut
// (ids SQLite gives never do; an archive another tool wrote may): such
// an order is not stored.
func (o *listOrder) encode() (b []byte, ok bool) {
	status := o.statuses()
	b = make([]byte, 0, 32+10*len(status))
	var top int64
	for _, s := range status {
		top = max(top, s)
	}
	b = binary.AppendUvarint(b, uint64(len(status)))
	b = binary.AppendUvarint(b, uint64(max(top, 0)))
	b = binary.AppendUvarint(b, uint64(boolInt(o.datesOK)))
	b = binary.AppendUvarint(b, uint64(len(o.langs)))
	for _, l := range o.langs {
		b = binary.AppendUvarint(b, uint64(len(l)))
		b = append(b, l...)
	}
	const limit = 1 << (62 - flagBits)
	var ps, pp, pi, pc int64
	for i, s := range status {
		flags := int64(0)
		for _, f := range []struct {
			set entrySet
			bit int64
		}{{o.removed, flagRemoved}, {o.indexed, flagIndexed}, {o.media, flagMedia}, {o.dated, flagDated}} {
			if f.set.has(i) {
				flags |= f.bit
			}
		}
		d := o.id[i] - pi
		if d >= limit || d < -limit || (d > 0) != (o.id[i] > pi) {
			return nil, false
		}
		b = binary.AppendVarint(b, s-ps)
		b = binary.AppendVarint(b, o.position[i]-pp)
		b = binary.AppendVarint(b, d<<flagBits|flags)
		if flags&flagDated != 0 {
			b = binary.AppendVarint(b, o.created[i]-pc)
			pc = o.created[i]
		}
		b = binary.AppendUvarint(b, uint64(o.lang[i]))
		ps, pp, pi = s, o.position[i], o.id[i]
	}
	return b, true
}

// errBadOrder is a stored order that decodeOrder cannot read: it is
// built again.
var errBadOrder = errors.New("listing order not as encode wrote it")

// decodeOrder reads what encode wrote.
func decodeOrder(b []byte) (*listOrder, error) {
	at := 0
	n, ok1 := uvarintAt(b, &at)
	top, ok2 := uvarintAt(b, &at)
	datesOK, ok3 := uvarintAt(b, &at)
	nlangs, ok4 := uvarintAt(b, &at)
	if !ok1 || !ok2 || !ok3 || !ok4 || n > uint64(len(b)) || top > 1<<62 || datesOK > 1 || nlangs == 0 || nlangs > math.MaxUint16+1 {
		return nil, errBadOrder
	}
	o := newListOrder(int(n), int64(top))
	o.datesOK = datesOK == 1
	o.langs = make([]string, nlangs)
	for i := range o.langs {
		size, ok := uvarintAt(b, &at)
		if !ok || size > uint64(len(b)-at) {
			return nil, errBadOrder
		}
		o.langs[i], at = string(b[at:at+int(size)]), at+int(size)
	}
	o.position, o.id, o.created, o.lang = o.position[:n], o.id[:n], o.created[:n], o.lang[:n]
	var ps, pp, pi, pc int64
	for i := range int(n) {
		ds, ok1 := varintAt(b, &at)
		dp, ok2 := varintAt(b, &at)
		di, ok3 := varintAt(b, &at)
		ps, pp, pi = ps+ds, pp+dp, pi+di>>flagBits
		if !ok1 || !ok2 || !ok3 || ps < 0 || ps > int64(top) {
			return nil, errBadOrder
		}
		o.position[i], o.id[i] = pp, pi
		if di&flagRemoved != 0 {
			o.removed.add(i)
		}
		if di&flagIndexed != 0 {
			o.indexed.add(i)
		}
		if di&flagMedia != 0 {
			o.media.add(i)
		}
		if di&flagDated != 0 {
			o.dated.add(i)
			dc, ok := varintAt(b, &at)
			if !ok {
				return nil, errBadOrder
			}
			pc += dc
			o.created[i] = pc
		}
		code, ok := uvarintAt(b, &at)
		if !ok || code >= nlangs {
			return nil, errBadOrder
		}
		o.lang[i] = uint16(code)
		if o.dense != nil {
			o.dense[ps] = int32(i + 1)
		} else {
			o.sparse[ps] = int32(i)
		}
	}
	if at != len(b) {
		return nil, errBadOrder
	}
	o.codes = nil
	return o, nil
}

// uvarintAt reads the unsigned varint at b[*at] and moves *at past it.
func uvarintAt(b []byte, at *int) (uint64, bool) {
	if *at >= len(b) {
		return 0, false
	}
	v, k := binary.Uvarint(b[*at:])
	if k <= 0 {
		return 0, false
	}
	*at += k
	return v, true
}

// varintAt reads the varint at b[*at] and moves *at past it; most of a
// listing order's are one byte.
func varintAt(b []byte, at *int) (int64, bool) {
	if i := *at; i < len(b) && b[i] < 0x80 {
		*at = i + 1
		u := uint64(b[i])
		return int64(u>>1) ^ -int64(u&1), true
	}
	if *at >= len(b) {
		return 0, false
	}
	v, k := binary.Varint(b[*at:])
	if k <= 0 {
		return 0, false
	}
	*at += k
	return v, true
}

// entriesSQL reads the entries of bookmarks b (the caller adds WHERE and
// ORDER BY): status_id, position, id, removed, and what the search index
// says of the post.
const entriesSQL = `SELECT b.status_id, b.position, b.id, b.removed_at IS NOT NULL,
		d.status_id IS NOT NULL, coalesce(d.has_media, 0), coalesce(d.language, ''), d.created_at
	FROM bookmarks b LEFT JOIN search_docs d ON d.status_id = b.status_id`

// readOrder reads account's listing order from its bookmarks in tx, at
// generation gen and seq seq (which the caller read in tx); nil when it
// cannot be built (more than 65,535 languages).
func readOrder(ctx context.Context, tx *sql.Tx, account string, gen, seq int64) (*listOrder, error) {
	orderReads.Add(1)
	rows, err := tx.QueryContext(ctx, entriesSQL+` WHERE b.account = ? ORDER BY b.position DESC, b.id DESC`, account)
	if err != nil {
		return nil, err
	}
	entries, err := scanEntries(rows)
	if err != nil {
		return nil, err
	}
	o := orderOf(entries)
	if o != nil {
		o.gen, o.seq = gen, seq
	}
	return o, nil
}

// orderReads counts the listing orders read from the bookmarks (not
// followed, not decoded), in this process, for the tests.
var orderReads atomic.Int64

// entry is one bookmark of a listing order, with what the search index
// says of its post.
type entry struct {
	status, position, id           int64
	removed, indexed, media, dated bool
	created                        int64 // Unix nanoseconds, when dated
	lang                           string
	// badDate: the post's date is not as fmtTime writes it.
	badDate bool
}

// scanEntries reads rows of entriesSQL and closes them.
func scanEntries(rows *sql.Rows) ([]entry, error) {
	defer rows.Close()
	var es []entry
	for rows.Next() {
		var (
			e       entry
			created sql.NullString
		)
		if err := rows.Scan(&e.status, &e.position, &e.id, &e.removed, &e.indexed, &e.media, &e.lang, &created); err != nil {
			return nil, err
		}
		if created.Valid {
			e.dated, e.created, e.badDate = true, 0, true
			// The order keeps Unix nanoseconds, which compare as the
			// stored text does only when it is fmtTime's own (and in
			// the years 1678 to 2262).
			if t, err := time.Parse(timeLayout, created.String); err == nil && fmtTime(t) == created.String &&
				t.Year() > 1678 && t.Year() < 2262 {
				e.created, e.badDate = t.UnixNano(), false
			}
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// orderOf makes the order of entries, which are in listing order; nil
// when it cannot (see readOrder).
func orderOf(entries []entry) *listOrder {
	var top int64
	status := make([]int64, len(entries))
	for i, e := range entries {
		top = max(top, e.status)
		if e.status < 0 {
			top = math.MaxInt64 // not a rowid SQLite gives: a map holds it
		}
		status[i] = e.status
	}
	o := newListOrder(len(entries), top)
	for _, e := range entries {
		c, ok := o.code(e.lang)
		if !ok {
			return nil
		}
		o.add(e, c)
	}
	o.status, o.codes = status, nil
	return o
}

// changedPlaces returns the places (position, id) of account's
// bookmarks that listing_changes logged after seq from up to seq to:
// nil when there are more than most (an empty list when there are
// none).
func changedPlaces(ctx context.Context, tx *sql.Tx, account string, from, to int64, most int) ([]cursor, error) {
	rows, err := tx.QueryContext(ctx, `SELECT position, id FROM listing_changes WHERE account = ? AND seq > ? AND seq <= ? LIMIT ?`,
		account, from, to, most+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	places := []cursor{}
	for rows.Next() {
		var c cursor
		if err := rows.Scan(&c.position, &c.id); err != nil {
			return nil, err
		}
		places = append(places, c)
	}
	if err := rows.Err(); err != nil || len(places) > most {
		return nil, err
	}
	return places, nil
}

// maxOrderFollowed is how many rows of listing_changes a listing order
// follows (see followOrder); past it (a full backup run) it is read again
// from the bookmarks.
const maxOrderFollowed = 2048

// followOrder returns o moved on to generation gen and seq seq (read in
// tx) by the bookmarks of account that listing_changes logged after
// o.seq: those are read again and merged with the others, which did not
// move. A backup run that finds a few new bookmarks logs a few hundred
// rows, and following them costs a few milliseconds at 100,000
// bookmarks where reading the whole order again costs 100 to 300. nil
// when the log cannot tell (pruned past o.seq, or more than
// maxOrderFollowed rows).
func followOrder(ctx context.Context, tx *sql.Tx, account string, o *listOrder, gen, seq, floor int64) (*listOrder, error) {
	if o.seq < floor || o.seq > seq {
		return nil, nil
	}
	places, err := changedPlaces(ctx, tx, account, o.seq, seq, maxOrderFollowed)
	if places == nil || err != nil {
		return nil, err
	}
	// The entries of o at a logged place leave; the logged bookmarks
	// come back as they are now.
	var drop []int
	ids := make([]any, 0, len(places)+1)
	ids = append(ids, account)
	seen := make(map[int64]bool, len(places))
	for _, c := range places {
		if k, ok := o.at(c); ok {
			drop = append(drop, k)
		}
		if !seen[c.id] {
			seen[c.id] = true
			ids = append(ids, c.id)
		}
	}
	slices.Sort(drop)
	drop = slices.Compact(drop)
	var now []entry
	if len(ids) > 1 {
		rows, err := tx.QueryContext(ctx, entriesSQL+` WHERE b.account = ? AND b.id IN (?`+repeatString(",?", len(ids)-2)+`)
			ORDER BY b.position DESC, b.id DESC`, ids...)
		if err != nil {
			return nil, err
		}
		if now, err = scanEntries(rows); err != nil {
			return nil, err
		}
	}
	return o.merged(drop, now, gen, seq), nil
}

// merged returns o without its entries drop (sorted indexes) and with
// the entries now (in listing order), at generation gen and seq seq, the
// runs of o's entries between two changes copied whole: about 2 ms at
// 100,000 bookmarks (BenchmarkFollowOrder; 4 entry by entry); nil when
// the languages outgrow their codes.
func (o *listOrder) merged(drop []int, now []entry, gen, seq int64) *listOrder {
	status := o.statuses()
	top := int64(len(o.dense) - 1)
	if o.dense == nil {
		top = math.MaxInt64
	}
	for _, e := range now {
		if e.status < 0 || e.status > top {
			top = max(top, e.status)
			if e.status < 0 {
				top = math.MaxInt64
			}
		}
	}
	n := newListOrder(o.len()-len(drop)+len(now), top)
	n.gen, n.seq = gen, seq
	// o's languages keep their codes: its entries are added as they are.
	n.langs = slices.Clone(o.langs)
	n.codes = make(map[string]uint16, len(n.langs))
	for c, l := range n.langs {
		n.codes[l] = uint16(c)
	}
	if !o.datesOK {
		n.datesOK = false
	}
	n.status = make([]int64, 0, o.len()-len(drop)+len(now))
	addNew := func(e entry) bool {
		c, ok := n.code(e.lang)
		if ok {
			n.add(e, c)
			n.status = append(n.status, e.status)
		}
		return ok
	}
	// Runs of o's entries between two changes are copied whole.
	i, j := 0, 0
	for i < o.len() {
		if len(drop) > 0 && drop[0] == i {
			drop, i = drop[1:], i+1
			continue
		}
		for ; j < len(now) && (now[j].position > o.position[i] || (now[j].position == o.position[i] && now[j].id > o.id[i])); j++ {
			if !addNew(now[j]) {
				return nil
			}
		}
		end := o.len()
		if len(drop) > 0 {
			end = drop[0]
		}
		if j < len(now) {
			// Up to the first entry of o that the next new one goes
			// before (o's entry i goes before it).
			c, from := cursor{position: now[j].position, id: now[j].id}, i
			end = from + sort.Search(end-from, func(k int) bool { return !o.before(from+k, c) })
		}
		n.copyRun(o, i, end, status)
		i = end
	}
	for _, e := range now[j:] {
		if !addNew(e) {
			return nil
		}
	}
	n.codes = nil
	return n
}

// copyRun appends o's entries a to b (their post ids in status), whose
// language codes n shares.
func (n *listOrder) copyRun(o *listOrder, a, b int, status []int64) {
	k := len(n.id)
	n.position = append(n.position, o.position[a:b]...)
	n.id = append(n.id, o.id[a:b]...)
	n.created = append(n.created, o.created[a:b]...)
	n.lang = append(n.lang, o.lang[a:b]...)
	n.status = append(n.status, status[a:b]...)
	n.removed.copyBits(k, o.removed, a, b-a)
	n.indexed.copyBits(k, o.indexed, a, b-a)
	n.media.copyBits(k, o.media, a, b-a)
	n.dated.copyBits(k, o.dated, a, b-a)
	for x, st := range status[a:b] {
		if n.dense != nil {
			n.dense[st] = int32(k + x + 1)
		} else {
			n.sparse[st] = int32(k + x)
		}
	}
}

// storeOrder writes o as account's stored listing order, unless one of a
// later generation is stored already. An order that could not be built
// (nil) or cannot be stored deletes the one stored, which must not
// answer instead.
func storeOrder(ctx context.Context, tx *sql.Tx, account string, o *listOrder) error {
	var (
		packed []byte
		ok     bool
	)
	if o != nil {
		packed, ok = o.encode()
	}
	if !ok {
		_, err := tx.ExecContext(ctx, `DELETE FROM listing_orders WHERE account = ?`, account)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO listing_orders (account, generation, seq, format, entries) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET generation = excluded.generation, seq = excluded.seq, format = excluded.format,
			entries = excluded.entries
		WHERE excluded.generation >= listing_orders.generation`,
		account, o.gen, o.seq, listOrderFormat, packed)
	return err
}

// storeListingOrder stores account's listing order as tx, a write
// transaction, leaves it, for the next process that searches (see
// listOrder): the one this process keeps or the stored one, moved on by
// the changes logged since (see followOrder), or, past those the log can
// tell, read again from the bookmarks (100 to 500 ms at 100,000). A
// backup calls it once per run, at the end. It returns the order stored,
// for the caller to keep once tx is committed (nil: none changed).
func (a *Archive) storeListingOrder(ctx context.Context, tx *sql.Tx, account string) (*listOrder, error) {
	gen, err := generation(ctx, tx, account)
	if err != nil {
		return nil, err
	}
	seq, _, err := changeMark(ctx, tx)
	if err != nil {
		return nil, err
	}
	var storedGen int64 = -1
	if err := tx.QueryRowContext(ctx, `SELECT generation FROM listing_orders WHERE account = ? AND format = ?`,
		account, listOrderFormat).Scan(&storedGen); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if storedGen == gen {
		return nil, nil
	}
	// The order this process keeps (a backup run by serve's page) saves
	// reading the stored one.
	o, err := a.movedOn(ctx, tx, account, gen)
	if err != nil {
		return nil, err
	}
	if o == nil {
		if o, err = readOrder(ctx, tx, account, gen, seq); err != nil {
			return nil, err
		}
	}
	return o, storeOrder(ctx, tx, account, o)
}

// loadOrder reads account's stored listing order, nil when none is
// stored or it cannot be read (then it is read again from the bookmarks).
func loadOrder(ctx context.Context, tx *sql.Tx, account string) (*listOrder, error) {
	var (
		gen, seq int64
		format   int
		packed   []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT generation, seq, format, entries FROM listing_orders WHERE account = ?`, account).
		Scan(&gen, &seq, &format, &packed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && format != listOrderFormat) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := decodeOrder(packed)
	if err != nil {
		return nil, nil
	}
	o.gen, o.seq = gen, seq
	return o, nil
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
	// wait waits the pause between two looks at an account's
	// generation before a build (see buildOrderLater); false when ctx
	// ended first.
	wait func(ctx context.Context) bool
	// builds counts the orders built from the bookmarks (not read from
	// listing_orders), for the tests.
	builds int
}

// orderFor returns account's listing order as of tx: the kept one, moved
// on by the changes logged since it was read when the generation moved
// (see followOrder), else the stored one, likewise, else nil (and, when
// the archive keeps orders, a build starts in the background for the
// next search).
func (a *Archive) orderFor(ctx context.Context, tx *sql.Tx, account string) (*listOrder, error) {
	if a.noOrders {
		return nil, nil
	}
	gen, err := generation(ctx, tx, account)
	if err != nil {
		return nil, fmt.Errorf("read listing generation: %w", err)
	}
	o, err := a.movedOn(ctx, tx, account, gen)
	if err != nil {
		return nil, fmt.Errorf("read listing order: %w", err)
	}
	if o != nil {
		a.orders.keep(account, o)
		return o, nil
	}
	a.buildOrderLater(account)
	return nil, nil
}

// movedOn returns account's order at generation gen (read in tx): the
// one this process keeps, else the stored one, either moved on by the
// changes logged since it was read (see followOrder); nil when neither
// is at hand or the log cannot tell.
func (a *Archive) movedOn(ctx context.Context, tx *sql.Tx, account string, gen int64) (*listOrder, error) {
	a.orders.mu.Lock()
	kept := a.orders.kept[account]
	a.orders.mu.Unlock()
	if kept != nil && kept.gen == gen {
		return kept, nil
	}
	seq, floor, err := changeMark(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, from := range []func() (*listOrder, error){
		func() (*listOrder, error) { return kept, nil },
		func() (*listOrder, error) { return loadOrder(ctx, tx, account) },
	} {
		o, err := from()
		if o != nil && err == nil && o.gen != gen {
			o, err = followOrder(ctx, tx, account, o, gen, seq, floor)
		}
		if o != nil || err != nil {
			return o, err
		}
	}
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
// it reads the stored ones, and reads from the bookmarks now those
// missing or behind further than the log of changes can tell (a run
// still going, an import, a sync or an archive from before this version
// leave them behind; 130 to 500 ms at 100,000 bookmarks), and from then
// on reads one again in the background when a search finds it so far
// behind, the searches meanwhile using SQL. What it reads is kept in
// memory, not stored (the next backup run stores it). Close stops the
// builds.
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
	}
	if p.wait == nil {
		p.wait = func(ctx context.Context) bool {
			t := time.NewTimer(2 * time.Second)
			defer t.Stop()
			select {
			case <-t.C:
				return true
			case <-ctx.Done():
				return false
			}
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
	wait := p.wait
	go func() {
		defer p.wg.Done()
		defer func() {
			p.mu.Lock()
			delete(p.building, account)
			p.mu.Unlock()
		}()
		// Not while the bookmarks keep moving (a full backup in another
		// process moves the generation with each page, and stores the
		// order itself at its end): read only once the generation held
		// still for a pause (2 s). Best effort: a failed read leaves the
		// searches on SQL, as they are until it is done.
		ctx := p.background
		last, err := a.generationNow(ctx, account)
		for err == nil && wait(ctx) {
			var now int64
			if now, err = a.generationNow(ctx, account); err == nil && now == last {
				_ = a.readyOrder(ctx, account)
				return
			}
			last = now
		}
	}()
}

// generationNow reads account's listing generation.
func (a *Archive) generationNow(ctx context.Context, account string) (int64, error) {
	tx, err := a.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	return generation(ctx, tx, account)
}

// buildOrder reads account's order in a read transaction and keeps it.
// It is not stored: a process that searches must not wait on a backup's
// write lock for what the backup stores itself at its end.
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
	seq, _, err := changeMark(ctx, tx)
	if err != nil {
		return err
	}
	o, err := readOrder(ctx, tx, account, gen, seq)
	if o == nil || err != nil {
		return err
	}
	a.orders.keep(account, o)
	a.orders.mu.Lock()
	a.orders.builds++
	a.orders.mu.Unlock()
	return nil
}
