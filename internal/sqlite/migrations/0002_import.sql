-- Import jobs: durable, resumable imports of bookmarks into an account.

-- import_jobs holds one row per import command; key identifies the same
-- command (destination and inputs) so that a rerun resumes it.
CREATE TABLE import_jobs (
	id          INTEGER PRIMARY KEY,
	job_key     TEXT NOT NULL,
	destination TEXT NOT NULL,
	inputs      TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	dry_run     INTEGER NOT NULL DEFAULT 0,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;

CREATE INDEX import_jobs_key ON import_jobs (job_key, id);

-- import_items holds one row per input row, written in seq order (0 is the
-- oldest bookmark). in_flight is set, with the destination id, before the
-- remote bookmark call, and cleared with the outcome after it.
CREATE TABLE import_items (
	id         INTEGER PRIMARY KEY,
	job_id     INTEGER NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	uri        TEXT NOT NULL,
	url        TEXT NOT NULL DEFAULT '',
	author_url TEXT NOT NULL DEFAULT '',
	source     TEXT NOT NULL DEFAULT '',
	visibility TEXT NOT NULL DEFAULT '',
	created_at TEXT,
	outcome    TEXT NOT NULL DEFAULT 'pending',
	detail     TEXT NOT NULL DEFAULT '',
	dest_id    TEXT NOT NULL DEFAULT '',
	attempts   INTEGER NOT NULL DEFAULT 0,
	in_flight  INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX import_items_job_seq ON import_items (job_id, seq);
CREATE INDEX import_items_job_outcome ON import_items (job_id, outcome);
CREATE INDEX import_items_job_uri ON import_items (job_id, uri);
