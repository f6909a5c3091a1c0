-- The search index now holds the accounts a post mentions (their full
-- handle and profile address, in the links column): index every status
-- again so that older archives find them too.
INSERT INTO search_pending (status_id)
SELECT id FROM statuses WHERE id NOT IN (SELECT status_id FROM search_pending);
