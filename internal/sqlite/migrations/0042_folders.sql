-- Bookmark folders (Pleroma): an account's folders on its server, and
-- which folder each of its bookmarks is in, as the last backup read them.
-- Like tags, membership is keyed by (account, post URI). Each member also
-- carries its folder as a local tag (fedimarks.FolderTag) in
-- bookmark_tags; tag remembers which, so that a move or a rename replaces
-- that tag and no other.
--
-- Every statement is IF NOT EXISTS: tests of older migrations re-apply the
-- later ones to an archive that has them.

CREATE TABLE IF NOT EXISTS bookmark_folders (
	account   TEXT NOT NULL,
	folder_id TEXT NOT NULL, -- the server's id
	name      TEXT NOT NULL,
	emoji     TEXT NOT NULL DEFAULT '',
	seen_at   TEXT NOT NULL,
	PRIMARY KEY (account, folder_id)
) STRICT;

CREATE TABLE IF NOT EXISTS folder_members (
	account   TEXT NOT NULL,
	uri       TEXT NOT NULL,
	folder_id TEXT NOT NULL,
	tag       TEXT NOT NULL, -- the local tag added for the folder
	PRIMARY KEY (account, uri)
) STRICT;

CREATE INDEX IF NOT EXISTS folder_members_folder ON folder_members (account, folder_id);

-- folder_filings records, for an import or migrate destination, the posts
-- filed into a folder there (by the row's post address and the folder's
-- name), so that a rerun does not file them again.
CREATE TABLE IF NOT EXISTS folder_filings (
	account  TEXT NOT NULL,
	uri      TEXT NOT NULL,
	folder   TEXT NOT NULL, -- the folder's name
	filed_at TEXT NOT NULL,
	PRIMARY KEY (account, uri)
) STRICT;
