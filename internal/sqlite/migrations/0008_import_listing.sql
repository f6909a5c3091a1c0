-- What an import's last reading of the destination's bookmarks saw, so that
-- a rerun reads only the bookmarks made since (they come first in the
-- listing) instead of the whole list.

-- import_listings holds one row per job whose destination was read: rows is
-- how many of the job's rows (seq below it) were compared with the listing.
CREATE TABLE IF NOT EXISTS import_listings (
	job_id  INTEGER PRIMARY KEY REFERENCES import_jobs (id) ON DELETE CASCADE,
	rows    INTEGER NOT NULL,
	read_at TEXT NOT NULL
) STRICT;

-- import_listed holds the bookmarks listed, pos 0 the newest: the post's id
-- on the destination and its addresses (URI, URL, and those of a boosted
-- post), tab-separated.
CREATE TABLE IF NOT EXISTS import_listed (
	job_id    INTEGER NOT NULL REFERENCES import_listings (job_id) ON DELETE CASCADE,
	pos       INTEGER NOT NULL,
	status_id TEXT NOT NULL,
	addrs     TEXT NOT NULL,
	PRIMARY KEY (job_id, pos)
) STRICT;
