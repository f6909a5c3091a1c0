-- listing_changes logs, per account, which bookmarks changed in a way
-- that can move them in a search's listing (a search by date, a tag:
-- listing): a bookmark added, removed, restored, deleted or moved (its old
-- and its new place), its post's index entry written (an edit), or (labels
-- = 1) one of its local tags or its note set or taken off. Each row is the
-- bookmark's place in the listings' order (position, id). A search's page
-- anchors (see pageAnchors) are kept with the last seq they saw; on the
-- next typed page only the stretches between anchors that hold a logged
-- bookmark are read again (a backup that finds one new bookmark: the top
-- stretch, ~20 matches), instead of the whole listing (a word in a quarter
-- of 100,000 posts: 200 ms). Only listings with tag:, -tag:, has:note or
-- a text that matches notes care about labels rows: tagging a post leaves
-- a word's anchors good.
--
-- The log keeps about its newest 4,096 rows: every 1,024th insert
-- deletes those more than 4,096 older and raises listing_changes_floor to
-- the newest seq deleted; anchors that saw a seq below the floor are read
-- again in full. seq is the rowid: the newest row is never deleted, so
-- seqs only grow.
CREATE TABLE IF NOT EXISTS listing_changes (
	seq      INTEGER PRIMARY KEY,
	account  TEXT NOT NULL,
	position INTEGER NOT NULL,
	id       INTEGER NOT NULL,
	labels   INTEGER NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS listing_changes_account ON listing_changes (account, seq);

CREATE TABLE IF NOT EXISTS listing_changes_floor (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	seq INTEGER NOT NULL
) STRICT;

INSERT OR IGNORE INTO listing_changes_floor (one, seq) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS listing_changes_prune AFTER INSERT ON listing_changes WHEN new.seq % 1024 = 0 BEGIN
	DELETE FROM listing_changes WHERE seq <= new.seq - 4096;
	UPDATE listing_changes_floor SET seq = max(seq, new.seq - 4096);
END;

CREATE TRIGGER IF NOT EXISTS bookmarks_changes_insert AFTER INSERT ON bookmarks BEGIN
	INSERT INTO listing_changes (account, position, id, labels) VALUES (new.account, new.position, new.id, 0);
END;

CREATE TRIGGER IF NOT EXISTS bookmarks_changes_update AFTER UPDATE OF account, status_id, position, removed_at ON bookmarks
WHEN old.account IS NOT new.account OR old.status_id IS NOT new.status_id OR old.position IS NOT new.position
	OR (old.removed_at IS NULL) IS NOT (new.removed_at IS NULL)
BEGIN
	INSERT INTO listing_changes (account, position, id, labels) VALUES (old.account, old.position, old.id, 0);
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT new.account, new.position, new.id, 0
	WHERE new.account IS NOT old.account OR new.position IS NOT old.position OR new.id IS NOT old.id;
END;

CREATE TRIGGER IF NOT EXISTS bookmarks_changes_delete AFTER DELETE ON bookmarks BEGIN
	INSERT INTO listing_changes (account, position, id, labels) VALUES (old.account, old.position, old.id, 0);
END;

-- A post's index entry: every bookmark of it, in every account.
CREATE TRIGGER IF NOT EXISTS search_docs_changes_insert AFTER INSERT ON search_docs BEGIN
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT account, position, id, 0 FROM bookmarks WHERE status_id = new.status_id;
END;

CREATE TRIGGER IF NOT EXISTS search_docs_changes_delete AFTER DELETE ON search_docs BEGIN
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT account, position, id, 0 FROM bookmarks WHERE status_id = old.status_id;
END;

-- Local tags and notes are kept by account and post URI.
CREATE TRIGGER IF NOT EXISTS bookmark_tags_changes_insert AFTER INSERT ON bookmark_tags BEGIN
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT b.account, b.position, b.id, 1 FROM statuses s JOIN bookmarks b ON b.status_id = s.id AND b.account = new.account
	WHERE s.uri = new.uri;
END;

CREATE TRIGGER IF NOT EXISTS bookmark_tags_changes_delete AFTER DELETE ON bookmark_tags BEGIN
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT b.account, b.position, b.id, 1 FROM statuses s JOIN bookmarks b ON b.status_id = s.id AND b.account = old.account
	WHERE s.uri = old.uri;
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_changes_insert AFTER INSERT ON bookmark_notes BEGIN
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT b.account, b.position, b.id, 1 FROM statuses s JOIN bookmarks b ON b.status_id = s.id AND b.account = new.account
	WHERE s.uri = new.uri;
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_changes_update AFTER UPDATE ON bookmark_notes BEGIN
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT b.account, b.position, b.id, 1 FROM statuses s JOIN bookmarks b ON b.status_id = s.id AND b.account = old.account
	WHERE s.uri = old.uri;
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT b.account, b.position, b.id, 1 FROM statuses s JOIN bookmarks b ON b.status_id = s.id AND b.account = new.account
	WHERE s.uri = new.uri AND (new.account IS NOT old.account OR new.uri IS NOT old.uri);
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_changes_delete AFTER DELETE ON bookmark_notes BEGIN
	INSERT INTO listing_changes (account, position, id, labels)
	SELECT b.account, b.position, b.id, 1 FROM statuses s JOIN bookmarks b ON b.status_id = s.id AND b.account = old.account
	WHERE s.uri = old.uri;
END;

-- The search half of listing_generations (labels) gave way to the log:
-- only the timeline's generation is read now.
DROP TRIGGER IF EXISTS search_docs_generation_insert;
DROP TRIGGER IF EXISTS search_docs_generation_delete;
DROP TRIGGER IF EXISTS bookmark_tags_generation_insert;
DROP TRIGGER IF EXISTS bookmark_tags_generation_delete;
DROP TRIGGER IF EXISTS bookmark_notes_generation_insert;
DROP TRIGGER IF EXISTS bookmark_notes_generation_update;
DROP TRIGGER IF EXISTS bookmark_notes_generation_delete;
