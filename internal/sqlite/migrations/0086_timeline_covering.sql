-- An account's active bookmarks in timeline order, covering what a
-- listing walks: with the partial index of 0012 (account, position WHERE
-- removed_at IS NULL) SQLite read each bookmark's row to check
-- removed_at, so stepping over 80,000 bookmarks (page 4,000, or reading a
-- timeline's page anchors) read 80,000 rows; with removed_at in the index
-- it reads only the index. (The rowid, the bookmark's id, follows
-- position in it: ORDER BY position, id needs no sort.)
CREATE INDEX IF NOT EXISTS bookmarks_timeline ON bookmarks (account, removed_at, position);
DROP INDEX IF EXISTS bookmarks_active;
