-- import_item_posts holds the URI of the post an import row resolved to on
-- the destination, when the row did not carry it: a row read from a file
-- that gives only the post's web address (the three-column CSV) learns the
-- post's ActivityPub URI from the destination's search, and the failures
-- file, in Mastodon's format, wants the URI. (A table beside import_items
-- rather than a column, so that this migration can run again safely.)
CREATE TABLE IF NOT EXISTS import_item_posts (
	item_id  INTEGER PRIMARY KEY REFERENCES import_items (id) ON DELETE CASCADE,
	post_uri TEXT NOT NULL
) STRICT;
