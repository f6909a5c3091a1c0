package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// ListOptions selects an account's bookmarks. The zero value lists every
// bookmark not removed.
type ListOptions struct {
	// IncludeRemoved also lists bookmarks that a full backup found gone.
	IncludeRemoved bool
	// Limit and Offset page the list; 0 means no limit or offset.
	Limit, Offset int
}

// Bookmarks returns h's bookmarks newest first, as the server listed them.
// Each Status is parsed from the stored raw JSON, except that Status.ID is
// the post's id on h's server (the raw JSON may have come from another
// account's server, since statuses are shared by URI).
func (a *Archive) Bookmarks(ctx context.Context, h fedimarks.Handle, opt ListOptions) ([]fedimarks.Bookmark, error) {
	var bs []fedimarks.Bookmark
	err := a.EachBookmark(ctx, h, opt, func(b fedimarks.Bookmark) error {
		bs = append(bs, b)
		return nil
	})
	return bs, err
}

// EachBookmark calls fn for each of h's bookmarks in Bookmarks' order,
// reading them one at a time so that memory stays constant. It stops at
// the first error fn returns and returns it unwrapped. fn may call other
// methods of the Archive, writes included: the read sees the archive as it
// was when it began.
func (a *Archive) EachBookmark(ctx context.Context, h fedimarks.Handle, opt ListOptions, fn func(fedimarks.Bookmark) error) error {
	limit, offset := limitOffset(opt.Limit, opt.Offset)
	q := `SELECT s.raw, s.host, b.local_id, b.first_seen, b.last_seen, b.removed_at, ` + labelColumns + `
		FROM bookmarks b JOIN statuses s ON s.id = b.status_id
		WHERE b.account = ?`
	if !opt.IncludeRemoved {
		q += ` AND b.removed_at IS NULL`
	}
	q += ` ORDER BY b.position DESC, b.id DESC LIMIT ? OFFSET ?`
	rows, err := a.r.QueryContext(ctx, q, string(h), limit, offset)
	if err != nil {
		return fmt.Errorf("read bookmarks of %s: %w", h, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			raw                       []byte
			host, localID             string
			first, last, removedAtStr sql.NullString
			tags, note                sql.NullString
		)
		if err := rows.Scan(&raw, &host, &localID, &first, &last, &removedAtStr, &tags, &note); err != nil {
			return fmt.Errorf("read bookmarks of %s: %w", h, err)
		}
		b := fedimarks.Bookmark{Account: string(h)}
		setLabels(&b, tags, note)
		if b.Status, err = parseStored(raw, host); err != nil {
			return fmt.Errorf("read bookmarks of %s: %w", h, err)
		}
		if localID != "" {
			b.Status.ID = localID
		}
		if b.FirstSeen, err = parseTime(first); err != nil {
			return fmt.Errorf("read bookmarks of %s: %w", h, err)
		}
		if b.LastSeen, err = parseTime(last); err != nil {
			return fmt.Errorf("read bookmarks of %s: %w", h, err)
		}
		if removedAtStr.Valid {
			t, err := parseTime(removedAtStr)
			if err != nil {
				return fmt.Errorf("read bookmarks of %s: %w", h, err)
			}
			b.RemovedAt = &t
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read bookmarks of %s: %w", h, err)
	}
	return nil
}

// Counts is how many of an account's bookmarks are active and how many
// were removed on the server (kept as history).
type Counts struct {
	Active, Removed int
}

// Counts counts h's bookmarks; an account with none has zero Counts. The
// counts are kept as bookmarks change: reading them costs the same however
// many there are.
func (a *Archive) Counts(ctx context.Context, h fedimarks.Handle) (Counts, error) {
	var c Counts
	err := a.r.QueryRowContext(ctx, `SELECT active, removed FROM bookmark_counts WHERE account = ?`, string(h)).
		Scan(&c.Active, &c.Removed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Counts{}, fmt.Errorf("count bookmarks of %s: %w", h, err)
	}
	return c, nil
}

// ArchivedAccounts returns, sorted, the handles that have bookmarks in the
// archive (removed ones included), signed in or not.
func (a *Archive) ArchivedAccounts(ctx context.Context) ([]fedimarks.Handle, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT account FROM bookmark_counts WHERE active > 0 OR removed > 0 ORDER BY account`)
	if err != nil {
		return nil, fmt.Errorf("list archived accounts: %w", err)
	}
	defer rows.Close()
	var hs []fedimarks.Handle
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("list archived accounts: %w", err)
		}
		hs = append(hs, fedimarks.Handle(h))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list archived accounts: %w", err)
	}
	return hs, nil
}

// Event is one change of a bookmark that a backup saw: Event is "added",
// "removed" or "restored".
type Event struct {
	URI   string
	Event string
	At    time.Time
}

// History returns h's bookmark events newest first, at most limit of them
// (0 = all).
func (a *Archive) History(ctx context.Context, h fedimarks.Handle, limit int) ([]Event, error) {
	lim, _ := limitOffset(limit, 0)
	rows, err := a.r.QueryContext(ctx, `SELECT s.uri, e.event, e.at
		FROM bookmark_events e JOIN statuses s ON s.id = e.status_id
		WHERE e.account = ? ORDER BY e.at DESC, e.id DESC LIMIT ?`, string(h), lim)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", h, err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var (
			ev Event
			at sql.NullString
		)
		if err := rows.Scan(&ev.URI, &ev.Event, &at); err != nil {
			return nil, fmt.Errorf("read history of %s: %w", h, err)
		}
		if ev.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("read history of %s: %w", h, err)
		}
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of %s: %w", h, err)
	}
	return evs, nil
}

// StatusByURI returns the archived status whose URI is uri or, failing
// that, whose web URL is uri; nil and no error if none is archived.
func (a *Archive) StatusByURI(ctx context.Context, uri string) (*fedimarks.Status, error) {
	var (
		raw  []byte
		host string
	)
	err := a.r.QueryRowContext(ctx, `SELECT raw, host FROM statuses WHERE uri = ?`, uri).Scan(&raw, &host)
	if errors.Is(err, sql.ErrNoRows) && uri != "" {
		err = a.r.QueryRowContext(ctx, `SELECT raw, host FROM statuses WHERE url = ? AND url <> '' ORDER BY id LIMIT 1`, uri).Scan(&raw, &host)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read status %s: %w", uri, err)
	}
	s, err := parseStored(raw, host)
	if err != nil {
		return nil, fmt.Errorf("read status %s: %w", uri, err)
	}
	return &s, nil
}
