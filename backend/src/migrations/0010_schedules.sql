-- Scheduled and recurring access. A request may start later (Scheduled
-- until then), or follow recurring windows its access flow offers: it stays
-- one request, approved once, whose status cycles Scheduled → Granting →
-- Active → Revoking → Scheduled for each window, and ends Expired after the
-- last one.

-- The start: a later start asked for at submission, or the start of the
-- current (or next) window of a recurring request. Unix seconds; NULL: at once.
ALTER TABLE requests ADD COLUMN starts_at INTEGER;
-- The recurrence the request follows, as JSON: {"weekdays": [...],
-- "start_time": "HH:MM", "length_seconds", "time_zone", "weeks"}; NULL: none.
ALTER TABLE requests ADD COLUMN recurrence TEXT;
-- The current (or next) window of a recurring request, counted from 0.
ALTER TABLE requests ADD COLUMN window_index INTEGER NOT NULL DEFAULT 0;
-- The recurring windows an access flow offers, as JSON: {"weekdays": [...],
-- "start_time": "HH:MM", "length_seconds", "time_zone", "max_weeks"}; NULL: none.
ALTER TABLE access_flows ADD COLUMN recurrence TEXT;
-- The worker's read of what starts now.
CREATE INDEX requests_scheduled ON requests (starts_at) WHERE status = 'Scheduled';
