-- sync_pairs holds one row per direction that 'fedimarks sync' keeps: the
-- bookmarks of source are copied to dest by the import job whose key is
-- 'sync SOURCE DEST' (its imported rows are what sync added to dest; what
-- it removed there is in sync_removals). The counts are what each side had
-- in the archive at the last check that went through.
CREATE TABLE IF NOT EXISTS sync_pairs (
	source       TEXT NOT NULL,
	dest         TEXT NOT NULL,
	mirror       INTEGER NOT NULL DEFAULT 0,
	both_ways    INTEGER NOT NULL DEFAULT 0,
	created_at   TEXT NOT NULL,
	last_check   TEXT,
	last_ok      TEXT,
	source_count INTEGER NOT NULL DEFAULT 0,
	dest_count   INTEGER NOT NULL DEFAULT 0,
	-- failures counts the checks that failed in a row since the last one
	-- that went through; last_error is the latest one's message.
	failures     INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (source, dest)
) STRICT;

-- sync_removals is --mirror's journal: a bookmark sync added to dest whose
-- source bookmark is gone is recorded here (pending) before the
-- unbookmark request, and marked done after the answer, so that a run
-- killed in between redoes only that request.
CREATE TABLE IF NOT EXISTS sync_removals (
	id      INTEGER PRIMARY KEY,
	source  TEXT NOT NULL,
	dest    TEXT NOT NULL,
	uri     TEXT NOT NULL,
	dest_id TEXT NOT NULL,
	state   TEXT NOT NULL CHECK (state IN ('pending', 'removed', 'failed')),
	detail  TEXT NOT NULL DEFAULT '',
	at      TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS sync_removals_pair ON sync_removals (source, dest, state);
