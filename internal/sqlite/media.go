package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// The kinds of a post's local files (LocalMedia.Kind).
const (
	KindOriginal = "original" // an attachment's full file
	KindPreview  = "preview"  // an attachment's small preview (a still, for video)
	KindAvatar   = "avatar"   // the author's avatar
)

// LocalMedia is one remote file of a post and how far its download got.
// The local copy, when State is fedimarks.MediaDone, is the file named by SHA256 in the
// media directory (backup.BlobPath gives its path).
type LocalMedia struct {
	// Kind is KindOriginal, KindPreview or KindAvatar.
	Kind string
	// Index is the attachment's position in the post (0 for avatars).
	Index int
	// Type is the attachment's type (image, video, gifv, audio, unknown);
	// "" for avatars.
	Type string
	// URL is the remote file's address as the status JSON names it.
	URL         string
	Description string
	// State is how far the download got (fedimarks.MediaPending, ...).
	State fedimarks.MediaState
	// Error says why a failed or missing file was not downloaded.
	Error string
	// Attempts counts the downloads tried.
	Attempts    int
	SHA256      string // hex, set when done
	Size        int64
	ContentType string
	// FetchedAt is when the file was last tried (zero if never).
	FetchedAt time.Time
}

// QueueMedia records the files of every post account h has bookmarked
// (removed bookmarks included) that are not recorded yet: each attachment's
// original and preview and the author's avatar (for a boost, the boosted
// post's). Files are known by URL, so a file two posts share is one row.
// Only posts new or changed since the last call are read, so calling it
// again is cheap and adds nothing new. It returns the number of files
// added, which start pending. A post whose stored JSON cannot be read is
// skipped.
func (a *Archive) QueueMedia(ctx context.Context, h fedimarks.Handle) (int, error) {
	added := 0
	now := fmtTime(a.now())
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.raw, s.fetched_at FROM statuses s
			WHERE s.id IN (SELECT status_id FROM bookmarks WHERE account = ?)
			AND NOT EXISTS (SELECT 1 FROM media_scans m WHERE m.status_id = s.id AND m.fetched_at = s.fetched_at)
			ORDER BY s.id`, string(h))
		if err != nil {
			return err
		}
		type todo struct {
			id      int64
			raw     []byte
			fetched string
		}
		var todos []todo
		for rows.Next() {
			var t todo
			if err := rows.Scan(&t.id, &t.raw, &t.fetched); err != nil {
				rows.Close()
				return err
			}
			todos = append(todos, t)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		q, err := prepareQueue(ctx, tx)
		if err != nil {
			return err
		}
		defer q.close()
		for _, t := range todos {
			n, err := q.scan(ctx, t.id, t.raw, t.fetched, now)
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue media of %s: %w", h, err)
	}
	return added, nil
}

// queueStmts are the statements QueueMedia runs per post.
type queueStmts struct {
	insertMedia, findMedia, deleteRefs, insertRef, saveScan *sql.Stmt
}

func prepareQueue(ctx context.Context, tx *sql.Tx) (*queueStmts, error) {
	var q queueStmts
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&q.insertMedia, `INSERT INTO media (url, created_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING`},
		{&q.findMedia, `SELECT id FROM media WHERE url = ?`},
		{&q.deleteRefs, `DELETE FROM media_refs WHERE status_id = ?`},
		{&q.insertRef, `INSERT OR IGNORE INTO media_refs (status_id, media_id, kind, idx, type, description) VALUES (?, ?, ?, ?, ?, ?)`},
		{&q.saveScan, `INSERT INTO media_scans (status_id, fetched_at) VALUES (?, ?)
			ON CONFLICT (status_id) DO UPDATE SET fetched_at = excluded.fetched_at`},
	} {
		st, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			q.close()
			return nil, err
		}
		*p.st = st
	}
	return &q, nil
}

func (q *queueStmts) close() {
	for _, st := range []*sql.Stmt{q.insertMedia, q.findMedia, q.deleteRefs, q.insertRef, q.saveScan} {
		if st != nil {
			st.Close()
		}
	}
}

// mediaRef is one file a post shows.
type mediaRef struct {
	url, kind, typ, description string
	idx                         int
}

// refsOf lists the files of the post a stored status shows.
func refsOf(raw []byte) []mediaRef {
	s, err := fedimarks.ParseStatus(raw)
	if err != nil {
		return nil
	}
	o := s.Original()
	var refs []mediaRef
	for k, m := range o.Media {
		orig := m.URL
		if orig == "" {
			orig = m.RemoteURL
		}
		if orig != "" {
			refs = append(refs, mediaRef{url: orig, kind: KindOriginal, typ: m.Type, description: m.Description, idx: k})
		}
		if m.PreviewURL != "" {
			refs = append(refs, mediaRef{url: m.PreviewURL, kind: KindPreview, typ: m.Type, description: m.Description, idx: k})
		}
	}
	for _, u := range []string{o.Account.AvatarStatic, o.Account.Avatar} {
		if u != "" {
			refs = append(refs, mediaRef{url: u, kind: KindAvatar})
		}
	}
	return refs
}

// scan replaces the refs of status id by those of raw and returns the
// number of files recorded for the first time.
func (q *queueStmts) scan(ctx context.Context, id int64, raw []byte, fetched, now string) (int, error) {
	added := 0
	if _, err := q.deleteRefs.ExecContext(ctx, id); err != nil {
		return 0, err
	}
	for _, r := range refsOf(raw) {
		res, err := q.insertMedia.ExecContext(ctx, r.url, now)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if n > 0 {
			added++
		}
		var mediaID int64
		if err := q.findMedia.QueryRowContext(ctx, r.url).Scan(&mediaID); err != nil {
			return 0, err
		}
		if _, err := q.insertRef.ExecContext(ctx, id, mediaID, r.kind, r.idx, r.typ, r.description); err != nil {
			return 0, err
		}
	}
	_, err := q.saveScan.ExecContext(ctx, id, fetched)
	return added, err
}

// PendingMedia returns up to limit (all when limit <= 0) URLs of files to
// download: those pending and those whose last try failed, in the order
// they were queued. Missing, too large and invalid files are not offered
// again.
func (a *Archive) PendingMedia(ctx context.Context, limit int) ([]string, error) {
	limit, _ = limitOffset(limit, 0)
	rows, err := a.r.QueryContext(ctx, `SELECT url FROM media WHERE state IN (?, ?) ORDER BY id LIMIT ?`,
		fedimarks.MediaPending, fedimarks.MediaFailed, limit)
	if err != nil {
		return nil, fmt.Errorf("pending media: %w", err)
	}
	defer rows.Close()
	var urls []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("pending media: %w", err)
		}
		urls = append(urls, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending media: %w", err)
	}
	return urls, nil
}

// SetMediaDone records that the file at url was downloaded: its sha256
// (lower-case hex), size and content type. A url never queued is
// ENotFound.
func (a *Archive) SetMediaDone(ctx context.Context, url, sha256 string, size int64, contentType string) error {
	if len(sha256) != 64 {
		return fedimarks.Errorf(fedimarks.EInvalid, "media done: %q is not a sha256", sha256)
	}
	return a.setMedia(ctx, url, `UPDATE media SET state = ?, error = '', attempts = attempts + 1,
		sha256 = ?, size = ?, content_type = ?, fetched_at = ? WHERE url = ?`,
		fedimarks.MediaDone, sha256, size, contentType, fmtTime(a.now()), url)
}

// SetMediaFailed records that downloading the file at url did not work:
// state is fedimarks.MediaMissing (404 or 410), MediaTooLarge,
// MediaInvalid (an address that can never be downloaded) or MediaFailed
// (retried by the next run); errText says why. Any other state is
// EInvalid, a url never queued ENotFound.
func (a *Archive) SetMediaFailed(ctx context.Context, url string, state fedimarks.MediaState, errText string) error {
	if !state.Failure() {
		return fedimarks.Errorf(fedimarks.EInvalid, "media failed: %q is not a failure state", state)
	}
	return a.setMedia(ctx, url, `UPDATE media SET state = ?, error = ?, attempts = attempts + 1,
		sha256 = '', size = 0, content_type = '', fetched_at = ? WHERE url = ?`,
		state, errText, fmtTime(a.now()), url)
}

func (a *Archive) setMedia(ctx context.Context, url, query string, args ...any) error {
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fedimarks.Errorf(fedimarks.ENotFound, "no media file %q queued", url)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save media state: %w", err)
	}
	return nil
}

// mediaColumns are the columns scanMedia reads, after the ref's.
const mediaColumns = `m.url, m.state, m.error, m.attempts, m.sha256, m.size, m.content_type, m.fetched_at`

func scanMedia(sc rowScanner, lm *LocalMedia, ref ...any) error {
	var fetched sql.NullString
	dest := append(ref, &lm.URL, &lm.State, &lm.Error, &lm.Attempts, &lm.SHA256, &lm.Size, &lm.ContentType, &fetched)
	if err := sc.Scan(dest...); err != nil {
		return err
	}
	t, err := parseTime(fetched)
	lm.FetchedAt = t
	return err
}

// MediaFor lists the files of the archived status with URI statusURI, as
// recorded by QueueMedia: its attachments in order (each original, then
// its preview), then the author's avatar(s). A status unknown or not yet
// queued has none (no error).
func (a *Archive) MediaFor(ctx context.Context, statusURI string) ([]LocalMedia, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT r.kind, r.idx, r.type, r.description, `+mediaColumns+`
		FROM statuses s JOIN media_refs r ON r.status_id = s.id JOIN media m ON m.id = r.media_id
		WHERE s.uri = ?
		ORDER BY r.kind = 'avatar', r.idx, r.kind = 'preview', m.id`, statusURI)
	if err != nil {
		return nil, fmt.Errorf("media of %s: %w", statusURI, err)
	}
	defer rows.Close()
	var out []LocalMedia
	for rows.Next() {
		var lm LocalMedia
		if err := scanMedia(rows, &lm, &lm.Kind, &lm.Index, &lm.Type, &lm.Description); err != nil {
			return nil, fmt.Errorf("media of %s: %w", statusURI, err)
		}
		out = append(out, lm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("media of %s: %w", statusURI, err)
	}
	return out, nil
}

// AvatarFor returns the recorded file of avatarURL (Kind KindAvatar), or
// nil if the URL was never queued. Any queued URL may be asked for.
func (a *Archive) AvatarFor(ctx context.Context, avatarURL string) (*LocalMedia, error) {
	lm := LocalMedia{Kind: KindAvatar}
	err := scanMedia(a.r.QueryRowContext(ctx, `SELECT `+mediaColumns+` FROM media m WHERE m.url = ?`, avatarURL), &lm)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("avatar %s: %w", avatarURL, err)
	}
	return &lm, nil
}

// MediaCounts are the numbers of recorded files in each state.
type MediaCounts struct {
	Pending, Done, Missing, TooLarge, Invalid, Failed int
	// Bytes is the total size of the files done.
	Bytes int64
}

// MediaCounts counts the recorded files by state.
func (a *Archive) MediaCounts(ctx context.Context) (MediaCounts, error) {
	var c MediaCounts
	rows, err := a.r.QueryContext(ctx, `SELECT state, count(*), coalesce(sum(size), 0) FROM media GROUP BY state`)
	if err != nil {
		return c, fmt.Errorf("count media: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state fedimarks.MediaState
			n     int
			bytes int64
		)
		if err := rows.Scan(&state, &n, &bytes); err != nil {
			return c, fmt.Errorf("count media: %w", err)
		}
		switch state {
		case fedimarks.MediaPending:
			c.Pending = n
		case fedimarks.MediaDone:
			c.Done, c.Bytes = n, bytes
		case fedimarks.MediaMissing:
			c.Missing = n
		case fedimarks.MediaTooLarge:
			c.TooLarge = n
		case fedimarks.MediaInvalid:
			c.Invalid = n
		case fedimarks.MediaFailed:
			c.Failed = n
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("count media: %w", err)
	}
	return c, nil
}
