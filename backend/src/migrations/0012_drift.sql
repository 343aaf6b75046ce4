-- Drift: access in a target system that Gatehouse did not grant (added by
-- hand) or that should have ended. Each integration whose connector can list
-- what the target grants is reconciled periodically, under the `drift` lease
-- so one replica does it.

-- When each integration was last reconciled, when it is due again, and why
-- the last check failed (NULL when it worked).
CREATE TABLE drift_checks (
    integration_id  INTEGER PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
    checked_at      INTEGER NOT NULL,
    next_check_at   INTEGER NOT NULL,
    error           TEXT
);

-- What the last check found: one row per account and resource. `kind` is
-- `ended` (the account belonged to access that has ended) or `unknown`
-- (nobody granted it through Gatehouse); `removed_at` is set when the
-- integration enforces and the access was removed.
CREATE TABLE drift_findings (
    integration_id  INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    login           TEXT NOT NULL,
    resource_path   TEXT NOT NULL,
    permission      TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('ended', 'unknown')),
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    removed_at      INTEGER,
    PRIMARY KEY (integration_id, login, resource_path)
);

INSERT INTO leases (name) VALUES ('drift');
