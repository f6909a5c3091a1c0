-- listing_orders keeps, per account, all its bookmarks in the order of its
-- listings by date (position DESC, id DESC): for each, its post
-- (statuses.id), its place (position, id) and whether it was removed,
-- packed (see listOrder.encode), and the listing generation (0085) and
-- the last listing_changes seq (0095) it was read at. A backup writes it
-- at the end of each run, in the run's last transaction, moving the
-- stored one on by the bookmarks logged as changed since when they are
-- few. A search at that generation (or at one the log can move the order
-- on to) takes its matches from the index (search_fts rowids, tag_posts
-- keys) and orders them by this list in memory, instead of looking each
-- match up in bookmarks: a common word's page 800, or the first page of
-- a hashtag, in a process that kept nothing, reads a few hundred pages
-- of the file instead of thousands.
CREATE TABLE IF NOT EXISTS listing_orders (
	account    TEXT PRIMARY KEY,
	generation INTEGER NOT NULL,
	seq        INTEGER NOT NULL,
	format     INTEGER NOT NULL,
	entries    BLOB NOT NULL
) STRICT;
