package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	mbits "math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// A search that a listing order can answer (see listOrder) reads only
// post ids from the index: the rowids of its text's matches in
// search_fts, the keys of its tags in tag_posts, its author's posts from
// search_docs' index. Each is a run of one B-tree or one doclist (25,000
// matches of a common word in about 3 ms). The order then says which of
// them the account bookmarked and where each is listed, and the search
// keeps, counts, sorts and cuts them in memory: every page of it costs
// the same, the first page of a hashtag or page 800 of a common word, in
// a process that kept nothing as in one that did.

// ordered reports whether a listing order can answer q: any search but
// the timeline (no text, no filter), which keeps its own anchors. (A
// date filter also needs dates the order can compare: see
// listOrder.datesOK.)
func ordered(q fedimarks.Query) bool { return q.String() != "" }

// maxKeptMatches is how many searches' matches an Archive keeps (about
// 100 KB for a word in 25,000 posts).
const maxKeptMatches = 16

// keptMatches keeps the matches of the last searches answered from a
// listing order, each with the order and the last listing_changes seq it
// was read at. The zero value is ready; it is safe for concurrent use.
type keptMatches struct {
	mu    sync.Mutex
	m     map[string]keptMatch
	order []string // keys, oldest first
}

type keptMatch struct {
	m   *orderedMatches
	seq int64
}

// get returns the matches kept under key if they were read from order o
// at seq.
func (k *keptMatches) get(key string, o *listOrder, seq int64) *orderedMatches {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.m[key]; ok && c.m.o == o && c.seq == seq {
		return c.m
	}
	return nil
}

// last returns what is kept under key, of whatever order and seq.
func (k *keptMatches) last(key string) (keptMatch, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := k.m[key]
	return c, ok
}

// keep keeps m under key, dropping the oldest past maxKeptMatches.
func (k *keptMatches) keep(key string, m *orderedMatches, seq int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = make(map[string]keptMatch)
	}
	if _, ok := k.m[key]; !ok {
		k.order = append(k.order, key)
	}
	k.m[key] = keptMatch{m: m, seq: seq}
	for len(k.order) > maxKeptMatches {
		delete(k.m, k.order[0])
		k.order = k.order[1:]
	}
}

// followMatches returns the matches c kept of q (by date), moved on to
// order o and seq seq by the bookmarks logged as changed since c.seq: the
// others' matches stand, each at its place in o, and each changed one is
// asked again, in SQL, as the search without orders asks (one lookup per
// bookmark). After a backup run that found a few bookmarks, a common
// word's page then costs no read of its 25,000 matches in the index,
// whose pages the run's writes took out of the cache (5 ms). nil when the
// log cannot tell (pruned past c.seq, or more than maxFollowed rows).
func (a *Archive) followMatches(ctx context.Context, tx *sql.Tx, q fedimarks.Query, c keptMatch, o *listOrder, seq int64) (*orderedMatches, error) {
	_, floor, err := changeMark(ctx, tx)
	if err != nil || c.seq < floor || c.seq > seq {
		return nil, err
	}
	places, err := changedPlaces(ctx, tx, string(q.Account), c.seq, seq, maxFollowed)
	if places == nil || err != nil {
		return nil, err
	}
	old := c.m.o
	changed := newEntrySet(old.len())
	var (
		asked     []any // the changed bookmarks' posts, as they are in o
		newStatus []int64
	)
	for _, p := range places {
		if i, ok := old.at(p); ok {
			changed.add(i)
		}
		if i, ok := o.at(p); ok {
			if newStatus == nil {
				newStatus = o.statuses()
			}
			asked = append(asked, newStatus[i])
		}
	}
	oldStatus := old.statuses()
	m := &orderedMatches{o: o, at: make([]int32, 0, len(c.m.at)+len(asked))}
	for _, i := range c.m.at {
		if changed.has(int(i)) {
			continue
		}
		if k, ok := o.index(oldStatus[i]); ok {
			m.at = append(m.at, int32(k))
		}
	}
	if len(asked) > 0 {
		notes, err := a.notesMatch(ctx, q)
		if err != nil || notes {
			return nil, err // a note's match is asked of every bookmark: read them all
		}
		from, where, args, ok := searchSQL(q, matchGiven, false)
		if ok {
			err = eachID(ctx, tx, func(id int64) {
				if k, ok := o.index(id); ok {
					m.at = append(m.at, int32(k))
				}
			}, `SELECT group_concat(b.status_id) FROM `+from+` WHERE `+where+` AND b.status_id IN (?`+repeatString(",?", len(asked)-1)+`)`,
				append(args, asked...)...)
			if err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(m.at)
	m.at = slices.Compact(m.at)
	return m, nil
}

// orderedMatches are a search's matches as entries of a listing order,
// in the listing's order: by date (the order's), or ranked (score, then
// by date).
type orderedMatches struct {
	o     *listOrder
	at    []int32
	score []float64 // ranked: the score of each of at; nil by date
}

// entrySet is a set of a listing order's entries.
type entrySet []uint64

func newEntrySet(n int) entrySet  { return make(entrySet, (n+63)/64) }
func (s entrySet) add(i int)      { s[i/64] |= 1 << (i % 64) }
func (s entrySet) remove(i int)   { s[i/64] &^= 1 << (i % 64) }
func (s entrySet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s entrySet) keepOnly(t entrySet) {
	for i := range s {
		s[i] &= t[i]
	}
}

// copyBits sets in s the n entries of t from from on, as entries at on:
// s holds none of them yet.
func (s entrySet) copyBits(at int, t entrySet, from, n int) {
	for n > 0 {
		k := min(n, 64)
		w := t.word(from)
		if k < 64 {
			w &= 1<<k - 1
		}
		q, r := at/64, uint(at%64)
		s[q] |= w << r
		if r != 0 && k > 64-int(r) {
			s[q+1] |= w >> (64 - r)
		}
		at, from, n = at+k, from+k, n-k
	}
}

// word returns the 64 entries of s from i on as bits (those past its
// end clear).
func (s entrySet) word(i int) uint64 {
	q, r := i/64, uint(i%64)
	w := s[q] >> r
	if r != 0 && q+1 < len(s) {
		w |= s[q+1] << (64 - r)
	}
	return w
}

// list returns the entries of s in ascending order.
func (s entrySet) list() []int32 {
	n := 0
	for _, w := range s {
		n += mbits.OnesCount64(w)
	}
	out := make([]int32, 0, n)
	for i, w := range s {
		for w != 0 {
			out = append(out, int32(i*64+mbits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
	return out
}

// searchOrdered returns q's matches from account's listing order as of
// tx; ok is false when the order is not at hand (the caller searches in
// SQL). ranked scores them by relevance (q must have text).
func (a *Archive) searchOrdered(ctx context.Context, tx *sql.Tx, q fedimarks.Query, ranked bool) (m *orderedMatches, ok bool, err error) {
	o, err := a.orderFor(ctx, tx, string(q.Account))
	if o == nil || err != nil {
		return nil, false, err
	}
	// The matches of the last searches are kept while nothing that
	// can change them was logged (listing_changes: an index entry, a
	// tag, a note, a bookmark) and the order is the same: a page
	// counts its search, then lists it, and its neighbours list it
	// again.
	seq, _, err := changeMark(ctx, tx)
	if err != nil {
		return nil, false, err
	}
	// Each field apart and quoted: q.String() is the same for a text
	// "golang tag:x" and a text "golang" with the tag x.
	key := fmt.Sprintf("%s\x00%q\x00%q\x00%q\x00%q\x00%v\x00%v\x00%v\x00%v\x00%s\x00%s\x00%q", q.Account, q.Text, q.From,
		q.Tags, q.NotTags, q.HasNote, q.IncludeRemoved, ranked, q.HasMedia,
		q.Before.UTC().Format(time.RFC3339Nano), q.After.UTC().Format(time.RFC3339Nano), q.Lang)
	if m := a.matches.get(key, o, seq); m != nil {
		return m, true, nil
	}
	defer func() {
		if ok && err == nil {
			a.matches.keep(key, m, seq)
		}
	}()
	if c, kept := a.matches.last(key); kept && !ranked {
		if m, err = a.followMatches(ctx, tx, q, c, o, seq); m != nil || err != nil {
			return m, err == nil, err
		}
	}
	m = &orderedMatches{o: o}
	if len(q.Terms()) == 0 && len(q.Excluded()) == 0 && strings.TrimSpace(q.Text) != "" {
		return m, true, nil // only punctuation: nothing matches (as searchSQL says)
	}
	keep, byEntry, err := a.textMatches(ctx, tx, q, o, ranked)
	if err != nil {
		return nil, false, err
	}
	if !o.datesOK && (!q.Before.IsZero() || !q.After.IsZero()) {
		return nil, false, nil
	}
	if err := a.filterOrdered(ctx, tx, q, o, keep); err != nil {
		return nil, false, err
	}
	m.at = keep.list()
	if byEntry != nil {
		m.rank(byEntry)
	}
	return m, true, nil
}

// textMatches returns the entries of o that q's text matches in the post
// or in the bookmark's note (all of them but those its excluded words
// match, when it has only those),
// removed ones only if q includes them; ranked, with the score of each
// entry.
func (a *Archive) textMatches(ctx context.Context, tx *sql.Tx, q fedimarks.Query, o *listOrder, ranked bool) (keep entrySet, score []float64, err error) {
	keep = newEntrySet(o.len())
	// add keeps the entry of post id, if the account bookmarked it and
	// the search lists it.
	add := func(id int64) int {
		i, ok := o.index(id)
		if !ok || (o.removed.has(i) && !q.IncludeRemoved) {
			return -1
		}
		keep.add(i)
		return i
	}
	terms, excluded := q.Terms(), q.Excluded()
	switch {
	case len(terms) > 0 && ranked:
		score = make([]float64, o.len())
		err = eachScored(ctx, tx, matchExpr(terms, excluded), func(id int64, s float64) {
			if i := add(id); i >= 0 {
				score[i] = s
			}
		})
	case len(terms) > 0:
		err = eachID(ctx, tx, func(id int64) { add(id) },
			`SELECT group_concat(rowid) FROM search_fts WHERE search_fts MATCH ?`, matchExpr(terms, excluded))
	default:
		for i := range o.len() {
			if !o.removed.has(i) || q.IncludeRemoved {
				keep.add(i)
			}
		}
		if len(excluded) > 0 {
			err = a.dropIDs(ctx, tx, o, keep, `SELECT group_concat(rowid) FROM search_fts WHERE search_fts MATCH ?`, matchExpr(nil, excluded))
		}
	}
	if err == nil && len(terms) > 0 {
		// A bookmark whose note the text matches matches too, ranked
		// after every match of a post (score 0; bm25's are below 0),
		// as searchSQL's noteScore ranks it.
		err = eachID(ctx, tx, func(id int64) { add(id) }, `SELECT group_concat(s.id) FROM notes_fts
			JOIN bookmark_notes n ON n.id = notes_fts.rowid JOIN statuses s ON s.uri = n.uri
			WHERE notes_fts MATCH ? AND n.account = ?`, matchExpr(terms, excluded), string(q.Account))
	}
	return keep, score, err
}

// rank sorts m's matches by byEntry, the score of each entry of the
// order (lower first; ties stay newest first: the list is by date), and
// keeps the scores of the matches only.
func (m *orderedMatches) rank(byEntry []float64) {
	slices.SortStableFunc(m.at, func(x, y int32) int {
		switch sx, sy := byEntry[x], byEntry[y]; {
		case sx < sy:
			return -1
		case sx > sy:
			return 1
		}
		return 0
	})
	m.score = make([]float64, len(m.at))
	for k, i := range m.at {
		m.score[k] = byEntry[i]
	}
}

// filterOrdered keeps in keep only the entries that carry every tag of
// q, none of its excluded tags, a note if it asks for one, and its
// author.
func (a *Archive) filterOrdered(ctx context.Context, tx *sql.Tx, q fedimarks.Query, o *listOrder, keep entrySet) error {
	account := string(q.Account)
	only := func(query string, args ...any) error {
		t := newEntrySet(o.len())
		if err := eachID(ctx, tx, func(id int64) {
			if i, ok := o.index(id); ok {
				t.add(i)
			}
		}, query, args...); err != nil {
			return err
		}
		keep.keepOnly(t)
		return nil
	}
	const tagged = `SELECT group_concat(status_id) FROM tag_posts WHERE account = ? AND tag = ?`
	for _, t := range q.Tags {
		if err := only(tagged, account, t); err != nil {
			return err
		}
	}
	for _, t := range q.NotTags {
		if err := a.dropIDs(ctx, tx, o, keep, tagged, account, t); err != nil {
			return err
		}
	}
	if q.HasNote {
		if err := only(`SELECT group_concat(s.id) FROM bookmark_notes n JOIN statuses s ON s.uri = n.uri WHERE n.account = ?`, account); err != nil {
			return err
		}
	}
	if q.HasMedia {
		keep.keepOnly(o.media)
	}
	if !q.Before.IsZero() || !q.After.IsZero() || q.Lang != "" {
		keepPosts(q, o, keep)
	}
	if from := strings.ToLower(strings.TrimPrefix(q.From, "@")); from != "" {
		column := "author_user"
		if strings.Contains(from, "@") {
			column = "author"
		}
		if err := only(`SELECT group_concat(status_id) FROM search_docs WHERE `+column+` = ?`, from); err != nil {
			return err
		}
	}
	return nil
}

// keepPosts keeps in keep only the entries whose posts were written in
// q's dates and language, as searchSQL tests them on search_docs: dated
// before q.Before and at or after q.After (the stored text compares as
// the time does, see listOrder.datesOK), in q.Lang or one of its regional
// variants ("en" keeps "en-gb").
func keepPosts(q fedimarks.Query, o *listOrder, keep entrySet) {
	before, after := int64(math.MaxInt64), int64(math.MinInt64)
	if !q.Before.IsZero() {
		before = nanos(q.Before)
	}
	if !q.After.IsZero() {
		after = nanos(q.After)
	}
	var langs []bool // by code: the language is q's
	if lang := strings.ToLower(q.Lang); lang != "" {
		langs = make([]bool, len(o.langs))
		for c, l := range o.langs {
			langs[c] = l == lang || strings.HasPrefix(l, lang+"-")
		}
	}
	dates := !q.Before.IsZero() || !q.After.IsZero()
	for w, bits := range keep {
		for bits != 0 {
			i := w*64 + mbits.TrailingZeros64(bits)
			bits &= bits - 1
			ok := o.indexed.has(i)
			if dates {
				ok = ok && o.dated.has(i) && o.created[i] < before && o.created[i] >= after
			}
			if langs != nil {
				ok = ok && langs[o.lang[i]]
			}
			if !ok {
				keep.remove(i)
			}
		}
	}
}

// nanos is t in Unix nanoseconds, held to the years an order's dates
// can be in (1678 to 2262: see scanEntries), which compares the same.
func nanos(t time.Time) int64 {
	switch {
	case t.Year() < 1679:
		return math.MinInt64
	case t.Year() > 2261:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// dropIDs takes the entries of the post ids query lists out of keep.
func (a *Archive) dropIDs(ctx context.Context, tx *sql.Tx, o *listOrder, keep entrySet, query string, args ...any) error {
	return eachID(ctx, tx, func(id int64) {
		if i, ok := o.index(id); ok {
			keep.remove(i)
		}
	}, query, args...)
}

// eachID calls fn with each id of the comma-separated list that query
// (one row, one column: a group_concat of ids, NULL for none) returns.
// One value crosses from SQLite to Go instead of a row per id: a third of
// the cost for 25,000 ids.
func eachID(ctx context.Context, tx *sql.Tx, fn func(int64), query string, args ...any) error {
	var list sql.NullString
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&list); err != nil {
		return err
	}
	for s := list.String; s != ""; {
		part := s
		if k := strings.IndexByte(s, ','); k >= 0 {
			part, s = s[:k], s[k+1:]
		} else {
			s = ""
		}
		id, ok := smallID(part)
		if !ok {
			var err error
			if id, err = strconv.ParseInt(part, 10, 64); err != nil {
				return fmt.Errorf("read a list of ids: %w", err)
			}
		}
		fn(id)
	}
	return nil
}

// smallID reads s when it is 1 to 18 decimal digits (what group_concat
// writes of a rowid below 10^18), where ParseInt's generality costs as
// much as the rest of reading the list.
func smallID(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	return n, true
}

// eachScored calls fn with each post matching the FTS5 expression match
// and its relevance score (bm25Score).
func eachScored(ctx context.Context, tx *sql.Tx, match string, fn func(id int64, score float64)) error {
	rows, err := tx.QueryContext(ctx, `SELECT rowid, `+bm25Score+` FROM search_fts WHERE search_fts MATCH ?`, match)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id    int64
			score float64
		)
		if err := rows.Scan(&id, &score); err != nil {
			return err
		}
		fn(id, score)
	}
	return rows.Err()
}

// page returns the range of m.at that q asks for: from its cursor (a
// listing by date) or its offset, at most its limit. A cursor going
// newer gives the limit nearest before its place (listed newest first
// all the same).
func (m *orderedMatches) page(q fedimarks.Query, byDate bool) (lo, hi int, err error) {
	limit, offset := limitOffset(q.Limit, q.Offset)
	at, o := m.at, m.o
	lo, hi = 0, len(at)
	if byDate && q.Cursor != "" {
		c, err := parseCursor(q.Cursor)
		if err != nil {
			return 0, 0, err
		}
		if c.newer {
			hi = sort.Search(len(at), func(k int) bool { return !o.before(int(at[k]), c) })
			if limit >= 0 {
				lo = max(0, hi-limit)
			}
			return lo, hi, nil
		}
		lo, offset = sort.Search(len(at), func(k int) bool { return o.after(int(at[k]), c) }), 0
	}
	lo = min(lo+offset, hi)
	if limit >= 0 {
		hi = min(hi, lo+limit)
	}
	return lo, hi, nil
}

// eachOrdered is EachHit from a listing order, in tx: done is false when
// none is at hand (the caller searches in SQL).
func (a *Archive) eachOrdered(ctx context.Context, tx *sql.Tx, q fedimarks.Query, byDate bool, fn func(fedimarks.Hit) error) (done bool, err error) {
	m, ok, err := a.searchOrdered(ctx, tx, q, !byDate)
	if err != nil {
		return true, fmt.Errorf("search bookmarks of %s: %w", q.Account, err)
	}
	if !ok {
		return false, nil
	}
	var match any
	if len(q.Terms()) > 0 {
		match = matchExpr(q.Terms(), q.Excluded())
	}
	return true, emitOrdered(ctx, tx, q, m, match, byDate, fn)
}

// emitOrdered calls fn with each hit of q's page of the matches m (see
// EachHit), reading them a batch at a time.
func emitOrdered(ctx context.Context, tx *sql.Tx, q fedimarks.Query, m *orderedMatches, match any, byDate bool, fn func(fedimarks.Hit) error) error {
	lo, hi, err := m.page(q, byDate)
	if err != nil {
		return err
	}
	e := newHitEmitter(ctx, tx, q.Account, match, byDate, fn)
	for k := lo; k < hi; k++ {
		i := m.at[k]
		r := ranked{bookmark: m.o.id[i], position: m.o.position[i]}
		if m.score != nil {
			r.score = m.score[k]
		}
		if err := e.add(r); err != nil {
			return err
		}
	}
	return e.flush()
}

// SearchTotal returns how many bookmarks match q when a listing order
// answers it (see listOrder): the count then costs what a page costs, and
// a page of 25,000 matches can say so and number its pages. known is
// false when only counting every match in SQL would tell (the caller
// keeps its "more than").
func (a *Archive) SearchTotal(ctx context.Context, q fedimarks.Query) (n int, known bool, err error) {
	if q.Account == "" {
		return 0, false, fedimarks.Errorf(fedimarks.EInvalid, "search: no account given")
	}
	if _, err := a.IndexSearch(ctx); err != nil {
		return 0, false, err
	}
	if !ordered(q) {
		return 0, false, nil
	}
	tx, err := a.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, false, fmt.Errorf("count search of %s: %w", q.Account, err)
	}
	defer tx.Rollback()
	m, ok, err := a.searchOrdered(ctx, tx, q, false)
	if err != nil {
		return 0, false, fmt.Errorf("count search of %s: %w", q.Account, err)
	}
	if !ok {
		return 0, false, nil
	}
	return len(m.at), true, nil
}
