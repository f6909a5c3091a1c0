-- Media files whose address is not http(s) get a state of their own,
-- invalid: they can never be downloaded, so they are neither retried nor
-- counted as failures to retry. SQLite cannot change a CHECK constraint
-- in place, so media is rebuilt; its refs are set aside meanwhile, since
-- dropping a table that media_refs still points at would break the
-- foreign key.
CREATE TEMP TABLE media_refs_keep AS SELECT * FROM media_refs;
DELETE FROM media_refs;

CREATE TABLE media_new (
	id           INTEGER PRIMARY KEY,
	url          TEXT NOT NULL UNIQUE,
	state        TEXT NOT NULL DEFAULT 'pending'
	             CHECK (state IN ('pending', 'done', 'missing', 'too_large', 'failed', 'invalid')),
	error        TEXT NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	sha256       TEXT NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	content_type TEXT NOT NULL DEFAULT '',
	fetched_at   TEXT,
	created_at   TEXT NOT NULL
) STRICT;

INSERT INTO media_new (id, url, state, error, attempts, sha256, size, content_type, fetched_at, created_at)
SELECT id, url, CASE WHEN state = 'failed' AND error = 'not an http(s) URL' THEN 'invalid' ELSE state END,
	error, attempts, sha256, size, content_type, fetched_at, created_at
FROM media;

DROP TABLE media;
ALTER TABLE media_new RENAME TO media;
CREATE INDEX media_todo ON media (id) WHERE state IN ('pending', 'failed');

INSERT INTO media_refs (status_id, media_id, kind, idx, type, description)
SELECT status_id, media_id, kind, idx, type, description FROM media_refs_keep;
DROP TABLE media_refs_keep;
