-- Big archives stay fast.

-- A status's events, for the foreign key from bookmark_events: without it,
-- SQLite's check of that key on a change of statuses walks every event.
CREATE INDEX IF NOT EXISTS bookmark_events_status ON bookmark_events (status_id);

-- SavePage writes the search index entry of each status it inserts or
-- changes in its own transaction, so that a search never waits for a
-- backlog: the triggers that queued them for a later indexer go.
-- search_pending stays for the backfills that migrations ask for.
DROP TRIGGER IF EXISTS statuses_search_insert;
DROP TRIGGER IF EXISTS statuses_search_update;

-- Emoji and other symbols are words: the tokenizer keeps Unicode's So
-- category (the indexer sets each symbol apart from the letters around
-- it). The index is rebuilt with it: every status is queued again.
DROP TABLE IF EXISTS search_fts;
CREATE VIRTUAL TABLE search_fts USING fts5 (
	body,
	spoiler,
	author,
	links,
	tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co So'"
);
INSERT INTO search_pending (status_id)
SELECT id FROM statuses WHERE id NOT IN (SELECT status_id FROM search_pending);

-- An account's active bookmarks in timeline order, without the removed
-- ones: a deep page of the timeline steps through this index alone.
CREATE INDEX IF NOT EXISTS bookmarks_active ON bookmarks (account, position) WHERE removed_at IS NULL;

-- bookmark_counts holds, per account, how many of its bookmarks are active
-- and how many removed, kept by the triggers below, so that listing the
-- accounts and their counts (every page of `serve`) reads a few rows
-- instead of counting every bookmark. (The triggers insert a missing row
-- and then update it rather than upsert: an outer statement's conflict
-- handling would override the trigger's.)
CREATE TABLE IF NOT EXISTS bookmark_counts (
	account TEXT PRIMARY KEY,
	active  INTEGER NOT NULL DEFAULT 0,
	removed INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TRIGGER IF NOT EXISTS bookmarks_count_insert AFTER INSERT ON bookmarks BEGIN
	INSERT INTO bookmark_counts (account)
	SELECT new.account WHERE NOT EXISTS (SELECT 1 FROM bookmark_counts WHERE account = new.account);
	UPDATE bookmark_counts SET active = active + (new.removed_at IS NULL), removed = removed + (new.removed_at IS NOT NULL)
	WHERE account = new.account;
END;

CREATE TRIGGER IF NOT EXISTS bookmarks_count_update AFTER UPDATE OF account, removed_at ON bookmarks
WHEN old.account IS NOT new.account OR (old.removed_at IS NULL) IS NOT (new.removed_at IS NULL)
BEGIN
	UPDATE bookmark_counts SET active = active - (old.removed_at IS NULL), removed = removed - (old.removed_at IS NOT NULL)
	WHERE account = old.account;
	INSERT INTO bookmark_counts (account)
	SELECT new.account WHERE NOT EXISTS (SELECT 1 FROM bookmark_counts WHERE account = new.account);
	UPDATE bookmark_counts SET active = active + (new.removed_at IS NULL), removed = removed + (new.removed_at IS NOT NULL)
	WHERE account = new.account;
END;

CREATE TRIGGER IF NOT EXISTS bookmarks_count_delete AFTER DELETE ON bookmarks BEGIN
	UPDATE bookmark_counts SET active = active - (old.removed_at IS NULL), removed = removed - (old.removed_at IS NOT NULL)
	WHERE account = old.account;
END;

DELETE FROM bookmark_counts;
INSERT INTO bookmark_counts (account, active, removed)
SELECT account, sum(removed_at IS NULL), sum(removed_at IS NOT NULL) FROM bookmarks GROUP BY account;
