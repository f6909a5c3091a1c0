-- One job per key, and a lock per destination so that two imports never
-- write into the same account at once.

-- Two runs started together could each create a job with the same key.
-- Keep the newest under the key (the one FindJob returned) and rename the
-- others, so that their rows stay readable in the job history.
UPDATE import_jobs SET job_key = job_key || ' (superseded by a later job, ' || id || ')'
WHERE id NOT IN (SELECT max(id) FROM import_jobs GROUP BY job_key);

DROP INDEX import_jobs_key;
CREATE UNIQUE INDEX import_jobs_key ON import_jobs (job_key);

-- import_locks holds one row per destination being written to: the
-- process holding it (pid on host), when it took it and its last sign of
-- life. A row whose process is gone, or whose heartbeat is old, is stale
-- and may be taken over.
CREATE TABLE import_locks (
	scope        TEXT PRIMARY KEY,
	token        TEXT NOT NULL,
	pid          INTEGER NOT NULL,
	host         TEXT NOT NULL,
	started_at   TEXT NOT NULL,
	heartbeat_at TEXT NOT NULL
) STRICT;
