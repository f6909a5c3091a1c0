package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/posthtml"
)

// Run is one backup of one account, as stored: the domain's BackupRun.
// SavePage and FinishRun update it only after they commit; its fields
// mirror the backup_runs row.
type Run = fedimarks.BackupRun

// position returns where the item at index idx of run id sorts: a later
// run's items above all earlier runs' items, and within a run the first
// item (the server's newest) highest.
func position(runID, idx int64) int64 { return runID<<32 - idx }

// StartRun records a new running backup of h begun at now.
func (a *Archive) StartRun(ctx context.Context, h fedimarks.Handle, full bool, now time.Time) (*Run, error) {
	if h == "" {
		return nil, fedimarks.Errorf(fedimarks.EInvalid, "start backup: no account")
	}
	run := &Run{Account: h, Full: full, StartedAt: now.UTC()}
	err := a.w.QueryRowContext(ctx, `INSERT INTO backup_runs (account, is_full, started_at) VALUES (?, ?, ?) RETURNING id`,
		string(h), boolInt(full), fmtTime(now)).Scan(&run.ID)
	if err != nil {
		return nil, fmt.Errorf("start backup of %s: %w", h, err)
	}
	return run, nil
}

const runColumns = `id, account, is_full, started_at, next_url, idx, n_pages, n_new, n_seen, n_restored, state`

type rowScanner interface{ Scan(...any) error }

func scanRun(sc rowScanner) (*Run, string, error) {
	var (
		run     Run
		account string
		full    int
		started sql.NullString
		state   string
	)
	if err := sc.Scan(&run.ID, &account, &full, &started, &run.NextURL, &run.Index,
		&run.Pages, &run.New, &run.Seen, &run.Restored, &state); err != nil {
		return nil, "", err
	}
	run.Account = fedimarks.Handle(account)
	run.Full = full != 0
	t, err := parseTime(started)
	run.StartedAt = t
	return &run, state, err
}

// UnfinishedRun returns h's newest run that was neither finished nor
// abandoned, or nil and no error if there is none.
func (a *Archive) UnfinishedRun(ctx context.Context, h fedimarks.Handle) (*Run, error) {
	run, _, err := scanRun(a.r.QueryRowContext(ctx, `SELECT `+runColumns+` FROM backup_runs
		WHERE account = ? AND state = 'running' ORDER BY id DESC LIMIT 1`, string(h)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find unfinished backup of %s: %w", h, err)
	}
	return run, nil
}

// runningRun reads run id in tx and checks that it is still running.
func runningRun(ctx context.Context, tx *sql.Tx, id int64) (*Run, error) {
	run, state, err := scanRun(tx.QueryRowContext(ctx, runningRunSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fedimarks.Errorf(fedimarks.ENotFound, "no backup run %d", id)
	}
	if err != nil {
		return nil, err
	}
	if state != "running" {
		return nil, fedimarks.Errorf(fedimarks.EInvalid, "backup run %d is %s", id, state)
	}
	return run, nil
}

// knownQuery, completed by one ",?" per URI after the first and ")",
// finds which of a page's URIs h has bookmarked (outside run last_run). CROSS JOIN keeps statuses
// the outer loop: each URI is a lookup in statuses' uri index and then in
// bookmarks' (account, status_id) index. Left to itself, the planner walks
// every bookmark of the account instead (it cannot tell, before a run of
// ANALYZE, that 40 URIs are fewer than an account's bookmarks), which made
// each page of a first backup of 100,000 bookmarks cost 0.4 s.
const knownQuery = `SELECT s.uri FROM statuses s CROSS JOIN bookmarks b ON b.status_id = s.id
	WHERE b.account = ? AND b.removed_at IS NULL AND b.last_run <> ? AND s.uri IN (?`

// Known reports which of uris are currently bookmarked (archived and not
// removed) for h. URIs not bookmarked are absent from the map.
func (a *Archive) Known(ctx context.Context, h fedimarks.Handle, uris []string) (map[string]bool, error) {
	return a.known(ctx, h, 0, uris)
}

// KnownBefore is Known for run's account, leaving out the bookmarks that
// run itself saved last: where an incremental walk meets the archive is
// where the bookmarks of earlier runs begin, not a page it reads again.
func (a *Archive) KnownBefore(ctx context.Context, run *Run, uris []string) (map[string]bool, error) {
	return a.known(ctx, run.Account, run.ID, uris)
}

// known is Known without the bookmarks last seen by run except (0: none).
func (a *Archive) known(ctx context.Context, h fedimarks.Handle, except int64, uris []string) (map[string]bool, error) {
	known := make(map[string]bool)
	const chunk = 500
	for start := 0; start < len(uris); start += chunk {
		part := uris[start:min(start+chunk, len(uris))]
		args := make([]any, 0, len(part)+2)
		args = append(args, string(h), except)
		for _, u := range part {
			args = append(args, u)
		}
		q := knownQuery + repeatString(",?", len(part)-1) + `)`
		rows, err := a.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("look up bookmarks of %s: %w", h, err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up bookmarks of %s: %w", h, err)
			}
			known[u] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("look up bookmarks of %s: %w", h, err)
		}
	}
	return known, nil
}

func repeatString(s string, n int) string {
	b := make([]byte, 0, len(s)*max(n, 0))
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

// The statements SavePage runs for each status of a page. Each is a
// lookup by a unique key or primary key, so that a page costs the same
// however large the archive (TestPageStatementPlans checks their plans).
const (
	findStatusSQL   = `SELECT id, raw, local_id, host FROM statuses WHERE uri = ?`
	insertStatusSQL = `
		INSERT INTO statuses (uri, url, local_id, host, author_acct, author_url, author_name, created_at,
			language, visibility, sensitive, spoiler_text, plain_text, raw, fetched_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
	updateStatusSQL = `
		UPDATE statuses SET url = ?, local_id = ?, host = ?, author_acct = ?, author_url = ?, author_name = ?,
			created_at = ?, language = ?, visibility = ?, sensitive = ?, spoiler_text = ?, plain_text = ?,
			raw = ?, fetched_at = ?
		WHERE id = ?`
	findBookmarkSQL   = `SELECT id, removed_at IS NOT NULL, last_run FROM bookmarks WHERE account = ? AND status_id = ?`
	insertBookmarkSQL = `INSERT INTO bookmarks (account, status_id, local_id, position, first_seen, last_seen, last_run)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	updateBookmarkSQL = `UPDATE bookmarks SET local_id = ?, position = ?, last_seen = ?, removed_at = NULL, last_run = ? WHERE id = ?`
	seenAgainSQL      = `UPDATE bookmarks SET last_seen = ? WHERE id = ?`
	insertEventSQL    = `INSERT INTO bookmark_events (account, status_id, event, at, run_id) VALUES (?, ?, ?, ?, ?)`
	runningRunSQL     = `SELECT ` + runColumns + ` FROM backup_runs WHERE id = ?`
	saveRunSQL        = `UPDATE backup_runs SET next_url = ?, idx = ?, n_pages = ?, n_new = ?, n_seen = ?, n_restored = ? WHERE id = ?`
)

// pageStmts are the statements SavePage runs once per status.
type pageStmts struct {
	findStatus, insertStatus, updateStatus, findBookmark, insertBookmark, updateBookmark, insertEvent *sql.Stmt
	*indexer
	// deferIndex, when set, makes saveIndexed queue the index entries in
	// queued, for writeIndex to write at the end of the transaction.
	deferIndex bool
	queued     []queuedEntry
}

// queuedEntry is an index entry saveIndexed left for writeIndex.
type queuedEntry struct {
	uri       string
	id        int64
	e         indexEntry
	lang      string
	createdAt any
	replace   bool
}

func preparePage(ctx context.Context, tx *sql.Tx) (*pageStmts, error) {
	var (
		p   pageStmts
		err error
	)
	prep := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = tx.PrepareContext(ctx, q)
		}
	}
	prep(&p.findStatus, findStatusSQL)
	prep(&p.insertStatus, insertStatusSQL)
	prep(&p.updateStatus, updateStatusSQL)
	prep(&p.findBookmark, findBookmarkSQL)
	prep(&p.insertBookmark, insertBookmarkSQL)
	prep(&p.updateBookmark, updateBookmarkSQL)
	prep(&p.insertEvent, insertEventSQL)
	if err == nil {
		p.indexer, err = prepareIndexer(ctx, tx)
	}
	if err != nil {
		p.close()
		return nil, err
	}
	return &p, nil
}

func (p *pageStmts) close() {
	for _, s := range []*sql.Stmt{p.findStatus, p.insertStatus, p.updateStatus, p.findBookmark, p.insertBookmark, p.updateBookmark, p.insertEvent} {
		if s != nil {
			s.Close()
		}
	}
	if p.indexer != nil {
		p.indexer.close()
	}
}

// SavePage stores one page of run's bookmarks, given newest first as the
// server listed them, and nextURL, the page to fetch after it, all in one
// transaction. Each status is upserted by URI (raw JSON kept exactly as
// given) and its bookmark positioned below the run's earlier items; a
// bookmark that had been removed is restored. A status listed twice in one
// run keeps its first position. The run must still be running (EInvalid
// otherwise); run is updated only after the commit.
func (a *Archive) SavePage(ctx context.Context, run *Run, statuses []fedimarks.Status, nextURL string, now time.Time) error {
	for _, s := range statuses {
		if s.URI == "" || len(s.Raw) == 0 {
			return fedimarks.Errorf(fedimarks.EInvalid, "save page: status %q has no uri or no raw JSON", s.ID)
		}
	}
	var (
		saved   *Run
		indexed int
	)
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := runningRun(ctx, tx, run.ID)
		if err != nil {
			return err
		}
		indexed = 0 // a retried transaction starts again
		if err := savePage(ctx, tx, cur, statuses, now, &indexed); err != nil {
			return err
		}
		cur.NextURL = nextURL
		cur.Pages++
		_, err = tx.ExecContext(ctx, saveRunSQL, cur.NextURL, cur.Index, cur.Pages, cur.New, cur.Seen, cur.Restored, cur.ID)
		saved = cur
		return err
	})
	if err != nil {
		return fmt.Errorf("save bookmarks of %s: %w", run.Account, err)
	}
	if indexed > 0 {
		a.indexed.Store(true)
	}
	*run = *saved
	return nil
}

// saved says what saveStatus did with a status.
type saved int

const (
	unchanged saved = iota // stored before, the same
	inserted
	updated
)

// saveStatus stores s (returned by the server at host) by URI and returns
// its row id, what it did, and the plain text of the post. A status stored
// before is rewritten only if its raw JSON or where it came from changed:
// a backup sees the same posts again and again. (A plain select-then-write
// rather than an upsert, so that triggers on statuses see an ordinary
// INSERT or UPDATE.)
func (p *pageStmts) saveStatus(ctx context.Context, s fedimarks.Status, host, at string) (int64, saved, string, error) {
	var (
		id             int64
		raw            []byte
		localID, where string
	)
	err := p.findStatus.QueryRowContext(ctx, s.URI).Scan(&id, &raw, &localID, &where)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, "", err
	}
	found := err == nil
	if found && (s.Hidden || bytes.Equal(raw, s.Raw) && localID == s.ID && where == host) {
		// A post the server now hides from the account keeps the copy
		// archived when it could see it.
		return id, unchanged, "", nil
	}
	plain := posthtml.Text(s.Original().Content)
	args := []any{s.URL, s.ID, host, s.Account.Acct, s.Account.URL, s.Account.DisplayName, nullTime(s.CreatedAt),
		s.Language, s.Visibility, boolInt(s.Sensitive), s.SpoilerText, plain,
		string(s.Raw), at}
	if found {
		_, err = p.updateStatus.ExecContext(ctx, append(args, id)...)
		return id, updated, plain, err
	}
	err = p.insertStatus.QueryRowContext(ctx, append([]any{s.URI}, args...)...).Scan(&id)
	return id, inserted, plain, err
}

// saveIndexed is saveStatus, then the status's search index entry when
// the status is new or changed.
func (p *pageStmts) saveIndexed(ctx context.Context, s fedimarks.Status, host, at string) (int64, saved, error) {
	statusID, what, plain, err := p.saveStatus(ctx, s, host, at)
	if err != nil {
		return 0, 0, fmt.Errorf("status %s: %w", s.URI, err)
	}
	if what != unchanged {
		e := entryOf(&s, host, plain, s.SpoilerText, s.Account.DisplayName, s.Account.Acct)
		if p.deferIndex {
			p.queued = append(p.queued, queuedEntry{s.URI, statusID, e, s.Language, nullTime(s.CreatedAt), what == updated})
		} else if err := p.put(ctx, statusID, e, s.Language, nullTime(s.CreatedAt), what == updated); err != nil {
			return 0, 0, fmt.Errorf("index %s for search: %w", s.URI, err)
		}
	}
	return statusID, what, nil
}

// writeIndex writes the queued index entries: every search_docs row, then
// every full-text entry. The full-text table keeps the entries of a
// transaction in memory and writes them out as one segment at its end,
// or whenever a later statement opens a savepoint, as an INSERT OR
// REPLACE or a write to a table with foreign keys does: written between
// the page's other statements, each entry became a segment of its own,
// and the merging of thousands of small segments was most of the cost of
// a first backup of 100,000 bookmarks.
func (p *pageStmts) writeIndex(ctx context.Context) error {
	for _, q := range p.queued {
		if _, err := p.putDoc.ExecContext(ctx, q.id, q.e.handle, q.e.user, boolInt(q.e.hasMedia), strings.ToLower(q.lang), q.createdAt); err != nil {
			return fmt.Errorf("index %s for search: %w", q.uri, err)
		}
	}
	for _, q := range p.queued {
		if q.replace {
			if _, err := p.delFTS.ExecContext(ctx, q.id); err != nil {
				return fmt.Errorf("index %s for search: %w", q.uri, err)
			}
		}
		if _, err := p.insFTS.ExecContext(ctx, q.id, q.e.body, q.e.spoiler, q.e.author, q.e.links); err != nil {
			return fmt.Errorf("index %s for search: %w", q.uri, err)
		}
	}
	p.queued = p.queued[:0]
	return nil
}

// savePage upserts statuses and positions their bookmarks for run,
// advancing run's index and counters. The search index entry of each
// status it inserts or changes is written in the same transaction, so that
// the index is current when the page commits and no search waits for it.
func savePage(ctx context.Context, tx *sql.Tx, run *Run, statuses []fedimarks.Status, now time.Time, indexed *int) error {
	p, err := preparePage(ctx, tx)
	if err != nil {
		return err
	}
	defer p.close()
	p.deferIndex = true
	at := fmtTime(now)
	host := run.Account.Host()
	for _, s := range statuses {
		statusID, what, err := p.saveIndexed(ctx, s, host, at)
		if err != nil {
			return err
		}
		again, err := p.saveBookmark(ctx, tx, run, s.ID, statusID, what, at)
		if err != nil {
			return fmt.Errorf("bookmark %s: %w", s.URI, err)
		}
		if !again {
			run.Index++
		}
	}
	*indexed += len(p.queued)
	return p.writeIndex(ctx)
}

// saveBookmark records that run lists the status statusID (id on the
// server: serverID; what saveIndexed did with it) at its next position:
// a new bookmark, one seen again or one restored. again reports a
// bookmark listed already in this run, which keeps its first, higher
// position.
func (p *pageStmts) saveBookmark(ctx context.Context, tx *sql.Tx, run *Run, serverID string, statusID int64, what saved, at string) (again bool, err error) {
	account := string(run.Account)
	var (
		bookmarkID int64
		removed    bool
		lastRun    int64
	)
	if what == inserted {
		err = sql.ErrNoRows // a status just stored has no bookmark yet: no need to look
	} else {
		err = p.findBookmark.QueryRowContext(ctx, account, statusID).Scan(&bookmarkID, &removed, &lastRun)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := p.insertBookmark.ExecContext(ctx, account, statusID, serverID, position(run.ID, run.Index), at, at, run.ID); err != nil {
			return false, err
		}
		if _, err := p.insertEvent.ExecContext(ctx, account, statusID, "added", at, run.ID); err != nil {
			return false, err
		}
		run.New++
	case err != nil:
		return false, err
	case lastRun == run.ID && !removed:
		// Listed again in the same run (a server's paging overlap):
		// keep the first, higher position.
		if _, err := tx.ExecContext(ctx, seenAgainSQL, at, bookmarkID); err != nil {
			return false, err
		}
		return true, nil
	default:
		if _, err := p.updateBookmark.ExecContext(ctx, serverID, position(run.ID, run.Index), at, run.ID, bookmarkID); err != nil {
			return false, err
		}
		if removed {
			if _, err := p.insertEvent.ExecContext(ctx, account, statusID, "restored", at, run.ID); err != nil {
				return false, err
			}
			run.Restored++
		} else {
			run.Seen++
		}
	}
	return false, nil
}

// FinishRun marks run finished at now and sets the account's last backup
// time (if the account is signed in). For a full run, every bookmark of the
// account that this run did not see (not removed, last seen before the run
// started by another run) is marked removed at now with a 'removed' event;
// their number is returned; and the run's start becomes the account's last
// full walk (LastFullWalk). A full run that did not walk to the end must be
// abandoned, not finished. The run must still be running (EInvalid
// otherwise).
func (a *Archive) FinishRun(ctx context.Context, run *Run, now time.Time) (removed int, err error) {
	at := fmtTime(now)
	var order *listOrder
	err = a.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := runningRun(ctx, tx, run.ID)
		if err != nil {
			return err
		}
		if cur.Full {
			const unseen = `account = ? AND removed_at IS NULL AND last_run <> ? AND last_seen < ?`
			args := []any{string(cur.Account), cur.ID, fmtTime(cur.StartedAt)}
			if _, err := tx.ExecContext(ctx, `INSERT INTO bookmark_events (account, status_id, event, at, run_id)
				SELECT account, status_id, 'removed', ?, ? FROM bookmarks WHERE `+unseen+` ORDER BY position DESC`,
				append([]any{at, cur.ID}, args...)...); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE bookmarks SET removed_at = ? WHERE `+unseen, append([]any{at}, args...)...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			removed = int(n)
			if err := recordFullWalk(ctx, tx, cur); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE backup_runs SET state = 'finished', finished_at = ?, n_removed = ? WHERE id = ?`,
			at, removed, cur.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET last_backup = ? WHERE handle = ?`, at, string(cur.Account)); err != nil {
			return err
		}
		// The timeline's page anchors and the listing order as the
		// run leaves them, for the next process's searches and pages
		// typed by number.
		if err := storeTimelineAnchors(ctx, tx, string(cur.Account)); err != nil {
			return err
		}
		order, err = a.storeListingOrder(ctx, tx, string(cur.Account))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("finish backup of %s: %w", run.Account, err)
	}
	if order != nil {
		a.orders.keep(string(run.Account), order) // committed: this process's searches need not follow it
	}
	a.mergeSearchIndex(ctx)
	return removed, nil
}

// mergeSearchIndex merges the search index's segments into one when a
// backup page wrote entries since the last merge. Each page's entries are
// a segment of their own (a first backup of 100,000 bookmarks left about
// 17), and every lookup of a word reads each segment: merged, a common
// word's page at 100,000 bookmarks took 7 ms instead of 17, a word with a
// tag 26 instead of 164 (BenchmarkTimelinePage), for about 140 ms once a
// backup run. It is best effort: the bookmarks are committed, and an index
// left in segments is only slower, so a failure is not the backup's.
func (a *Archive) mergeSearchIndex(ctx context.Context) {
	if !a.indexed.Swap(false) {
		return
	}
	if _, err := a.w.ExecContext(ctx, `INSERT INTO search_fts(search_fts) VALUES('optimize')`); err != nil {
		a.indexed.Store(true) // try again after the next run
	}
}

// AbandonRun marks run abandoned, so that UnfinishedRun no longer offers
// it; what it saved stays. Abandoning an abandoned run does nothing; a
// finished run cannot be abandoned (EInvalid).
func (a *Archive) AbandonRun(ctx context.Context, run *Run) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM backup_runs WHERE id = ?`, run.ID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return fedimarks.Errorf(fedimarks.ENotFound, "no backup run %d", run.ID)
		}
		if err != nil {
			return err
		}
		switch state {
		case "abandoned":
			return nil
		case "finished":
			return fedimarks.Errorf(fedimarks.EInvalid, "backup run %d is finished", run.ID)
		}
		_, err = tx.ExecContext(ctx, `UPDATE backup_runs SET state = 'abandoned' WHERE id = ?`, run.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("abandon backup of %s: %w", run.Account, err)
	}
	return nil
}
