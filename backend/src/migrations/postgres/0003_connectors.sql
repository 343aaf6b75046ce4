-- PostgreSQL version of ../0003_connectors.sql (conventions: see 0001_foundation.sql).
-- Real connectors: which connector grants access for each integration, its
-- settings (sealed), and what was granted per request and integration, with
-- the credentials handed over once.

-- `demo` grants at once without touching anything; `postgresql`, `webhook`
-- and `manual` act on a real system or wait for a person.
ALTER TABLE integrations ADD COLUMN connector TEXT NOT NULL DEFAULT 'demo'
    CHECK (connector IN ('demo', 'postgresql', 'webhook', 'manual'));
-- Connector settings as JSON, sealed with the server key (never returned in clear).
ALTER TABLE integrations ADD COLUMN settings BYTEA;

-- One row per request and integration the request touches, created when the
-- connector is first asked to grant.
--   pending   grant failed and will be retried (webhook backoff)
--   waiting   a person must grant it (manual connector)
--   granted   access exists in the target system
--   removing  a person must remove it (manual connector)
--   removed   access is gone from the target system
-- No INTEGER PRIMARY KEY in SQLite, so an extra last column `rowid` (identity)
-- keeps `ORDER BY rowid` meaning insertion order.
CREATE TABLE access_grants (
    request_id      BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    integration_id  BIGINT NOT NULL REFERENCES integrations (id) ON DELETE RESTRICT,
    state           TEXT NOT NULL
        CHECK (state IN ('pending', 'waiting', 'granted', 'removing', 'removed')),
    -- Login name in the target system, when it has one.
    username        TEXT,
    -- The secret, sealed; wiped (NULL) once revealed to the grantee.
    secret          BYTEA,
    instructions    TEXT,
    -- JSON object: how to connect ({"terminal": ..., "browser": ..., "app": ...}).
    connect         TEXT NOT NULL DEFAULT '{}',
    -- Bumped on every new secret; seen_version is the one last revealed.
    version         BIGINT NOT NULL DEFAULT 0,
    seen_version    BIGINT NOT NULL DEFAULT 0,
    -- The expiry the target system was given; after an extension sync_due
    -- is set until the connector has moved it.
    synced_expires_at BIGINT,
    sync_due        BIGINT NOT NULL DEFAULT 0,
    -- Granted for a request that then failed (another integration refused):
    -- the access must still be removed.
    leftover        BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    granted_at      BIGINT,
    removed_at      BIGINT,
    PRIMARY KEY (request_id, integration_id),
    rowid           BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX access_grants_unsynced ON access_grants (next_attempt_at)
    WHERE state = 'granted' AND sync_due = 1;
CREATE INDEX access_grants_leftover ON access_grants (next_attempt_at)
    WHERE state = 'granted' AND leftover = 1;
CREATE INDEX access_grants_by_state ON access_grants (state, integration_id)
    WHERE state IN ('waiting', 'removing');

-- Access granted before this migration counts as granted by the demo connector.
INSERT INTO access_grants (request_id, integration_id, state, synced_expires_at, granted_at)
SELECT DISTINCT r.id, res.integration_id, 'granted', r.expires_at, r.granted_at
FROM requests r
JOIN request_items ri ON ri.request_id = r.id
JOIN resources res ON res.id = ri.resource_id
WHERE r.status IN ('Active', 'Revoking');
