package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// SyncPair is one direction that 'fedimarks sync' keeps: the bookmarks of
// Source copied to Dest. What sync added to Dest are the imported rows of
// the import job keyed SyncJobKey(Source, Dest).
type SyncPair struct {
	Source, Dest fedimarks.Handle
	Mirror, Both bool
	CreatedAt    time.Time
	// LastCheck is when the last check ended (zero: never), LastOK when
	// the last one that went through did.
	LastCheck, LastOK time.Time
	// SourceCount and DestCount are the bookmarks each side had in the
	// archive at the last check that went through.
	SourceCount, DestCount int
	// Removed counts the bookmarks sync removed from Dest (--mirror).
	Removed int
	// Failures counts the checks that failed in a row; LastError is the
	// latest one's message ("" when the last check went through).
	Failures  int
	LastError string
}

// SyncJobKey is the key of the import job that copies source to dest.
func SyncJobKey(source, dest fedimarks.Handle) string {
	return "sync " + string(source) + " " + string(dest)
}

// SaveSyncPair stores the pair (source, dest) with its mode, or updates
// the mode of the one stored.
func (a *Archive) SaveSyncPair(ctx context.Context, p SyncPair, now time.Time) error {
	_, err := a.w.ExecContext(ctx, `INSERT INTO sync_pairs (source, dest, mirror, both_ways, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source, dest) DO UPDATE SET mirror = excluded.mirror, both_ways = excluded.both_ways`,
		string(p.Source), string(p.Dest), p.Mirror, p.Both, fmtTime(now))
	if err != nil {
		return fmt.Errorf("save sync %s to %s: %w", p.Source, p.Dest, err)
	}
	return nil
}

// SyncCheck is what one check of a pair found.
type SyncCheck struct {
	At time.Time
	// Err is the check's failure ("" when it went through).
	Err                    string
	SourceCount, DestCount int
}

// RecordSyncCheck stores the end of a check of the pair (source, dest).
func (a *Archive) RecordSyncCheck(ctx context.Context, source, dest fedimarks.Handle, c SyncCheck) error {
	at := fmtTime(c.At)
	var err error
	if c.Err == "" {
		_, err = a.w.ExecContext(ctx, `UPDATE sync_pairs SET last_check = ?, last_ok = ?, source_count = ?, dest_count = ?,
			failures = 0, last_error = '' WHERE source = ? AND dest = ?`,
			at, at, c.SourceCount, c.DestCount, string(source), string(dest))
	} else {
		_, err = a.w.ExecContext(ctx, `UPDATE sync_pairs SET last_check = ?, failures = failures + 1, last_error = ?
			WHERE source = ? AND dest = ?`, at, c.Err, string(source), string(dest))
	}
	if err != nil {
		return fmt.Errorf("record sync %s to %s: %w", source, dest, err)
	}
	return nil
}

// SyncPairs returns the stored pairs, by source then dest.
func (a *Archive) SyncPairs(ctx context.Context) ([]SyncPair, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT source, dest, mirror, both_ways, created_at, last_check, last_ok,
		source_count, dest_count, failures, last_error,
		(SELECT count(*) FROM sync_removals r WHERE r.source = p.source AND r.dest = p.dest AND r.state = 'removed')
		FROM sync_pairs p ORDER BY source, dest`)
	if err != nil {
		return nil, fmt.Errorf("read syncs: %w", err)
	}
	defer rows.Close()
	var out []SyncPair
	for rows.Next() {
		var (
			p                    SyncPair
			src, dst             string
			created, check, okAt sql.NullString
		)
		if err := rows.Scan(&src, &dst, &p.Mirror, &p.Both, &created, &check, &okAt,
			&p.SourceCount, &p.DestCount, &p.Failures, &p.LastError, &p.Removed); err != nil {
			return nil, fmt.Errorf("read syncs: %w", err)
		}
		p.Source, p.Dest = fedimarks.Handle(src), fedimarks.Handle(dst)
		for _, t := range []struct {
			s  sql.NullString
			to *time.Time
		}{{created, &p.CreatedAt}, {check, &p.LastCheck}, {okAt, &p.LastOK}} {
			if *t.to, err = parseTime(t.s); err != nil {
				return nil, fmt.Errorf("read syncs: %w", err)
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SyncRemoval is one unbookmark --mirror does on Dest: the post (URI) whose
// bookmark sync added there as DestID.
type SyncRemoval struct {
	ID           int64
	Source, Dest fedimarks.Handle
	URI, DestID  string
	// State is "pending" until the answer, then "removed" or "failed".
	State, Detail string
	At            time.Time
}

// PendingSyncRemovals returns the removals of (source, dest) begun and not
// finished (a run stopped between the record and the answer), oldest first.
func (a *Archive) PendingSyncRemovals(ctx context.Context, source, dest fedimarks.Handle) ([]SyncRemoval, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT id, uri, dest_id, state, detail, at FROM sync_removals
		WHERE source = ? AND dest = ? AND state = 'pending' ORDER BY id`, string(source), string(dest))
	if err != nil {
		return nil, fmt.Errorf("read removals of sync %s to %s: %w", source, dest, err)
	}
	defer rows.Close()
	var out []SyncRemoval
	for rows.Next() {
		r := SyncRemoval{Source: source, Dest: dest}
		var at sql.NullString
		if err := rows.Scan(&r.ID, &r.URI, &r.DestID, &r.State, &r.Detail, &at); err != nil {
			return nil, err
		}
		if r.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// BeginSyncRemoval records, before the request, that the bookmark of uri
// that sync added to dest as destID is about to be removed. It returns the
// removal (the one recorded before if still pending).
func (a *Archive) BeginSyncRemoval(ctx context.Context, source, dest fedimarks.Handle, uri, destID string, now time.Time) (SyncRemoval, error) {
	r := SyncRemoval{Source: source, Dest: dest, URI: uri, DestID: destID, State: "pending", At: now}
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM sync_removals WHERE source = ? AND dest = ? AND uri = ? AND state = 'pending'`,
			string(source), string(dest), uri).Scan(&r.ID)
		if err == nil || err != sql.ErrNoRows {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO sync_removals (source, dest, uri, dest_id, state, at) VALUES (?, ?, ?, ?, 'pending', ?)`,
			string(source), string(dest), uri, destID, fmtTime(now))
		if err != nil {
			return err
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return r, fmt.Errorf("record removal on %s: %w", dest, err)
	}
	return r, nil
}

// FinishSyncRemoval records the answer to a removal. When the bookmark is
// gone from dest (state "removed"), in the same transaction: the row of the
// sync's job is deleted (a later bookmark of the post on the source is new
// again and copied), the job's stored listing of dest forgets it, and the
// archive of dest marks it removed (a 'removed' event), so that nothing
// believes dest still has it. A failed removal changes only its record.
func (a *Archive) FinishSyncRemoval(ctx context.Context, r SyncRemoval, state, detail string, now time.Time) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sync_removals SET state = ?, detail = ?, at = ? WHERE id = ?`,
			state, detail, fmtTime(now), r.ID); err != nil {
			return err
		}
		if state != "removed" {
			return nil
		}
		jobID, err := syncJobID(ctx, tx, r.Source, r.Dest)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_items WHERE job_id = ? AND uri = ? AND outcome = ?`,
			jobID, r.URI, string(fedimarks.Imported)); err != nil {
			return err
		}
		return forgetBookmark(ctx, tx, jobID, r.Dest, r.DestID, now)
	})
	if err != nil {
		return fmt.Errorf("record removal on %s: %w", r.Dest, err)
	}
	return nil
}

// syncJobID is the id of the job of sync source to dest (0: none yet).
func syncJobID(ctx context.Context, tx *sql.Tx, source, dest fedimarks.Handle) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM import_jobs WHERE job_key = ? ORDER BY id DESC LIMIT 1`, SyncJobKey(source, dest)).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}

// forgetBookmark records that dest no longer has the post destID
// bookmarked: the job's stored listing of dest forgets it and the archive
// of dest marks it removed (a 'removed' event).
func forgetBookmark(ctx context.Context, tx *sql.Tx, jobID int64, dest fedimarks.Handle, destID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_listed WHERE job_id = ? AND status_id = ?`, jobID, destID); err != nil {
		return err
	}
	at := fmtTime(now)
	const mark = `account = ? AND local_id = ? AND removed_at IS NULL`
	if _, err := tx.ExecContext(ctx, `INSERT INTO bookmark_events (account, status_id, event, at)
		SELECT account, status_id, 'removed', ? FROM bookmarks WHERE `+mark, at, string(dest), destID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE bookmarks SET removed_at = ? WHERE `+mark, at, string(dest), destID)
	return err
}

// RedoStaleAlready puts back to pending the row (itemID) of the job of
// sync source to dest that ended already because the archive of dest
// listed the post (destID there), when dest says it is no longer
// bookmarked: the archive and the job's listing forget the bookmark, so
// that the next run writes the row.
func (a *Archive) RedoStaleAlready(ctx context.Context, source, dest fedimarks.Handle, itemID int64, destID string, now time.Time) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		jobID, err := syncJobID(ctx, tx, source, dest)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE import_items SET outcome = ?, detail = '', in_flight = 0, updated_at = ? WHERE id = ? AND job_id = ? AND outcome = ?`,
			string(fedimarks.Pending), fmtTime(now), itemID, jobID, string(fedimarks.Already)); err != nil {
			return err
		}
		return forgetBookmark(ctx, tx, jobID, dest, destID, now)
	})
	if err != nil {
		return fmt.Errorf("redo a row of sync %s to %s: %w", source, dest, err)
	}
	return nil
}
