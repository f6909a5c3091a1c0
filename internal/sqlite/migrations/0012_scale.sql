-- Big archives stay fast.

-- A status's events, for the foreign key from bookmark_events: without it,
-- SQLite's check of that key on a change of statuses walks every event.
CREATE INDEX IF NOT EXISTS bookmark_events_status ON bookmark_events (status_id);
