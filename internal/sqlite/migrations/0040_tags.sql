-- Local tags and notes: what a person adds to their own bookmarks, never
-- sent to a server.
--
-- Both are keyed by (account, post URI), not by statuses.id or bookmarks.id:
-- the URI is the post's identity on every server, so a tag outlives a
-- bookmark removed and bookmarked again, a `backup --full`, and can be
-- recorded for an account whose backup has not yet archived the post (an
-- import writes the source file's tags for the destination account this
-- way; its next backup brings the post, and the tags apply).
--
-- Every statement is IF NOT EXISTS: tests of older migrations re-apply the
-- later ones to an archive that has them.

CREATE TABLE IF NOT EXISTS bookmark_tags (
	account  TEXT NOT NULL,
	uri      TEXT NOT NULL,
	tag      TEXT NOT NULL, -- lower case, no spaces or commas
	added_at TEXT NOT NULL,
	PRIMARY KEY (account, uri, tag)
) STRICT;

CREATE INDEX IF NOT EXISTS bookmark_tags_tag ON bookmark_tags (account, tag);

CREATE TABLE IF NOT EXISTS bookmark_notes (
	id         INTEGER PRIMARY KEY,
	account    TEXT NOT NULL,
	uri        TEXT NOT NULL,
	note       TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (account, uri)
) STRICT;

-- notes_fts indexes note text for search (the note is plain text, so
-- triggers keep it current without the Go indexer).
CREATE VIRTUAL TABLE IF NOT EXISTS notes_fts USING fts5 (
	note,
	content = 'bookmark_notes',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS bookmark_notes_ai AFTER INSERT ON bookmark_notes BEGIN
	INSERT INTO notes_fts (rowid, note) VALUES (new.id, new.note);
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_ad AFTER DELETE ON bookmark_notes BEGIN
	INSERT INTO notes_fts (notes_fts, rowid, note) VALUES ('delete', old.id, old.note);
END;

CREATE TRIGGER IF NOT EXISTS bookmark_notes_au AFTER UPDATE OF note ON bookmark_notes BEGIN
	INSERT INTO notes_fts (notes_fts, rowid, note) VALUES ('delete', old.id, old.note);
	INSERT INTO notes_fts (rowid, note) VALUES (new.id, new.note);
END;
