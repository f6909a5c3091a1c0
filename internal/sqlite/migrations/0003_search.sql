-- Full-text search over archived posts.
--
-- search_fts holds, per status (rowid = statuses.id), the text a person
-- searches: the post's plain text, its content warning, the author's
-- display name and handle, and the targets of its links. Link targets and
-- the author's full handle come from parsing the raw JSON and HTML, which
-- SQL cannot do, so triggers only queue changed statuses in search_pending
-- and the Go indexer (Archive.IndexSearch, run before every search) brings
-- the index up to date. This migration queues every existing status.

CREATE VIRTUAL TABLE search_fts USING fts5 (
	body,
	spoiler,
	author,
	links,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- search_docs holds what the filters need, as the indexer read it from the
-- raw JSON: the author as user@host and user (lower case), whether the post
-- has attachments, its language (lower case) and creation time. Its rows
-- are small, so that filtering thousands of matches never reads statuses.
CREATE TABLE search_docs (
	status_id   INTEGER PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
	author      TEXT NOT NULL DEFAULT '',
	author_user TEXT NOT NULL DEFAULT '',
	has_media   INTEGER NOT NULL DEFAULT 0,
	language    TEXT NOT NULL DEFAULT '',
	created_at  TEXT
) STRICT;

CREATE INDEX search_docs_author ON search_docs (author);
CREATE INDEX search_docs_author_user ON search_docs (author_user);

-- search_pending lists statuses whose index entry is missing or stale.
-- (The triggers test for an entry rather than INSERT OR IGNORE: an outer
-- upsert's conflict handling would override the trigger's.)
CREATE TABLE search_pending (
	status_id INTEGER PRIMARY KEY
) STRICT;

CREATE TRIGGER statuses_search_insert AFTER INSERT ON statuses BEGIN
	INSERT INTO search_pending (status_id)
	SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE status_id = new.id);
END;

-- A backup upserts every status it sees again; only a real change queues it.
CREATE TRIGGER statuses_search_update AFTER UPDATE OF raw, plain_text, spoiler_text, author_acct, author_name, host, language, created_at ON statuses
WHEN old.raw IS NOT new.raw OR old.plain_text IS NOT new.plain_text OR old.spoiler_text IS NOT new.spoiler_text
	OR old.author_acct IS NOT new.author_acct OR old.author_name IS NOT new.author_name OR old.host IS NOT new.host
	OR old.language IS NOT new.language OR old.created_at IS NOT new.created_at
BEGIN
	INSERT INTO search_pending (status_id)
	SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE status_id = new.id);
END;

CREATE TRIGGER statuses_search_delete AFTER DELETE ON statuses BEGIN
	DELETE FROM search_fts WHERE rowid = old.id;
	DELETE FROM search_docs WHERE status_id = old.id;
	DELETE FROM search_pending WHERE status_id = old.id;
END;

INSERT INTO search_pending (status_id) SELECT id FROM statuses;
