-- Core archive: signed-in accounts, OAuth apps, statuses, bookmarks,
-- backup runs and the bookmark history.
--
-- Times are RFC 3339 text in UTC with nine fraction digits
-- (2006-01-02T15:04:05.000000000Z), so that text order is time order.

-- accounts holds the accounts signed in (tokens live in a token store).
CREATE TABLE accounts (
	handle      TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL DEFAULT '',
	server      TEXT NOT NULL DEFAULT '',
	scopes      TEXT NOT NULL DEFAULT '', -- space-separated
	software    TEXT NOT NULL DEFAULT '',
	token_store TEXT NOT NULL DEFAULT '',
	last_backup TEXT,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
) STRICT;

-- apps holds the OAuth app registered on each server (client secret
-- included: the archive file is private to its owner).
CREATE TABLE apps (
	server        TEXT PRIMARY KEY,
	client_id     TEXT NOT NULL,
	client_secret TEXT NOT NULL,
	redirect_uri  TEXT NOT NULL DEFAULT '',
	scopes        TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL
) STRICT;

-- statuses holds one row per post (by ActivityPub URI), shared by every
-- account that bookmarked it. raw is the JSON as the last server returned
-- it, byte for byte; the other columns are extracted from it.
CREATE TABLE statuses (
	id           INTEGER PRIMARY KEY,
	uri          TEXT NOT NULL UNIQUE,
	url          TEXT NOT NULL DEFAULT '',
	local_id     TEXT NOT NULL DEFAULT '', -- id on the server that returned raw
	host         TEXT NOT NULL DEFAULT '', -- that server's host
	author_acct  TEXT NOT NULL DEFAULT '',
	author_url   TEXT NOT NULL DEFAULT '',
	author_name  TEXT NOT NULL DEFAULT '',
	created_at   TEXT,
	language     TEXT NOT NULL DEFAULT '',
	visibility   TEXT NOT NULL DEFAULT '',
	sensitive    INTEGER NOT NULL DEFAULT 0,
	spoiler_text TEXT NOT NULL DEFAULT '',
	plain_text   TEXT NOT NULL DEFAULT '', -- plain text of the content, for search
	raw          TEXT NOT NULL,
	fetched_at   TEXT NOT NULL
) STRICT;

CREATE INDEX statuses_url ON statuses (url) WHERE url <> '';

-- backup_runs holds one row per backup of one account. A run is running
-- until it is finished or abandoned; next_url and idx let it resume.
CREATE TABLE backup_runs (
	id          INTEGER PRIMARY KEY,
	account     TEXT NOT NULL,
	is_full     INTEGER NOT NULL DEFAULT 0,
	state       TEXT NOT NULL DEFAULT 'running'
	            CHECK (state IN ('running', 'finished', 'abandoned')),
	started_at  TEXT NOT NULL,
	finished_at TEXT,
	next_url    TEXT NOT NULL DEFAULT '',
	idx         INTEGER NOT NULL DEFAULT 0,
	n_pages     INTEGER NOT NULL DEFAULT 0,
	n_new       INTEGER NOT NULL DEFAULT 0,
	n_seen      INTEGER NOT NULL DEFAULT 0,
	n_restored  INTEGER NOT NULL DEFAULT 0,
	n_removed   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX backup_runs_account ON backup_runs (account, state, id);

-- bookmarks holds one row per (account, status). position orders an
-- account's bookmarks newest first: run_id<<32 - index within the run.
-- account is not a foreign key: signing out keeps the archive.
CREATE TABLE bookmarks (
	id         INTEGER PRIMARY KEY,
	account    TEXT NOT NULL,
	status_id  INTEGER NOT NULL REFERENCES statuses (id),
	local_id   TEXT NOT NULL DEFAULT '', -- the status id on the account's server
	position   INTEGER NOT NULL,
	first_seen TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	removed_at TEXT,
	last_run   INTEGER NOT NULL,
	UNIQUE (account, status_id)
) STRICT;

CREATE INDEX bookmarks_account_position ON bookmarks (account, position);
CREATE INDEX bookmarks_status ON bookmarks (status_id);

-- bookmark_events is the history of an account's bookmarks as backups saw
-- them come, go and come back.
CREATE TABLE bookmark_events (
	id        INTEGER PRIMARY KEY,
	account   TEXT NOT NULL,
	status_id INTEGER NOT NULL REFERENCES statuses (id),
	event     TEXT NOT NULL CHECK (event IN ('added', 'removed', 'restored')),
	at        TEXT NOT NULL,
	run_id    INTEGER
) STRICT;

CREATE INDEX bookmark_events_account ON bookmark_events (account, at, id);
