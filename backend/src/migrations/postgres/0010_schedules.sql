-- PostgreSQL version of ../0010_schedules.sql (conventions: see 0001_foundation.sql).
-- Both tables already move the data generation by trigger (0005), which
-- covers the new columns.
ALTER TABLE requests ADD COLUMN starts_at BIGINT;
ALTER TABLE requests ADD COLUMN recurrence TEXT;
ALTER TABLE requests ADD COLUMN window_index BIGINT NOT NULL DEFAULT 0;
ALTER TABLE access_flows ADD COLUMN recurrence TEXT;
CREATE INDEX requests_scheduled ON requests (starts_at) WHERE status = 'Scheduled';
