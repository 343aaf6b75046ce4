-- Identity and catalog: users, sessions, API tokens, integrations, resource
-- types with their permissions, and resources.
-- Times are Unix seconds (UTC); secrets are stored only as SHA-256 hashes.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    -- Absolute end; the session also ends after an idle period (see the code).
    expires_at  INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    -- NULL: until revoked.
    expires_at  INTEGER
) STRICT;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE integrations (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    admin_message  TEXT,
    -- JSON array of how grantees connect: "terminal", "browser", "app".
    connection_options TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE TABLE resource_types (
    id              INTEGER PRIMARY KEY,
    integration_id  INTEGER NOT NULL REFERENCES integrations (id) ON DELETE RESTRICT,
    name            TEXT NOT NULL,
    UNIQUE (integration_id, name)
) STRICT;

CREATE TABLE permissions (
    id                INTEGER PRIMARY KEY,
    resource_type_id  INTEGER NOT NULL REFERENCES resource_types (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    UNIQUE (resource_type_id, name)
) STRICT;
CREATE INDEX permissions_by_name ON permissions (name, resource_type_id);

CREATE TABLE resources (
    id                INTEGER PRIMARY KEY,
    integration_id    INTEGER NOT NULL REFERENCES integrations (id) ON DELETE RESTRICT,
    resource_type_id  INTEGER NOT NULL REFERENCES resource_types (id) ON DELETE RESTRICT,
    name              TEXT NOT NULL,
    path              TEXT NOT NULL,
    -- JSON array of strings.
    tags              TEXT NOT NULL DEFAULT '[]',
    -- Lower-cased name, path and tags, for search.
    search_text       TEXT NOT NULL,
    UNIQUE (integration_id, path)
) STRICT;
CREATE INDEX resources_by_name ON resources (name, id);
CREATE INDEX resources_by_type ON resources (resource_type_id, name, id);
-- Counting what access flows scope (by integration and type) from the index alone.
CREATE INDEX resources_by_integration_type ON resources (integration_id, resource_type_id);

-- Substring search over name, path and tags without scanning every row:
-- a trigram index kept in step with resources by triggers.
CREATE VIRTUAL TABLE resources_search USING fts5(
    search_text, content = 'resources', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER resources_search_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resources_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER resources_search_delete AFTER DELETE ON resources BEGIN
    INSERT INTO resources_search (resources_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER resources_search_update AFTER UPDATE OF search_text ON resources BEGIN
    INSERT INTO resources_search (resources_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO resources_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
