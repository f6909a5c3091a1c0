package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// Threads kept by backup --context (migration 0041).

// EnableContext starts keeping threads for h's bookmarks added from now
// on (a no-op when already started): call it before the backup's walk, so
// that the walk's new bookmarks are pending.
func (a *Archive) EnableContext(ctx context.Context, h fedimarks.Handle, now time.Time) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO context_accounts (account, since_event, started_at)
			SELECT ?, coalesce((SELECT max(id) FROM bookmark_events WHERE account = ?), 0), ?
			WHERE NOT EXISTS (SELECT 1 FROM context_accounts WHERE account = ?)`,
			string(h), string(h), fmtTime(now), string(h))
		return err
	})
	if err != nil {
		return fmt.Errorf("keep threads of %s: %w", h, err)
	}
	return nil
}

// ContextTask is a bookmark whose thread is to be fetched: StatusID is
// the archive's row, LocalID the post's id on the account's server, and
// AuthorURL its author's profile.
type ContextTask struct {
	StatusID  int64
	URI       string
	LocalID   string
	AuthorURL string
}

// PendingContexts returns h's active bookmarks added since EnableContext
// whose thread is not kept in mode ("self" or "all"; an "all" thread
// serves "self" too), oldest bookmark first.
func (a *Archive) PendingContexts(ctx context.Context, h fedimarks.Handle, mode string) ([]ContextTask, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT s.id, s.uri, b.local_id, s.raw
		FROM bookmarks b JOIN statuses s ON s.id = b.status_id
		JOIN context_accounts c ON c.account = b.account
		WHERE b.account = ? AND b.removed_at IS NULL AND b.local_id <> ''
			AND EXISTS (SELECT 1 FROM bookmark_events e WHERE e.account = b.account AND e.status_id = b.status_id
				AND e.event = 'added' AND e.id > c.since_event)
			AND NOT EXISTS (SELECT 1 FROM thread_fetches f WHERE f.status_id = b.status_id
				AND (f.mode IN ('all', 'gone') OR f.mode = ?)
				AND NOT EXISTS (SELECT 1 FROM thread_cuts c WHERE c.status_id = f.status_id AND c.cut_at < ?))
		ORDER BY b.position, b.id`, string(h), mode, fmtTime(a.now().Add(-cutThreadAgain)))
	if err != nil {
		return nil, fmt.Errorf("list threads to fetch for %s: %w", h, err)
	}
	defer rows.Close()
	var out []ContextTask
	for rows.Next() {
		var (
			t   ContextTask
			raw []byte
		)
		if err := rows.Scan(&t.StatusID, &t.URI, &t.LocalID, &raw); err != nil {
			return nil, fmt.Errorf("list threads to fetch for %s: %w", h, err)
		}
		if s, err := fedimarks.ParseStatus(raw); err == nil {
			t.AuthorURL = s.Original().Account.URL
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SaveThread stores the thread of the archived post uri, as the server at
// host returned it, in mode ("self", "all"), replacing what
// was kept of it: each post once in statuses (by URI), linked in order.
// Mode "gone" records that the server no longer shows the post.
func (a *Archive) SaveThread(ctx context.Context, uri, mode, host string, ancestors, descendants []fedimarks.Status, now time.Time) error {
	at := fmtTime(now)
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		var statusID int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM statuses WHERE uri = ?`, uri).Scan(&statusID); err != nil {
			return err
		}
		if mode == "gone" {
			_, err := tx.ExecContext(ctx, `INSERT INTO thread_fetches (status_id, mode, fetched_at) VALUES (?, 'gone', ?)
				ON CONFLICT (status_id) DO NOTHING`, statusID, at)
			return err
		}
		p, err := preparePage(ctx, tx)
		if err != nil {
			return err
		}
		defer p.close()
		if _, err := tx.ExecContext(ctx, `DELETE FROM thread_links WHERE status_id = ?`, statusID); err != nil {
			return err
		}
		indexed := false
		for _, part := range []struct {
			rel string
			sts []fedimarks.Status
		}{{"ancestor", ancestors}, {"descendant", descendants}} {
			for i, s := range part.sts {
				if s.URI == "" || len(s.Raw) == 0 {
					continue
				}
				id, what, err := p.saveIndexed(ctx, s, host, at)
				if err != nil {
					return err
				}
				indexed = indexed || what != unchanged
				if id == statusID {
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO thread_links (status_id, context_id, relation, idx) VALUES (?, ?, ?, ?)
					ON CONFLICT DO NOTHING`, statusID, id, part.rel, i); err != nil {
					return err
				}
			}
		}
		if indexed {
			// The index's statistics changed, and with them the
			// relevance scores of every ranked search, though no
			// bookmark did (a thread's posts are no account's): a
			// row of no account in listing_changes says so to the
			// kept matches of ranked searches (see keptMatches).
			if _, err := tx.ExecContext(ctx, `INSERT INTO listing_changes (account, position, id, labels) VALUES ('', 0, 0, 0)`); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO thread_fetches (status_id, mode, fetched_at) VALUES (?, ?, ?)
			ON CONFLICT (status_id) DO UPDATE SET mode = excluded.mode, fetched_at = excluded.fetched_at`, statusID, mode, at)
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM thread_cuts WHERE status_id = ?`, statusID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("save thread of %s: %w", uri, err)
	}
	return nil
}

// ThreadOf returns the kept thread of the archived post uri: the posts it
// replies to (oldest first) and the replies below it, in the server's
// order; none when no thread was fetched.
func (a *Archive) ThreadOf(ctx context.Context, uri string) (ancestors, descendants []fedimarks.Status, err error) {
	rows, err := a.r.QueryContext(ctx, `SELECT l.relation, c.raw, c.host FROM statuses s
		JOIN thread_links l ON l.status_id = s.id JOIN statuses c ON c.id = l.context_id
		WHERE s.uri = ? ORDER BY l.relation, l.idx`, uri)
	if err != nil {
		return nil, nil, fmt.Errorf("read thread of %s: %w", uri, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rel, host string
			raw       []byte
		)
		if err := rows.Scan(&rel, &raw, &host); err != nil {
			return nil, nil, fmt.Errorf("read thread of %s: %w", uri, err)
		}
		s, err := parseStored(raw, host)
		if err != nil {
			return nil, nil, fmt.Errorf("read thread of %s: %w", uri, err)
		}
		if rel == "ancestor" {
			ancestors = append(ancestors, s)
		} else {
			descendants = append(descendants, s)
		}
	}
	return ancestors, descendants, rows.Err()
}

// SearchContext returns the thread posts (kept by backup --context) of
// q.Account's bookmarks that match q's text, best first, at most q.Limit
// (0: all), each once, with Hit.ContextOf the bookmarked post whose
// thread holds it (the newest such bookmark). Posts that are bookmarks
// themselves are left out: Search finds them. Only the text and
// IncludeRemoved of q apply; a query without text finds nothing.
func (a *Archive) SearchContext(ctx context.Context, q fedimarks.Query) ([]fedimarks.Hit, error) {
	terms := q.Terms()
	if q.Account == "" || len(terms) == 0 {
		return nil, nil
	}
	if _, err := a.IndexSearch(ctx); err != nil {
		return nil, err
	}
	// Without a thread post in the archive (no backup --context ran)
	// there is nothing to find: reading the text's matches to learn it
	// cost a common word's page 2.5 ms at 100,000 posts.
	var threads bool
	if err := a.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM thread_links)`).Scan(&threads); err != nil {
		return nil, fmt.Errorf("search threads of %s: %w", q.Account, err)
	}
	if !threads {
		return nil, nil
	}
	removed := ` AND b.removed_at IS NULL`
	if q.IncludeRemoved {
		removed = ``
	}
	limit, _ := limitOffset(q.Limit, 0)
	// Only the matches that are thread posts are scored and get a
	// snippet (the + keeps the list a test on each match, not lookups
	// driving the index): scoring every match of a common word cost a
	// search page 40 ms at 100,000 posts, with no thread kept.
	rows, err := a.r.QueryContext(ctx, `WITH m AS (
			SELECT f.rowid AS cid, `+bm25Score+` AS score,
				snippet(search_fts, 0, char(2), char(3), '…', 32) AS snip
			FROM search_fts f WHERE search_fts MATCH ? AND +f.rowid IN (SELECT context_id FROM thread_links))
		SELECT c.raw, c.host, m.score, m.snip, c.plain_text,
			(SELECT s.uri FROM thread_links l JOIN bookmarks b ON b.status_id = l.status_id AND b.account = ?`+removed+`
				JOIN statuses s ON s.id = l.status_id
				WHERE l.context_id = m.cid ORDER BY b.position DESC LIMIT 1) AS of
		FROM m JOIN statuses c ON c.id = m.cid
		WHERE of IS NOT NULL AND m.cid NOT IN (SELECT status_id FROM bookmarks WHERE account = ?)
		ORDER BY m.score, c.id LIMIT ?`,
		matchExpr(terms, q.Excluded()), string(q.Account), string(q.Account), limit)
	if err != nil {
		return nil, fmt.Errorf("search threads of %s: %w", q.Account, err)
	}
	defer rows.Close()
	var hits []fedimarks.Hit
	for rows.Next() {
		var (
			raw         []byte
			host        string
			snip, plain sql.NullString
			h           = fedimarks.Hit{Bookmark: fedimarks.Bookmark{Account: string(q.Account)}}
		)
		if err := rows.Scan(&raw, &host, &h.Rank, &snip, &plain, &h.ContextOf); err != nil {
			return nil, fmt.Errorf("search threads of %s: %w", q.Account, err)
		}
		if h.Bookmark.Status, err = parseStored(raw, host); err != nil {
			return nil, fmt.Errorf("search threads of %s: %w", q.Account, err)
		}
		h.Snippet = snip.String
		if !strings.Contains(h.Snippet, fedimarks.HighlightStart) {
			h.Snippet = shorten(markStripper.Replace(plain.String), snippetRunes)
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// BookmarkOf returns h's bookmark of the post uri (removed ones too), with
// its labels, or nil when h has none: what the page shows when a thread
// post found by a search links to its bookmarked post.
func (a *Archive) BookmarkOf(ctx context.Context, h fedimarks.Handle, uri string) (*fedimarks.Bookmark, error) {
	var (
		raw                       []byte
		host, localID             string
		first, last, removedAtStr sql.NullString
		tags, note                sql.NullString
	)
	err := a.r.QueryRowContext(ctx, `SELECT s.raw, s.host, b.local_id, b.first_seen, b.last_seen, b.removed_at, `+labelColumns+`
		FROM bookmarks b JOIN statuses s ON s.id = b.status_id
		WHERE b.account = ? AND s.uri = ? ORDER BY b.position DESC LIMIT 1`, string(h), uri).
		Scan(&raw, &host, &localID, &first, &last, &removedAtStr, &tags, &note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read bookmark %s of %s: %w", uri, h, err)
	}
	b := &fedimarks.Bookmark{Account: string(h)}
	setLabels(b, tags, note)
	if b.Status, err = parseStored(raw, host); err != nil {
		return nil, fmt.Errorf("read bookmark %s of %s: %w", uri, h, err)
	}
	if localID != "" {
		b.Status.ID = localID
	}
	if b.FirstSeen, err = parseTime(first); err != nil {
		return nil, err
	}
	if b.LastSeen, err = parseTime(last); err != nil {
		return nil, err
	}
	if removedAtStr.Valid {
		t, err := parseTime(removedAtStr)
		if err != nil {
			return nil, err
		}
		b.RemovedAt = &t
	}
	return b, nil
}
