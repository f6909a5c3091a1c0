-- folder_reads records when a backup last read an account's bookmark
-- folders to the end (see SaveFolders): sync's frequent checks read them
-- only when that is older than an hour.

CREATE TABLE IF NOT EXISTS folder_reads (
	account TEXT PRIMARY KEY,
	read_at TEXT NOT NULL
) STRICT;
