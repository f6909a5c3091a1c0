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
