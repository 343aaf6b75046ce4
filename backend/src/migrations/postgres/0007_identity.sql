-- PostgreSQL version of ../0007_identity.sql (conventions: see 0001_foundation.sql).
ALTER TABLE users ADD COLUMN active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE users ADD COLUMN external_id TEXT;
-- When the provider deleted the user (SCIM DELETE): inactive, and gone from SCIM.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
ALTER TABLE users ADD COLUMN idp_username TEXT;
ALTER TABLE users ADD COLUMN scim_attributes TEXT;
CREATE UNIQUE INDEX users_by_idp_username ON users (lower(idp_username));

CREATE INDEX users_inactive ON users (id) WHERE active = 0;

CREATE TABLE user_identities (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject),
    rowid       BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX user_identities_by_user ON user_identities (user_id);
CREATE TRIGGER data_generation_user_identities AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON user_identities FOR EACH STATEMENT EXECUTE FUNCTION bump_data_generation();

ALTER TABLE groups ADD COLUMN source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'idp'));
ALTER TABLE groups ADD COLUMN external_id TEXT;

-- Short-lived and read by nothing kept in memory: no data generation trigger.
CREATE TABLE oidc_logins (
    state_hash     BYTEA PRIMARY KEY,
    browser_hash   BYTEA NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    return_to      TEXT NOT NULL,
    purpose        TEXT NOT NULL CHECK (purpose IN ('sign_in', 'test', 'cli')),
    started_by     BIGINT REFERENCES users (id) ON DELETE CASCADE,
    cli_challenge  BYTEA,
    expires_at     BIGINT NOT NULL,
    rowid          BIGINT GENERATED ALWAYS AS IDENTITY
);
