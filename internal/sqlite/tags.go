package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// Local tags and notes are keyed by (account, post URI): see migration
// 0040. They are never deleted by a backup, full or not.

// EditTags adds and removes local tags of h's post uri (tags as
// fedimarks.ParseTag returns them). Adding a tag the post has, or removing
// one it lacks, is no change.
func (a *Archive) EditTags(ctx context.Context, h fedimarks.Handle, uri string, add, remove []string) error {
	now := a.now()
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		return editTags(ctx, tx, h, uri, add, remove, now)
	})
	if err != nil {
		return fmt.Errorf("tag %s for %s: %w", uri, h, err)
	}
	return nil
}

func editTags(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, uri string, add, remove []string, at time.Time) error {
	for _, t := range add {
		if _, err := tx.ExecContext(ctx, `INSERT INTO bookmark_tags (account, uri, tag, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, string(h), uri, t, fmtTime(at)); err != nil {
			return err
		}
	}
	for _, t := range remove {
		if _, err := tx.ExecContext(ctx, `DELETE FROM bookmark_tags WHERE account = ? AND uri = ? AND tag = ?`,
			string(h), uri, t); err != nil {
			return err
		}
	}
	return nil
}

// SetNote sets the note of h's post uri; "" removes it.
func (a *Archive) SetNote(ctx context.Context, h fedimarks.Handle, uri, note string) error {
	now := a.now()
	err := a.inTx(ctx, func(tx *sql.Tx) error { return setNote(ctx, tx, h, uri, note, now) })
	if err != nil {
		return fmt.Errorf("note %s for %s: %w", uri, h, err)
	}
	return nil
}

func setNote(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, uri, note string, at time.Time) error {
	if note == "" {
		_, err := tx.ExecContext(ctx, `DELETE FROM bookmark_notes WHERE account = ? AND uri = ?`, string(h), uri)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO bookmark_notes (account, uri, note, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (account, uri) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at
		WHERE note IS NOT excluded.note`, string(h), uri, note, fmtTime(at))
	return err
}

// Labels is the tags and note one post carries.
type Labels struct {
	URI  string
	Tags []string
	Note string
}

// AddLabels records, in one transaction, the tags (added to those the post
// has) and notes (only where the post has none: a note h wrote is never
// overwritten) of many posts for h: what an import read from a fedimarks
// export. The posts need not be archived yet: h's next backup brings them,
// and the labels apply. It returns how many posts got a new tag or note,
// so that a rerun (or a sync) that changes nothing returns 0.
func (a *Archive) AddLabels(ctx context.Context, h fedimarks.Handle, ls []Labels) (int, error) {
	n := 0
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		at := a.now()
		for _, l := range ls {
			if l.URI == "" || len(l.Tags) == 0 && l.Note == "" {
				continue
			}
			changed := false
			for _, t := range l.Tags {
				res, err := tx.ExecContext(ctx, `INSERT INTO bookmark_tags (account, uri, tag, added_at) VALUES (?, ?, ?, ?)
					ON CONFLICT DO NOTHING`, string(h), l.URI, t, fmtTime(at))
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				changed = changed || k > 0
			}
			if l.Note != "" {
				res, err := tx.ExecContext(ctx, `INSERT INTO bookmark_notes (account, uri, note, updated_at) VALUES (?, ?, ?, ?)
					ON CONFLICT (account, uri) DO NOTHING`, string(h), l.URI, l.Note, fmtTime(at))
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				changed = changed || k > 0
			}
			if changed {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record tags and notes for %s: %w", h, err)
	}
	return n, nil
}

// TagCount is one tag and how many of an account's posts carry it.
type TagCount struct {
	Tag   string
	Count int
}

// TagCounts returns h's tags, most used first (ties by name), counting
// the posts that carry each, archived or still to come.
func (a *Archive) TagCounts(ctx context.Context, h fedimarks.Handle) ([]TagCount, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT tag, count(*) FROM bookmark_tags WHERE account = ?
		GROUP BY tag ORDER BY count(*) DESC, tag`, string(h))
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", h, err)
	}
	defer rows.Close()
	var out []TagCount
	for rows.Next() {
		var c TagCount
		if err := rows.Scan(&c.Tag, &c.Count); err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", h, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", h, err)
	}
	return out, nil
}

// BookmarkURIs returns the URIs of h's bookmarks (removed ones included)
// whose post URI or web address is ref.
func (a *Archive) BookmarkURIs(ctx context.Context, h fedimarks.Handle, ref string) ([]string, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT s.uri FROM bookmarks b JOIN statuses s ON s.id = b.status_id
		WHERE b.account = ? AND (s.uri = ? OR (s.url = ? AND s.url <> ''))
		ORDER BY b.position DESC, b.id DESC`, string(h), ref, ref)
	if err != nil {
		return nil, fmt.Errorf("find %s in bookmarks of %s: %w", ref, h, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// labelColumns are the tags (comma-joined, sorted) and note of the
// bookmark b of status s, for a SELECT over bookmarks b JOIN statuses s.
const labelColumns = `(SELECT group_concat(tag, ',') FROM (SELECT tag FROM bookmark_tags t
		WHERE t.account = b.account AND t.uri = s.uri ORDER BY tag)),
	(SELECT note FROM bookmark_notes n WHERE n.account = b.account AND n.uri = s.uri)`

// setLabels fills b's Tags and Note from labelColumns' values.
func setLabels(b *fedimarks.Bookmark, tags, note sql.NullString) {
	if tags.String != "" {
		b.Tags = strings.Split(tags.String, ",")
	}
	b.Note = note.String
}

// labelFilters adds q's tag and note filters to a search over bookmarks b
// of the posts whose ids are the column status (b.status_id, or the index
// row joined to it: then the filters are checked on each match before its
// bookmark is looked up). Each is a list read once (the posts carrying a
// tag, or a note), not a test run for each bookmark: SQLite can then start
// from a rare tag's few posts, or walk the bookmarks in date order against
// a common one's list, where testing each bookmark walked the whole
// archive for a page of a rare tag (240 ms at 10,000 bookmarks).
func labelFilters(q fedimarks.Query, status string, conds []string, args []any) ([]string, []any) {
	tagged := status + ` IN (` + tagPostsSQL + `)`
	for _, t := range q.Tags {
		conds, args = append(conds, tagged), append(args, string(q.Account), t)
	}
	for _, t := range q.NotTags {
		conds, args = append(conds, `NOT `+tagged), append(args, string(q.Account), t)
	}
	if q.HasNote {
		conds = append(conds, status+` IN (SELECT s.id FROM bookmark_notes n JOIN statuses s ON s.uri = n.uri
			WHERE n.account = ?)`)
		args = append(args, string(q.Account))
	}
	return conds, args
}

// tagPostsSQL lists the archived posts (statuses.id) that carry a tag
// (two arguments: the account and the tag), read from the key of
// tag_posts (migration 0090).
const tagPostsSQL = `SELECT status_id FROM tag_posts WHERE account = ? AND tag = ?`

// noteMatchSQL is the condition that bookmark b's note matches an FTS5
// expression (one argument).
const noteMatchSQL = `b.status_id IN (SELECT s.id FROM notes_fts JOIN bookmark_notes n ON n.id = notes_fts.rowid
		JOIN statuses s ON s.uri = n.uri WHERE notes_fts MATCH ? AND n.account = b.account)`

// notesMatch reports whether any of q.Account's notes matches q's text, so
// that the search must also look at notes (it is cheaper when not).
func (a *Archive) notesMatch(ctx context.Context, q fedimarks.Query) (bool, error) {
	terms := q.Terms()
	if len(terms) == 0 {
		return false, nil
	}
	var ok bool
	err := a.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM notes_fts JOIN bookmark_notes n ON n.id = notes_fts.rowid
		WHERE notes_fts MATCH ? AND n.account = ?)`, matchExpr(terms, q.Excluded()), string(q.Account)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("search notes of %s: %w", q.Account, err)
	}
	return ok, nil
}

// bm25Score is a post match's relevance (lower is better); noteScore is
// that of a search whose text may match notes: a match in the note alone
// ranks after every match in the post.
const (
	bm25Score = `bm25(search_fts, 1.0, 1.0, 2.0, 0.5)`
	noteScore = `coalesce(f.rank, 0.0)`
)

// SetTags makes tags (as fedimarks.ParseTag returns them) the whole set of
// local tags of h's post uri.
func (a *Archive) SetTags(ctx context.Context, h fedimarks.Handle, uri string, tags []string) error {
	now := a.now()
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT tag FROM bookmark_tags WHERE account = ? AND uri = ?`, string(h), uri)
		if err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, t := range tags {
			keep[t] = true
		}
		var drop []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return err
			}
			if !keep[t] {
				drop = append(drop, t)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return editTags(ctx, tx, h, uri, tags, drop, now)
	})
	if err != nil {
		return fmt.Errorf("tag %s for %s: %w", uri, h, err)
	}
	return nil
}
