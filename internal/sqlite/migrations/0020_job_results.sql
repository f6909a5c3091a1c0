-- job_results holds how each backup of an account ended, and how each
-- scheduled run as a whole ended (account ''), so that a scheduled backup
-- that fails leaves a trace the next command shows, and `fedimarks status`
-- can say when each account last failed and why. Numbered 0020, past the
-- migrations other work adds meanwhile: numbers need not be contiguous.
CREATE TABLE IF NOT EXISTS job_results (
	id          INTEGER PRIMARY KEY,
	job         TEXT NOT NULL,             -- 'backup'; a whole run's command ('backup', 'sync')
	account     TEXT NOT NULL DEFAULT '',  -- '' for a scheduled run as a whole
	command     TEXT NOT NULL DEFAULT '',  -- a whole run's command line
	scheduled   INTEGER NOT NULL DEFAULT 0,
	started_at  TEXT NOT NULL,
	finished_at TEXT NOT NULL,
	outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'skipped')),
	exit_code   INTEGER NOT NULL DEFAULT 0, -- a whole run's exit code
	code        TEXT NOT NULL DEFAULT '',   -- the error's kind (fedimarks.E...)
	message     TEXT NOT NULL DEFAULT '',
	hint        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX IF NOT EXISTS job_results_account ON job_results (account, job, outcome, id);
