package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// Bookmark folders: see migration 0042.

type folderMember struct{ folder, tag string }

// SaveFolders records h's folders as its server listed them, and members
// (post URI -> folder id) as the listings of those folders showed them.
// Each member carries its folder's tag (fedimarks.FolderTag), replacing
// the one it carried before. complete says every folder's listing was read
// to its end: only then are the bookmarks recorded in a folder and not in
// members taken out of it (a listing cut short says nothing of them).
func (a *Archive) SaveFolders(ctx context.Context, h fedimarks.Handle, folders []fedimarks.Folder, members map[string]string, complete bool, now time.Time) (fedimarks.FolderChanges, error) {
	var ch fedimarks.FolderChanges
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		ch = fedimarks.FolderChanges{}
		byID, err := saveFolderList(ctx, tx, h, folders, now)
		if err != nil {
			return err
		}
		old, err := readMembers(ctx, tx, h)
		if err != nil {
			return err
		}
		if err := fileMembers(ctx, tx, h, members, byID, old, now, &ch); err != nil {
			return err
		}
		if !complete {
			return nil
		}
		return unfileGone(ctx, tx, h, members, old, now, &ch)
	})
	if err != nil {
		return fedimarks.FolderChanges{}, fmt.Errorf("save folders of %s: %w", h, err)
	}
	return ch, nil
}

// saveFolderList replaces h's folders by folders, read at now, and
// returns them by id.
func saveFolderList(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, folders []fedimarks.Folder, now time.Time) (map[string]fedimarks.Folder, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM bookmark_folders WHERE account = ?`, string(h)); err != nil {
		return nil, err
	}
	byID := map[string]fedimarks.Folder{}
	for _, f := range folders {
		byID[f.ID] = f
		if _, err := tx.ExecContext(ctx, `INSERT INTO bookmark_folders (account, folder_id, name, emoji, seen_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, string(h), f.ID, f.Name, f.Emoji, fmtTime(now)); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO folder_reads (account, read_at) VALUES (?, ?)
		ON CONFLICT (account) DO UPDATE SET read_at = excluded.read_at`, string(h), fmtTime(now)); err != nil {
		return nil, err
	}
	return byID, nil
}

// fileMembers files each post of members (uri to folder id) in its
// folder, counting in ch the posts newly filed and those whose folder was
// renamed.
func fileMembers(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, members map[string]string, byID map[string]fedimarks.Folder,
	old map[string]folderMember, now time.Time, ch *fedimarks.FolderChanges) error {
	for uri, id := range members {
		f, ok := byID[id]
		if !ok {
			continue // a folder made between the two readings: the next backup files it
		}
		tag := fedimarks.FolderTag(f.Name)
		was, had := old[uri]
		switch {
		case !had || was.folder != id:
			ch.Filed++
		case was.tag != tag:
			ch.Renamed++
		default:
			continue
		}
		if err := setMember(ctx, tx, h, uri, id, was.tag, tag, now); err != nil {
			return err
		}
	}
	return nil
}

// unfileGone takes out of their folders the posts of old that members no
// longer holds, counting them in ch.
func unfileGone(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, members map[string]string, old map[string]folderMember,
	now time.Time, ch *fedimarks.FolderChanges) error {
	for uri, was := range old {
		if _, ok := members[uri]; ok {
			continue
		}
		ch.Unfiled++
		if err := editTags(ctx, tx, h, uri, nil, []string{was.tag}, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM folder_members WHERE account = ? AND uri = ?`, string(h), uri); err != nil {
			return err
		}
	}
	return nil
}

func readMembers(ctx context.Context, tx *sql.Tx, h fedimarks.Handle) (map[string]folderMember, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uri, folder_id, tag FROM folder_members WHERE account = ?`, string(h))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]folderMember{}
	for rows.Next() {
		var uri string
		var m folderMember
		if err := rows.Scan(&uri, &m.folder, &m.tag); err != nil {
			return nil, err
		}
		out[uri] = m
	}
	return out, rows.Err()
}

// setMember files uri in folder id, replacing the tag oldTag ("" none) by
// tag.
func setMember(ctx context.Context, tx *sql.Tx, h fedimarks.Handle, uri, id, oldTag, tag string, now time.Time) error {
	var remove []string
	if oldTag != "" && oldTag != tag {
		remove = []string{oldTag}
	}
	if err := editTags(ctx, tx, h, uri, []string{tag}, remove, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO folder_members (account, uri, folder_id, tag) VALUES (?, ?, ?, ?)
		ON CONFLICT (account, uri) DO UPDATE SET folder_id = excluded.folder_id, tag = excluded.tag`,
		string(h), uri, id, tag)
	return err
}

// FoldersByURI returns the folder each of h's foldered bookmarks is in,
// by post URI, as the last backup saw it.
func (a *Archive) FoldersByURI(ctx context.Context, h fedimarks.Handle) (map[string]fedimarks.Folder, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT m.uri, f.folder_id, f.name, f.emoji
		FROM folder_members m JOIN bookmark_folders f ON f.account = m.account AND f.folder_id = m.folder_id
		WHERE m.account = ?`, string(h))
	if err != nil {
		return nil, fmt.Errorf("read folders of %s: %w", h, err)
	}
	defer rows.Close()
	out := map[string]fedimarks.Folder{}
	for rows.Next() {
		var uri string
		var f fedimarks.Folder
		if err := rows.Scan(&uri, &f.ID, &f.Name, &f.Emoji); err != nil {
			return nil, fmt.Errorf("read folders of %s: %w", h, err)
		}
		out[uri] = f
	}
	return out, rows.Err()
}

// FolderCount is one of an account's folders and how many of its active
// bookmarks are in it.
type FolderCount struct {
	fedimarks.Folder
	Count int
}

// FolderCounts returns h's folders as the last backup saw them, by name,
// with their active bookmarks counted.
func (a *Archive) FolderCounts(ctx context.Context, h fedimarks.Handle) ([]FolderCount, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT f.folder_id, f.name, f.emoji,
			(SELECT count(*) FROM folder_members m JOIN statuses s ON s.uri = m.uri
				JOIN bookmarks b ON b.status_id = s.id AND b.account = m.account AND b.removed_at IS NULL
				WHERE m.account = f.account AND m.folder_id = f.folder_id)
		FROM bookmark_folders f WHERE f.account = ? ORDER BY f.name`, string(h))
	if err != nil {
		return nil, fmt.Errorf("count folders of %s: %w", h, err)
	}
	defer rows.Close()
	var out []FolderCount
	for rows.Next() {
		var c FolderCount
		if err := rows.Scan(&c.ID, &c.Name, &c.Emoji, &c.Count); err != nil {
			return nil, fmt.Errorf("count folders of %s: %w", h, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Filings returns the posts an import or migrate filed into a folder of
// h's (post address -> folder name).
func (a *Archive) Filings(ctx context.Context, h fedimarks.Handle) (map[string]string, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT uri, folder FROM folder_filings WHERE account = ?`, string(h))
	if err != nil {
		return nil, fmt.Errorf("read folder filings of %s: %w", h, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var uri, name string
		if err := rows.Scan(&uri, &name); err != nil {
			return nil, fmt.Errorf("read folder filings of %s: %w", h, err)
		}
		out[uri] = name
	}
	return out, rows.Err()
}

// RecordFiling records that the post at uri was filed into h's folder
// named folder.
func (a *Archive) RecordFiling(ctx context.Context, h fedimarks.Handle, uri, folder string, now time.Time) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO folder_filings (account, uri, folder, filed_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, uri) DO UPDATE SET folder = excluded.folder, filed_at = excluded.filed_at`,
			string(h), uri, folder, fmtTime(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("record filing of %s for %s: %w", uri, h, err)
	}
	return nil
}

// FoldersReadAt is when SaveFolders last recorded h's folders (zero:
// never).
func (a *Archive) FoldersReadAt(ctx context.Context, h fedimarks.Handle) (time.Time, error) {
	var at sql.NullString
	err := a.r.QueryRowContext(ctx, `SELECT read_at FROM folder_reads WHERE account = ?`, string(h)).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("read folders of %s: %w", h, err)
	}
	return parseTime(at)
}
