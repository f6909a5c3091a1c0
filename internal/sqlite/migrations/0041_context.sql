-- Threads (backup --context): for a bookmarked post, the posts of its
-- thread as the server showed them. Thread posts are ordinary statuses
-- rows (stored once, by URI, however many bookmarks' threads hold them);
-- thread_links says which post is in whose thread.

CREATE TABLE IF NOT EXISTS thread_links (
	status_id  INTEGER NOT NULL REFERENCES statuses (id), -- the bookmarked post
	context_id INTEGER NOT NULL REFERENCES statuses (id), -- a post of its thread
	relation   TEXT NOT NULL CHECK (relation IN ('ancestor', 'descendant')),
	idx        INTEGER NOT NULL, -- order within the relation, as the server gave it
	PRIMARY KEY (status_id, context_id)
) STRICT;

CREATE INDEX IF NOT EXISTS thread_links_context ON thread_links (context_id);

-- thread_fetches records whose thread was fetched and how: 'self' (the
-- author's self-thread and the ancestors), 'all' (every reply), or 'gone'
-- (the server no longer shows the post: not asked again).
CREATE TABLE IF NOT EXISTS thread_fetches (
	status_id  INTEGER PRIMARY KEY REFERENCES statuses (id),
	mode       TEXT NOT NULL CHECK (mode IN ('self', 'all', 'gone')),
	fetched_at TEXT NOT NULL
) STRICT;

-- context_accounts holds the accounts backed up with --context, and from
-- which bookmark event on: bookmarks added after it whose thread is not
-- fetched are pending (a backup interrupted before fetching them, or
-- whose server failed, fetches them next time).
CREATE TABLE IF NOT EXISTS context_accounts (
	account     TEXT PRIMARY KEY,
	since_event INTEGER NOT NULL,
	started_at  TEXT NOT NULL
) STRICT;
