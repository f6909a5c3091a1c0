-- thread_cuts lists the kept threads that a cap cut short, and when: a
-- server's context endpoint (Mastodon gives a reader without
-- read:statuses 40 posts above, 60 below and 20 levels) or fedimarks' own
-- cap on a Misskey thread's calls. What was read is kept and shown; the
-- thread is not whole, and backup --context reads it again once a week
-- (not on every run: the same cap cuts it again until the login
-- changes), where a thread read whole is not read again. Reading it
-- again takes it off (SaveThread), a new cut puts it back.
CREATE TABLE IF NOT EXISTS thread_cuts (
	status_id INTEGER PRIMARY KEY REFERENCES statuses (id),
	cut_at    TEXT NOT NULL
) STRICT;
