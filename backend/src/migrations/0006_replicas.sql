-- Several Gatehouse processes (replicas) on one database.
--
-- Leases: background work that calls other systems (provisioning through the
-- connectors, delivering the outbox) is done by one process at a time. A
-- process holds the lease while `until_ms` (Unix milliseconds) lies ahead,
-- renews it while it works, and frees it when done. `epoch` moves on each
-- time another holder takes it over: a write that depends on still holding
-- the lease checks holder and epoch in its own transaction (fencing), so a
-- process that was paused past its lease cannot write over its successor.
CREATE TABLE leases (
    name      TEXT PRIMARY KEY,
    holder    TEXT,
    epoch     INTEGER NOT NULL DEFAULT 0,
    until_ms  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO leases (name) VALUES ('provisioning'), ('outbox');

-- Failed log-ins, counted across every process (per user name and per client
-- address); rows older than the window are deleted as new ones arrive.
CREATE TABLE login_failures (
    key  TEXT NOT NULL,
    at   INTEGER NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (key, at);
