-- listing_generations holds two generations per account: generation is
-- counted up by every change that can move a bookmark in the account's
-- timeline (a bookmark added, removed, restored, deleted or moved: a full
-- backup positions every bookmark again), labels by every other change
-- that can move one in its searches (a local tag or note set, a post's
-- index entry written). What is read from a listing and kept (Archive's
-- page anchors: where every 1,000th bookmark of the timeline, or every
-- 20th of a search, is, so that a page typed by number is an index seek
-- instead of an OFFSET) is good while the generations it was read at are
-- the account's in the same read: tagging a post leaves the timeline's
-- anchors good. (The triggers insert a missing row and then update it rather than
-- upsert: an outer statement's conflict handling would override the
-- trigger's.)
CREATE TABLE IF NOT EXISTS listing_generations (
	account    TEXT PRIMARY KEY,
	generation INTEGER NOT NULL DEFAULT 0,
	labels     INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT OR IGNORE INTO listing_generations (account) SELECT DISTINCT account FROM bookmarks;

CREATE TRIGGER IF NOT EXISTS bookmarks_generation_insert AFTER INSERT ON bookmarks BEGIN
	INSERT INTO listing_generations (account)
	SELECT new.account WHERE NOT EXISTS (SELECT 1 FROM listing_generations WHERE account = new.account);
	UPDATE listing_generations SET generation = generation + 1 WHERE account = new.account;
END;

CREATE TRIGGER IF NOT EXISTS bookmarks_generation_update AFTER UPDATE OF account, status_id, position, removed_at ON bookmarks
WHEN old.account IS NOT new.account OR old.status_id IS NOT new.status_id OR old.position IS NOT new.position
	OR (old.removed_at IS NULL) IS NOT (new.removed_at IS NULL)
BEGIN
	INSERT INTO listing_generations (account)
	SELECT new.account WHERE NOT EXISTS (SELECT 1 FROM listing_generations WHERE account = new.account);
	UPDATE listing_generations SET generation = generation + 1 WHERE account IN (old.account, new.account);
END;

CREATE TRIGGER IF NOT EXISTS bookmarks_generation_delete AFTER DELETE ON bookmarks BEGIN
	UPDATE listing_generations SET generation = generation + 1 WHERE account = old.account;
END;

-- A post's index entry (its text, author, filters) is written to
-- search_docs with its search_fts row: every account that bookmarked it
-- may now find it, or not.
CREATE TRIGGER IF NOT EXISTS search_docs_generation_insert AFTER INSERT ON search_docs BEGIN
	UPDATE listing_generations SET labels = labels + 1
	WHERE account IN (SELECT account FROM bookmarks WHERE status_id = new.status_id);
END;

CREATE TRIGGER IF NOT EXISTS search_docs_generation_delete AFTER DELETE ON search_docs BEGIN
	UPDATE listing_generations SET labels = labels + 1
	WHERE account IN (SELECT account FROM bookmarks WHERE status_id = old.status_id);
END;

-- Local tags and notes (tag:, -tag:, has:note and note text).
CREATE TRIGGER IF NOT EXISTS bookmark_tags_generation_insert AFTER INSERT ON bookmark_tags BEGIN
	UPDATE listing_generations SET labels = labels + 1 WHERE account = new.account;
END;

CREATE TRIGGER IF NOT EXISTS bookmark_tags_generation_delete AFTER DELETE ON bookmark_tags BEGIN
	UPDATE listing_generations SET labels = labels + 1 WHERE account = old.account;
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_generation_insert AFTER INSERT ON bookmark_notes BEGIN
	UPDATE listing_generations SET labels = labels + 1 WHERE account = new.account;
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_generation_update AFTER UPDATE ON bookmark_notes BEGIN
	UPDATE listing_generations SET labels = labels + 1 WHERE account IN (old.account, new.account);
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_generation_delete AFTER DELETE ON bookmark_notes BEGIN
	UPDATE listing_generations SET labels = labels + 1 WHERE account = old.account;
END;
