-- PostgreSQL version of ../0006_replicas.sql (conventions: see 0001_foundation.sql).
-- Neither table feeds an answer kept in memory, so neither moves the data
-- generation by trigger (a lease is renewed every second while work runs).
CREATE TABLE leases (
    name      TEXT PRIMARY KEY,
    holder    TEXT,
    epoch     BIGINT NOT NULL DEFAULT 0,
    until_ms  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO leases (name) VALUES ('provisioning'), ('outbox');

CREATE TABLE login_failures (
    key  TEXT NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
