-- backup_accounts holds, for each account whose bookmarks were backed up
-- (signed in or not), when its last complete full walk began. An
-- incremental backup stops at the first archived bookmark and cannot see
-- bookmarks that appear below the top of the listing later (shown once
-- their author is followed or unmuted, back-filled by the server), so a
-- backup walks everything again once this is older than a set age.
CREATE TABLE IF NOT EXISTS backup_accounts (
	account        TEXT PRIMARY KEY,
	last_full_walk TEXT NOT NULL
) STRICT;

-- Until now every finished full run had walked to the end.
INSERT INTO backup_accounts (account, last_full_walk)
	SELECT account, max(started_at) FROM backup_runs
	WHERE is_full = 1 AND state = 'finished'
	GROUP BY account
	ON CONFLICT (account) DO NOTHING;
