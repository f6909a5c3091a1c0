-- thread_fetches.cut marks a thread that a cap cut short: a server's
-- context endpoint (Mastodon gives a reader without read:statuses 40
-- posts above, 60 below and 20 levels) or fedimarks' own cap on a
-- Misskey thread's calls. What was read is kept and shown; the thread is
-- not whole, and backup --context reads it again once a week (not on
-- every run: the same cap cuts it again until the login changes), where
-- a thread read whole is not read again.
ALTER TABLE thread_fetches ADD COLUMN cut INTEGER NOT NULL DEFAULT 0;
