-- page_jobs are the jobs started from the web page (fedimarks serve):
-- what to run (spec, JSON the cli writes), how far it got and how it
-- ended (result, JSON), so that the page shows them after the tab was
-- closed or fedimarks restarted, and offers to resume those a restart
-- cut short. The import rows themselves are in import_jobs/job items as
-- for any import: import_job links them.
CREATE TABLE IF NOT EXISTS page_jobs (
	id          INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL,                 -- 'backup', 'move', 'verify'
	spec        TEXT NOT NULL DEFAULT '{}',
	state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'interrupted')),
	pid         INTEGER NOT NULL DEFAULT 0,    -- the process running it
	runner      TEXT NOT NULL DEFAULT '',      -- which server in that process
	import_job  INTEGER NOT NULL DEFAULT 0,
	started_at  TEXT NOT NULL,
	finished_at TEXT,
	result      TEXT NOT NULL DEFAULT '{}'
) STRICT;
