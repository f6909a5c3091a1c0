package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

// indexBatch is how many statuses IndexSearch indexes per transaction, so
// that a large backfill never holds the write lock for long.
const indexBatch = 500

// snippetRunes is how long a snippet is when the query has no text.
const snippetRunes = 200

// markStripper removes the highlight marks from text before it is indexed,
// so that the only marks in a snippet are those SQLite put there.
var markStripper = strings.NewReplacer(fedimarks.HighlightStart, " ", fedimarks.HighlightEnd, " ")

// IndexSearch indexes the statuses queued in search_pending, in batches
// of their own transactions, and returns how many it indexed. SavePage
// indexes what it writes as it writes it, so the queue holds only what a
// migration asked to index again (after an upgrade, every status once).
// Search and SearchCount call it first, so callers need it only to pay
// that cost up front.
func (a *Archive) IndexSearch(ctx context.Context) (int, error) {
	var pending bool
	if err := a.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM search_pending)`).Scan(&pending); err != nil {
		return 0, fmt.Errorf("index search: %w", err)
	}
	total := 0
	for pending {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("index search: %w", err)
		}
		var n int
		err := a.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = indexPending(ctx, tx, indexBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("index search: %w", err)
		}
		total += n
		pending = n == indexBatch
	}
	return total, nil
}

// indexDoc is one status as the indexer reads it.
type indexDoc struct {
	id                                             int64
	raw, plain, spoiler, host, acct, who, lang, at sql.NullString
}

// indexPending indexes up to limit queued statuses and unqueues them,
// returning how many queue entries it handled.
func indexPending(ctx context.Context, tx *sql.Tx, limit int) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.status_id, s.raw, s.plain_text, s.spoiler_text, s.host, s.author_acct, s.author_name,
			s.language, s.created_at
		FROM search_pending p LEFT JOIN statuses s ON s.id = p.status_id
		ORDER BY p.status_id LIMIT ?`, limit)
	if err != nil {
		return 0, err
	}
	var docs []indexDoc
	for rows.Next() {
		var d indexDoc
		if err := rows.Scan(&d.id, &d.raw, &d.plain, &d.spoiler, &d.host, &d.acct, &d.who, &d.lang, &d.at); err != nil {
			rows.Close()
			return 0, err
		}
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	ix, err := prepareIndexer(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer ix.close()
	for _, d := range docs {
		if d.raw.Valid { // else the status is gone: only unqueue it
			err = ix.put(ctx, d.id, entryFor(d), d.lang.String, d.at, true)
		} else {
			err = ix.remove(ctx, d.id)
		}
		if err != nil {
			return 0, err
		}
		if _, err := ix.unqueue.ExecContext(ctx, d.id); err != nil {
			return 0, err
		}
	}
	return len(docs), nil
}

// indexer writes index entries in one transaction.
type indexer struct {
	delFTS, insFTS, putDoc, delDoc, unqueue *sql.Stmt
}

func prepareIndexer(ctx context.Context, tx *sql.Tx) (*indexer, error) {
	var (
		ix  indexer
		err error
	)
	prep := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = tx.PrepareContext(ctx, q)
		}
	}
	prep(&ix.delFTS, `DELETE FROM search_fts WHERE rowid = ?`)
	prep(&ix.insFTS, `INSERT INTO search_fts (rowid, body, spoiler, author, links) VALUES (?, ?, ?, ?, ?)`)
	prep(&ix.putDoc, `INSERT OR REPLACE INTO search_docs (status_id, author, author_user, has_media, language, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`)
	prep(&ix.delDoc, `DELETE FROM search_docs WHERE status_id = ?`)
	prep(&ix.unqueue, `DELETE FROM search_pending WHERE status_id = ?`)
	if err != nil {
		ix.close()
		return nil, err
	}
	return &ix, nil
}

func (ix *indexer) close() {
	for _, s := range []*sql.Stmt{ix.delFTS, ix.insFTS, ix.putDoc, ix.delDoc, ix.unqueue} {
		if s != nil {
			s.Close()
		}
	}
}

// put writes status id's entry e (language lang, created at createdAt);
// replace removes its old entry first (an FTS5 table would otherwise keep
// both).
func (ix *indexer) put(ctx context.Context, id int64, e indexEntry, lang string, createdAt any, replace bool) error {
	if replace {
		if _, err := ix.delFTS.ExecContext(ctx, id); err != nil {
			return err
		}
	}
	if _, err := ix.insFTS.ExecContext(ctx, id, e.body, e.spoiler, e.author, e.links); err != nil {
		return err
	}
	_, err := ix.putDoc.ExecContext(ctx, id, e.handle, e.user, boolInt(e.hasMedia), strings.ToLower(lang), createdAt)
	return err
}

// remove deletes status id's entry.
func (ix *indexer) remove(ctx context.Context, id int64) error {
	if _, err := ix.delFTS.ExecContext(ctx, id); err != nil {
		return err
	}
	_, err := ix.delDoc.ExecContext(ctx, id)
	return err
}

// indexEntry is what the index holds for one status.
type indexEntry struct {
	body, spoiler, author, links string
	handle, user                 string
	hasMedia                     bool
}

// entryFor reads a queued status's searchable text (see entryOf) from
// its stored raw JSON, falling back to the stored columns when the JSON
// cannot be read.
func entryFor(d indexDoc) indexEntry {
	var sp *fedimarks.Status
	if s, err := fedimarks.ParseStatus([]byte(d.raw.String)); err == nil {
		sp = &s
	}
	return entryOf(sp, d.host.String, d.plain.String, d.spoiler.String, d.who.String, d.acct.String)
}

// entryOf is the index entry of status s (nil when its JSON could not be
// read) returned by the server at host: plain is the plain text of its
// post, and spoiler, who and acct the stored columns used when s is nil.
// The post is the boosted one for a boost. Symbols such as emoji are set
// apart from the words around them (see spaceSymbols).
func entryOf(s *fedimarks.Status, host, plain, spoiler, who, acct string) indexEntry {
	e := indexEntry{body: plain, spoiler: spoiler}
	name, profile := who, ""
	if s != nil {
		o := s.Original()
		e.spoiler = o.SpoilerText
		name, acct, profile = o.Account.DisplayName, o.Account.Acct, o.Account.URL
		links := posthtml.Links(o.Content)
		// Mentioned accounts: their full handle and profile address, so
		// that a person is found by user@host (a local one's acct has no
		// host: it is the server's).
		for _, m := range o.Mentions {
			if h := fullHandle(fedimarks.Author{Acct: m.Acct, URL: m.URL}, host); h != "" {
				links = append(links, h)
			}
			if fedimarks.HostOf(m.URL) != "" {
				links = append(links, m.URL)
			}
		}
		// Hashtags, also those a server lists without writing them in
		// the text.
		for _, t := range o.Tags {
			links = append(links, "#"+t)
		}
		e.links = strings.Join(links, " ")
		e.hasMedia = len(o.Media) > 0
	}
	e.handle = fullHandle(fedimarks.Author{Acct: acct, URL: profile}, host)
	e.user, _, _ = strings.Cut(e.handle, "@")
	e.author = strings.TrimSpace(name + " @" + e.handle)
	if e.handle == "" {
		e.author = name
	}
	e.body = spaceSymbols(markStripper.Replace(e.body))
	e.spoiler = spaceSymbols(markStripper.Replace(e.spoiler))
	e.author = spaceSymbols(markStripper.Replace(e.author))
	e.links = markStripper.Replace(e.links)
	return e
}

// isSymbol reports whether r is a symbol that the index keeps as a word
// of its own: an emoji or another pictograph (Unicode category So, which
// the tokenizer counts as part of words; see migration 0012).
func isSymbol(r rune) bool { return r > unicode.MaxASCII && unicode.Is(unicode.So, r) }

// spaceSymbols sets each symbol of s (see isSymbol) apart from what
// touches it with a space, so that each is a word of its own: a post
// saying "today🦘🎉" is found by 🦘, and so is one whose 🦘 stands alone.
// Queries go through it too, so that "🦘🎉" is the phrase of two words.
func spaceSymbols(s string) string {
	if !strings.ContainsFunc(s, isSymbol) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := ' '
	for _, r := range s {
		sym := isSymbol(r)
		if (sym || isSymbol(prev)) && !unicode.IsSpace(prev) && !unicode.IsSpace(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// fullHandle returns the author as user@host (see fedimarks.Author.Handle),
// all in lower case: the index matches handles without regard to case.
func fullHandle(a fedimarks.Author, serverHost string) string {
	return strings.ToLower(a.Handle(serverHost))
}

// matchExpr turns query terms into an FTS5 expression: each term a quoted
// string (so that no user input is FTS5 syntax), a trailing * a prefix
// search, all terms required, then NOT each excluded term. With no
// required terms it is the excluded terms joined by OR (for the caller to
// negate).
func matchExpr(terms, excluded []string) string {
	if len(terms) == 0 {
		return strings.Join(ftsStrings(excluded), " OR ")
	}
	expr := "(" + strings.Join(ftsStrings(terms), " AND ") + ")"
	for _, x := range ftsStrings(excluded) {
		expr += " NOT " + x
	}
	return expr
}

// ftsStrings quotes each term as an FTS5 string, a trailing * kept as a
// prefix search.
func ftsStrings(terms []string) []string {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		prefix := strings.HasSuffix(t, "*")
		t = spaceSymbols(strings.TrimRight(t, "*"))
		p := `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		if prefix {
			p += " *"
		}
		parts = append(parts, p)
	}
	return parts
}

// matchMode is how a search with text meets the index.
type matchMode int

const (
	// matchJoin joins the index's matches to the bookmarks: what ranking
	// needs, and what costs least when every match is read anyway.
	matchJoin matchMode = iota
	// matchProbe walks the bookmarks in date order and asks the index
	// about each: a page of a word in many posts costs a few dozen
	// lookups, where joining would read every match.
	matchProbe
	// matchList walks the bookmarks in date order and keeps those among
	// the index's matches, read once into a list: for a word in a few
	// percent of the posts, where a page would take hundreds of lookups
	// (each costs more the more parts the index has).
	matchList
	// matchGiven tests given posts (the caller adds b.status_id IN
	// (...)), from their bookmarks: each asks the index about itself.
	matchGiven
	// matchTagged is for a search without text: it starts from the
	// posts of its first tag:, fewer than tagSetMax (see listingMode),
	// and sorts them by date, where walking the bookmarks for a page of a
	// tag on 0.1 % of them read 20,000.
	matchTagged
)

// tagSetMax is how many posts a tag may have for a listing of it to
// start from them (matchTagged): sorting them costs less than walking the
// bookmarks to find a page of them, and counting them less than counting
// by a walk.
const tagSetMax = 5000

// queryRower is a *sql.DB or a *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// listingMode returns matchTagged for a search without text whose first
// tag: is on fewer than tagSetMax posts, else matchJoin (the mode then
// says nothing).
func listingMode(ctx context.Context, db queryRower, q fedimarks.Query) (matchMode, error) {
	if len(q.Terms()) > 0 || len(q.Excluded()) > 0 || len(q.Tags) == 0 {
		return matchJoin, nil
	}
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM tag_posts WHERE account = ? AND tag = ? LIMIT ?)`,
		string(q.Account), q.Tags[0], tagSetMax).Scan(&n)
	if err != nil {
		return 0, err
	}
	if n < tagSetMax {
		return matchTagged, nil
	}
	return matchJoin, nil
}

// searchSQL builds the FROM and WHERE clauses of q, and their arguments;
// mode says how text meets the index (see matchMode). The first argument
// is the FTS5 expression when q has text. ok is false when q has text but
// nothing in it could match. With notes, a bookmark also matches when its
// note matches the text (scored as noteScore: after every post match).
func searchSQL(q fedimarks.Query, mode matchMode, notes bool) (from, where string, args []any, ok bool) {
	var conds []string
	terms, excluded := q.Terms(), q.Excluded()
	if strings.TrimSpace(q.Text) != "" && len(terms) == 0 && len(excluded) == 0 {
		return "", "", nil, false
	}
	switch {
	case len(terms) > 0 && notes:
		from = `bookmarks b LEFT JOIN (SELECT rowid AS sid, ` + bm25Score + ` AS rank FROM search_fts WHERE search_fts MATCH ?) f
			ON f.sid = b.status_id`
		conds = append(conds, `(f.sid IS NOT NULL OR `+noteMatchSQL+`)`)
		args = append(args, matchExpr(terms, excluded), matchExpr(terms, excluded))
	case len(terms) > 0 && (mode == matchProbe || mode == matchGiven):
		from = `bookmarks b`
		conds = append(conds, `EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH ? AND rowid = b.status_id)`)
		args = append(args, matchExpr(terms, excluded))
	case len(terms) > 0 && mode == matchList:
		// The unary + keeps the planner from driving the query from the
		// list (and sorting every match by date).
		from = `bookmarks b`
		conds = append(conds, `+b.status_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)`)
		args = append(args, matchExpr(terms, excluded))
	case len(terms) > 0:
		from = `search_fts f JOIN bookmarks b ON b.status_id = f.rowid`
		conds = append(conds, `search_fts MATCH ?`)
		args = append(args, matchExpr(terms, excluded))
	case len(excluded) > 0:
		// FTS5 has no NOT without something to match: exclude the
		// statuses that match any excluded term.
		from = `bookmarks b`
		conds = append(conds, `b.status_id NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)`)
		args = append(args, matchExpr(nil, excluded))
	case mode == matchTagged && len(q.Tags) > 0:
		// CROSS JOIN keeps the tag's posts the outer loop.
		from = `(` + tagPostsSQL + `) tl CROSS JOIN bookmarks b ON b.status_id = tl.status_id`
		args = append(args, string(q.Account), q.Tags[0])
		q.Tags = q.Tags[1:]
	default:
		from = `bookmarks b`
	}
	conds = append(conds, `b.account = ?`)
	args = append(args, string(q.Account))
	if !q.IncludeRemoved {
		conds = append(conds, `b.removed_at IS NULL`)
	}
	filtered := false
	if from := strings.ToLower(strings.TrimPrefix(q.From, "@")); from != "" {
		if strings.Contains(from, "@") {
			conds = append(conds, `d.author = ?`)
		} else {
			conds = append(conds, `d.author_user = ?`)
		}
		args = append(args, from)
		filtered = true
	}
	if q.HasMedia {
		conds = append(conds, `d.has_media = 1`)
		filtered = true
	}
	if !q.Before.IsZero() {
		conds = append(conds, `d.created_at < ?`)
		args = append(args, fmtTime(q.Before))
		filtered = true
	}
	if !q.After.IsZero() {
		conds = append(conds, `d.created_at >= ?`)
		args = append(args, fmtTime(q.After))
		filtered = true
	}
	if lang := strings.ToLower(q.Lang); lang != "" {
		conds = append(conds, `(d.language = ? OR substr(d.language, 1, ?) = ?)`)
		args = append(args, lang, utf8.RuneCountInString(lang)+1, lang+"-")
		filtered = true
	}
	status := `b.status_id`
	if strings.HasPrefix(from, `search_fts f JOIN`) {
		status = `+f.rowid`
	}
	conds, args = labelFilters(q, status, conds, args)
	labels := len(q.Tags) > 0 || len(q.NotTags) > 0 || q.HasNote
	if mode == matchGiven {
		from = strings.Replace(from, `bookmarks b`, `bookmarks b INDEXED BY bookmarks_status`, 1)
	} else if from == `bookmarks b` && !q.IncludeRemoved && !filtered && !labels {
		// A walk in date order of the active bookmarks, tested
		// against nothing else than the index: the index that holds
		// all it reads (without stats, SQLite would pick the narrower
		// bookmarks_account_position and read each bookmark's row).
		from = `bookmarks b INDEXED BY bookmarks_timeline`
	}
	if filtered {
		from += ` JOIN search_docs d ON d.status_id = b.status_id`
	}
	return from, strings.Join(conds, " AND "), args, true
}

// Search returns the bookmarks of q.Account that match q: ranked by
// relevance (bm25, ties newest bookmark first) when q has text, newest
// bookmark first otherwise. Each hit's Status is parsed from the stored raw
// JSON, with Status.ID the post's id on the account's server. The index is
// brought up to date first (see IndexSearch). A query without an account
// is an EInvalid error; one whose text holds no word (only punctuation)
// matches nothing. Search holds every hit in memory: EachHit streams them.
func (a *Archive) Search(ctx context.Context, q fedimarks.Query) ([]fedimarks.Hit, error) {
	var hits []fedimarks.Hit
	err := a.EachHit(ctx, q, func(h fedimarks.Hit) error {
		hits = append(hits, h)
		return nil
	})
	return hits, err
}

// hitBatch is how many hits EachHit reads in full at a time: its memory
// is that of one batch, however many bookmarks match.
const hitBatch = 50

// EachHit calls fn with each hit of Search(ctx, q), in order, reading
// them a batch at a time so that memory stays flat with 25,000 matches.
// It stops at the first error fn returns and returns it unwrapped. fn must
// not write to the archive: the read transaction stays open until the
// last hit.
func (a *Archive) EachHit(ctx context.Context, q fedimarks.Query, fn func(fedimarks.Hit) error) error {
	if q.Account == "" {
		return fedimarks.Errorf(fedimarks.EInvalid, "search: no account given")
	}
	if _, err := a.IndexSearch(ctx); err != nil {
		return err
	}
	text := len(q.Terms()) > 0
	byDate := !text || q.ByDate
	notes, err := a.notesMatch(ctx, q)
	if err != nil {
		return err
	}
	tx, err := a.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("search bookmarks of %s: %w", q.Account, err)
	}
	defer tx.Rollback()
	if ordered(q) {
		if done, err := a.eachOrdered(ctx, tx, q, byDate, fn); done || err != nil {
			return err
		}
	}
	// The matches are ordered by a query that reads only bookmark ids
	// and scores; each batch of them is then read in full, and gets its
	// snippets, in queries of its own: sorting every match's raw JSON, or
	// making every match's snippet, would cost more than the search, and
	// SQLite drives a joined snippet from the whole match.
	limit, offset := limitOffset(q.Limit, q.Offset)
	score, order := bm25Score, `score, b.position DESC, b.id DESC`
	if notes {
		score = noteScore
	}
	mode := matchJoin
	var (
		after *cursor // by date: go on after (or before, newer) this bookmark
		newer bool
	)
	if byDate {
		score, order = `0.0`, `b.position DESC, b.id DESC`
		switch {
		case q.Cursor != "":
			c, err := parseCursor(q.Cursor)
			if err != nil {
				return err
			}
			after, offset = &c, 0
		case offset >= anchorEvery:
			// A page typed by number starts from the anchor before
			// it: what a page reached by links costs, once the
			// listing's anchors are read.
			c, rest, found, ok, err := a.seekTyped(ctx, tx, q, notes, offset)
			if err != nil {
				return fmt.Errorf("search bookmarks of %s: %w", q.Account, err)
			}
			if !ok {
				return nil
			}
			if found {
				after, offset = &c, rest
			}
		}
		want := 0
		if limit > 0 {
			want = limit + offset
		}
		if mode, err = dateMode(ctx, tx, q, want, after != nil || offset < anchorEvery); err != nil {
			return fmt.Errorf("search bookmarks of %s: %w", q.Account, err)
		}
	}
	from, where, args, ok := searchSQL(q, mode, notes)
	if !ok {
		return nil
	}
	if after != nil {
		op := "<"
		if after.newer {
			op, order, newer = ">", `b.position, b.id`, true
		}
		where += ` AND (b.position, b.id) ` + op + ` (?, ?)`
		args = append(args, after.position, after.id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT b.id, b.position, `+score+` AS score FROM `+from+` WHERE `+where+`
		ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return fmt.Errorf("search bookmarks of %s: %w", q.Account, err)
	}
	defer rows.Close()
	var match any
	if text {
		match = args[0]
	}
	return emitHits(ctx, tx, q.Account, rows, match, byDate, newer, fn)
}

// emitHits reads the ranked matches of rows (bookmark id, position and
// score, in the listing's order, or nearest first when newer) and passes
// them to a hitEmitter, which reads them in full a batch at a time (match
// is the FTS5 expression, nil without text) and calls fn with each, in
// the listing's order (newest first when newer), with cursors when the
// listing is byDate. fn's errors are returned unwrapped.
func emitHits(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, rows *sql.Rows, match any, byDate, newer bool, fn func(fedimarks.Hit) error) error {
	e := newHitEmitter(ctx, tx, h, match, byDate, fn)
	var all []ranked // newer: the rows come nearest first, the hits go newest first
	for rows.Next() {
		var r ranked
		if err := rows.Scan(&r.bookmark, &r.position, &r.score); err != nil {
			return fmt.Errorf("search bookmarks of %s: %w", h, err)
		}
		if newer {
			all = append(all, r)
			continue
		}
		if err := e.add(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search bookmarks of %s: %w", h, err)
	}
	slices.Reverse(all)
	for _, r := range all {
		if err := e.add(r); err != nil {
			return err
		}
	}
	return e.flush()
}

// hitEmitter reads ranked matches in full, hitBatch at a time (see
// readHits), and calls fn with each hit, in the order they were added,
// with cursors when the listing is byDate: its memory is that of one
// batch, however many bookmarks match.
type hitEmitter struct {
	ctx    context.Context
	tx     *sql.Tx
	h      fedimarks.Handle
	match  any
	byDate bool
	fn     func(fedimarks.Hit) error
	batch  []ranked
}

func newHitEmitter(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, match any, byDate bool, fn func(fedimarks.Hit) error) *hitEmitter {
	return &hitEmitter{ctx: ctx, tx: tx, h: h, match: match, byDate: byDate, fn: fn, batch: make([]ranked, 0, hitBatch)}
}

// add adds r, reading the batch when it is full.
func (e *hitEmitter) add(r ranked) error {
	if e.batch = append(e.batch, r); len(e.batch) == hitBatch {
		return e.flush()
	}
	return nil
}

// flush reads the batch and calls fn with each of its hits.
func (e *hitEmitter) flush() error {
	if len(e.batch) == 0 {
		return nil
	}
	hits, err := readHits(e.ctx, e.tx, e.h, e.batch, e.match)
	if err != nil {
		return fmt.Errorf("search bookmarks of %s: %w", e.h, err)
	}
	for i := range hits {
		if e.byDate {
			c := cursor{position: e.batch[i].position, id: e.batch[i].bookmark}
			hits[i].OlderCursor, hits[i].NewerCursor = c.String(), cursor{c.position, c.id, true}.String()
		}
		if err := e.fn(hits[i]); err != nil {
			return err
		}
	}
	e.batch = e.batch[:0]
	return nil
}

// probeCost is how many matches cost as much to read into a list
// (matchList) as one lookup in the index costs a bookmark (matchProbe),
// measured at 100,000 posts: about 0.4 µs against 30 µs.
const probeCost = 75

// walkMode picks how a listing by date of q's text that must yield want
// bookmarks (0: all) walks the bookmarks (see matchMode). Asking the index
// about each bookmark costs about want×total/matches lookups, reading the
// matches into a list costs about matches/probeCost of them: the lookups
// win only for a page of a word in many posts, when the matches number at
// least √(probeCost×want×total), which is counted no further.
func walkMode(ctx context.Context, tx *sql.Tx, q fedimarks.Query, want int) (matchMode, error) {
	if want <= 0 {
		return matchList, nil
	}
	var total int
	err := tx.QueryRowContext(ctx, `SELECT active + removed FROM bookmark_counts WHERE account = ?`, string(q.Account)).Scan(&total)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	enough := int(math.Sqrt(probeCost * float64(want) * float64(total)))
	if enough == 0 {
		return matchList, nil
	}
	var n int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)`,
		matchExpr(q.Terms(), q.Excluded()), enough).Scan(&n)
	if err != nil {
		return 0, err
	}
	if n >= enough {
		return matchProbe, nil
	}
	return matchList, nil
}

// cursor is where a listing in date order goes on: after (older than)
// the bookmark at position with id, or before it when newer.
type cursor struct {
	position, id int64
	newer        bool
}

// String writes c as Query.Cursor takes it: o:POSITION.ID or n:POSITION.ID.
func (c cursor) String() string {
	dir := "o"
	if c.newer {
		dir = "n"
	}
	return dir + ":" + strconv.FormatInt(c.position, 10) + "." + strconv.FormatInt(c.id, 10)
}

// parseCursor reads what cursor.String wrote.
func parseCursor(s string) (cursor, error) {
	dir, rest, ok1 := strings.Cut(s, ":")
	pos, id, ok2 := strings.Cut(rest, ".")
	c := cursor{newer: dir == "n"}
	var err1, err2 error
	c.position, err1 = strconv.ParseInt(pos, 10, 64)
	c.id, err2 = strconv.ParseInt(id, 10, 64)
	if !ok1 || !ok2 || (dir != "o" && dir != "n") || err1 != nil || err2 != nil {
		return cursor{}, fedimarks.Errorf(fedimarks.EInvalid, "search: %q is not a position in a listing", s)
	}
	return c, nil
}

// ranked is one match: its bookmark's id and position, and its relevance
// score.
type ranked struct {
	bookmark, position int64
	score              float64
}

// readHits reads the hits of batch in full, in batch's order: each
// bookmark's status, and its snippet for the FTS5 expression match (nil:
// the query has no text, the snippet is the post's start).
func readHits(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, batch []ranked, match any) ([]fedimarks.Hit, error) {
	args := make([]any, len(batch))
	at := make(map[int64]int, len(batch))
	for i, r := range batch {
		args[i] = r.bookmark
		at[r.bookmark] = i
	}
	rows, err := tx.QueryContext(ctx, `SELECT b.id, s.id, s.raw, s.host, s.plain_text, s.spoiler_text, b.local_id, b.first_seen, b.last_seen, b.removed_at,
			`+labelColumns+`
		FROM bookmarks b JOIN statuses s ON s.id = b.status_id
		WHERE b.id IN (?`+repeatString(",?", len(batch)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := make([]fedimarks.Hit, len(batch))
	ids := make([]int64, len(batch))
	fallback := make([]string, len(batch))
	for rows.Next() {
		var (
			bid, id                int64
			raw                    []byte
			plain, spoiler, local  string
			host                   string
			first, last, removedAt sql.NullString
			tags, note             sql.NullString
		)
		if err := rows.Scan(&bid, &id, &raw, &host, &plain, &spoiler, &local, &first, &last, &removedAt, &tags, &note); err != nil {
			return nil, err
		}
		i := at[bid]
		hit := fedimarks.Hit{Bookmark: fedimarks.Bookmark{Account: string(h)}, Rank: batch[i].score}
		b := &hit.Bookmark
		setLabels(b, tags, note)
		if b.Status, err = parseStored(raw, host); err != nil {
			return nil, err
		}
		if local != "" {
			b.Status.ID = local
		}
		if b.FirstSeen, err = parseTime(first); err != nil {
			return nil, err
		}
		if b.LastSeen, err = parseTime(last); err != nil {
			return nil, err
		}
		if removedAt.Valid {
			t, err := parseTime(removedAt)
			if err != nil {
				return nil, err
			}
			b.RemovedAt = &t
		}
		if strings.TrimSpace(plain) == "" {
			plain = spoiler
		}
		hits[i], ids[i], fallback[i] = hit, id, plain
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if match != nil {
		snips, err := snippets(ctx, tx, match, ids)
		if err != nil {
			return nil, err
		}
		for i, id := range ids {
			hits[i].Snippet = snips[id]
		}
	}
	for i := range hits {
		if strings.TrimSpace(hits[i].Snippet) == "" {
			hits[i].Snippet = shorten(markStripper.Replace(fallback[i]), snippetRunes)
		}
	}
	return hits, nil
}

// snippets returns the highlighted snippet of each of the statuses ids
// for the FTS5 expression match: from the post's text when the match is
// there, else from its content warning; "" when only the author or link
// targets matched (the caller then shows the text's start, which says
// more than the author's name).
func snippets(ctx context.Context, tx *sql.Tx, match any, ids []int64) (map[int64]string, error) {
	args := []any{match}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT rowid, CASE
			WHEN instr(snippet(search_fts, 0, char(2), char(3), '…', 32), char(2)) > 0
				THEN snippet(search_fts, 0, char(2), char(3), '…', 32)
			WHEN instr(snippet(search_fts, 1, char(2), char(3), '…', 32), char(2)) > 0
				THEN snippet(search_fts, 1, char(2), char(3), '…', 32)
			ELSE '' END
		FROM search_fts WHERE search_fts MATCH ? AND rowid IN (?`+repeatString(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]string, len(ids))
	for rows.Next() {
		var (
			id   int64
			snip sql.NullString
		)
		if err := rows.Scan(&id, &snip); err != nil {
			return nil, err
		}
		out[id] = snip.String
	}
	return out, rows.Err()
}

// shorten cuts s to at most n runes at a space where it can, with an
// ellipsis when anything was cut; runs of white space become one space.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// SearchCount returns how many bookmarks match q, ignoring its Limit and
// Offset. Errors are as for Search.
func (a *Archive) SearchCount(ctx context.Context, q fedimarks.Query) (int, error) {
	return a.SearchCountAtMost(ctx, q, 0)
}

// SearchCountAtMost is SearchCount counting no further than max (max <= 0:
// no bound): a page that says "more than 1,000 match" need not read the
// 25,000 matches of a common word. Without text or filters it reads the
// kept counts (see Counts) and costs nothing.
func (a *Archive) SearchCountAtMost(ctx context.Context, q fedimarks.Query, max int) (int, error) {
	if q.Account == "" {
		return 0, fedimarks.Errorf(fedimarks.EInvalid, "search: no account given")
	}
	if q.String() == "" {
		c, err := a.Counts(ctx, q.Account)
		n := c.Active
		if q.IncludeRemoved {
			n += c.Removed
		}
		if max > 0 {
			n = min(n, max)
		}
		return n, err
	}
	if _, err := a.IndexSearch(ctx); err != nil {
		return 0, err
	}
	notes, err := a.notesMatch(ctx, q)
	if err != nil {
		return 0, err
	}
	n, err := a.countSearch(ctx, q, notes, max)
	if err != nil {
		return 0, fmt.Errorf("count search of %s: %w", q.Account, err)
	}
	return n, nil
}
