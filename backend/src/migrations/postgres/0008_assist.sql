-- PostgreSQL version of ../0008_assist.sql (conventions: see 0001_foundation.sql).
-- Both tables already move the data generation by trigger (0005), which
-- covers the new columns.
ALTER TABLE requests ADD COLUMN via_assistant TEXT;
ALTER TABLE access_flows ADD COLUMN assistants_allowed BIGINT NOT NULL DEFAULT 1 CHECK (assistants_allowed IN (0, 1));
