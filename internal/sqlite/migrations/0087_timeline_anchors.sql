-- timeline_anchors keeps, per account, the page anchors of its timeline
-- (see pageAnchors: the position and id of every 1,000th active bookmark,
-- newest first, packed as pairs of varints) and the listing generation
-- (0085) and stride they were read at. The backup writes them at the end
-- of each run, in the run's last transaction, so that a serve process
-- whose kept anchors a backup made stale reads them (one row) instead of
-- walking the whole timeline to find them again on its first page typed
-- by number. They are good only while generation is the account's.
CREATE TABLE IF NOT EXISTS timeline_anchors (
	account    TEXT PRIMARY KEY,
	generation INTEGER NOT NULL,
	every      INTEGER NOT NULL,
	anchors    BLOB NOT NULL
) STRICT;
