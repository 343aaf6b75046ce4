-- The access-request engine: groups, bundles, ticket types, access flows,
-- requests with their items, approvals, favorites and the audit log.
-- Times are Unix seconds (UTC); durations are seconds.

CREATE TABLE groups (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
) STRICT;
CREATE INDEX group_members_by_user ON group_members (user_id);

-- One row per tag of a resource, so flows scoped by tag can be joined.
CREATE TABLE resource_tags (
    resource_id  INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    PRIMARY KEY (resource_id, tag)
) STRICT;
CREATE INDEX resource_tags_by_tag ON resource_tags (tag, resource_id);
INSERT INTO resource_tags (resource_id, tag)
    SELECT resources.id, json_each.value FROM resources, json_each(resources.tags);

CREATE TABLE bundles (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE bundle_items (
    bundle_id      INTEGER NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    resource_id    INTEGER NOT NULL REFERENCES resources (id) ON DELETE RESTRICT,
    permission_id  INTEGER NOT NULL REFERENCES permissions (id) ON DELETE RESTRICT,
    PRIMARY KEY (bundle_id, resource_id, permission_id)
) STRICT;

CREATE TABLE ticket_types (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE access_flows (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT NOT NULL UNIQUE,
    auto_approve            INTEGER NOT NULL CHECK (auto_approve IN (0, 1)),
    -- JSON array of the durations offered, in seconds, ascending.
    durations               TEXT NOT NULL,
    max_duration            INTEGER NOT NULL,
    justification_required  INTEGER NOT NULL CHECK (justification_required IN (0, 1)),
    ticket_required         INTEGER NOT NULL CHECK (ticket_required IN (0, 1)),
    mfa_required            INTEGER NOT NULL DEFAULT 0 CHECK (mfa_required IN (0, 1)),
    on_behalf_allowed       INTEGER NOT NULL CHECK (on_behalf_allowed IN (0, 1)),
    extend_enabled          INTEGER NOT NULL CHECK (extend_enabled IN (0, 1)),
    extend_by               INTEGER NOT NULL DEFAULT 0,
    extend_max_count        INTEGER NOT NULL DEFAULT 0,
    -- Extend is offered once expiry is at most this far away.
    extend_window           INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Who may request: everyone, a user, or the members of a group.
CREATE TABLE flow_grantees (
    flow_id     INTEGER NOT NULL REFERENCES access_flows (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('everyone', 'user', 'group')),
    subject_id  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX flow_grantees_by_flow ON flow_grantees (flow_id);

-- What may be requested. An item is in scope when its resource matches any
-- row, and its permission is in flow_permissions (or that list is empty).
CREATE TABLE flow_scope (
    flow_id  INTEGER NOT NULL REFERENCES access_flows (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('integration', 'resource_type', 'resource', 'tag', 'bundle')),
    ref_id   INTEGER NOT NULL DEFAULT 0,
    tag      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX flow_scope_by_flow ON flow_scope (flow_id);

CREATE TABLE flow_permissions (
    flow_id          INTEGER NOT NULL REFERENCES access_flows (id) ON DELETE CASCADE,
    permission_name  TEXT NOT NULL,
    PRIMARY KEY (flow_id, permission_name)
) STRICT;

-- Approvers by step; any one approver of the current step decides it.
CREATE TABLE flow_approvers (
    flow_id     INTEGER NOT NULL REFERENCES access_flows (id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('user', 'group')),
    subject_id  INTEGER NOT NULL
) STRICT;
CREATE INDEX flow_approvers_by_flow ON flow_approvers (flow_id, step);

CREATE TABLE requests (
    id                 INTEGER PRIMARY KEY,
    flow_id            INTEGER NOT NULL REFERENCES access_flows (id) ON DELETE RESTRICT,
    requester_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    grantee_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status             TEXT NOT NULL,
    duration           INTEGER NOT NULL,
    ticket_type        TEXT,
    ticket_id          TEXT,
    justification      TEXT NOT NULL,
    -- Justification feedback verdict at submission.
    describes_task     INTEGER NOT NULL,
    explains_access    INTEGER NOT NULL,
    includes_ticket    INTEGER NOT NULL,
    item_count         INTEGER NOT NULL,
    bundle_id          INTEGER REFERENCES bundles (id) ON DELETE SET NULL,
    requested_again_from INTEGER REFERENCES requests (id) ON DELETE SET NULL,
    current_step       INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    granted_at         INTEGER,
    expires_at         INTEGER,
    ended_at           INTEGER,
    extensions         INTEGER NOT NULL DEFAULT 0,
    -- Where a Revoking request ends: 'Revoked' or 'Expired'.
    ending_as          TEXT,
    rejection_reason   TEXT,
    failure_reason     TEXT,
    revoked_by         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    revoke_reason      TEXT
) STRICT;
CREATE INDEX requests_by_grantee ON requests (grantee_id, id);
CREATE INDEX requests_by_requester ON requests (requester_id, id);
CREATE INDEX requests_by_status_created ON requests (status, created_at);
CREATE INDEX requests_by_status_expiry ON requests (status, expires_at);

CREATE TABLE request_items (
    request_id     INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    resource_id    INTEGER NOT NULL REFERENCES resources (id) ON DELETE RESTRICT,
    permission_id  INTEGER NOT NULL REFERENCES permissions (id) ON DELETE RESTRICT,
    PRIMARY KEY (request_id, resource_id, permission_id)
) STRICT;
CREATE INDEX request_items_by_resource ON request_items (resource_id);

CREATE TABLE approvals (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    approver_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    decision     TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    reason       TEXT,
    decided_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX approvals_by_request ON approvals (request_id);

CREATE TABLE favorites (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, request_id)
) STRICT;

-- Append-only: triggers refuse UPDATE and DELETE, and every entry carries
-- hash = SHA-256(previous entry's hash || canonical entry), so an edited or
-- removed entry breaks the chain (`gatehouse audit verify`).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES users (id),
    request_id  INTEGER,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    hash        BLOB NOT NULL
) STRICT;
CREATE INDEX audit_log_by_request ON audit_log (request_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- TOTP multi-factor: the seed sealed with the server's key; a confirmed code
-- counts for an hour; wrong codes are counted per window.
CREATE TABLE mfa (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret    BLOB NOT NULL,
    enabled          INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    confirmed_until  INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0,
    failures_since   INTEGER NOT NULL DEFAULT 0
) STRICT;
