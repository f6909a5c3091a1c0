-- Local copies of media: attachments (original and preview) of archived
-- posts and their authors' avatars.
--
-- media holds one row per remote file, by the URL the status JSON names
-- (shared by every post that names it). The copy itself is a file in the
-- media directory named by its sha256, never by anything the server sent.
-- state says how far the download got:
--   pending    not tried yet
--   done       downloaded: sha256, size and content_type are set
--   missing    the server answered 404 or 410 (not retried)
--   too_large  over the size limit (not retried)
--   failed     anything else, error says what; retried on the next run
CREATE TABLE media (
	id           INTEGER PRIMARY KEY,
	url          TEXT NOT NULL UNIQUE,
	state        TEXT NOT NULL DEFAULT 'pending'
	             CHECK (state IN ('pending', 'done', 'missing', 'too_large', 'failed')),
	error        TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	sha256       TEXT NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	content_type TEXT NOT NULL DEFAULT '',
	fetched_at   TEXT,
	created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX media_todo ON media (id) WHERE state IN ('pending', 'failed');

-- media_refs says which files a status shows: its attachments (position
-- idx, original and preview) and its author's avatar (idx 0; avatar and
-- avatar_static may be two rows). For a boost, the boosted post's files.
CREATE TABLE media_refs (
	status_id   INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	media_id    INTEGER NOT NULL REFERENCES media (id),
	kind        TEXT NOT NULL CHECK (kind IN ('original', 'preview', 'avatar')),
	idx         INTEGER NOT NULL,
	type        TEXT NOT NULL DEFAULT '', -- image, video, gifv, audio, unknown
	description TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (status_id, kind, idx, media_id)
) STRICT;

CREATE INDEX media_refs_media ON media_refs (media_id);

-- media_scans records which version of each status (its fetched_at) the
-- refs were read from, so that queueing reads only new or changed posts.
CREATE TABLE media_scans (
	status_id  INTEGER PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
	fetched_at TEXT NOT NULL
) STRICT;
