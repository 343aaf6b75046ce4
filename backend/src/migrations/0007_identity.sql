-- The identity provider: sign-in with OpenID Connect, users and groups
-- provisioned by SCIM, and users the provider has deactivated.

-- 0: deactivated (SCIM `active: false` or deleted): no sign-in, no session,
-- no token; kept for the history of their requests and the audit trail.
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
-- The provider's own id for the user (SCIM `externalId`).
ALTER TABLE users ADD COLUMN external_id TEXT;
-- When the provider deleted the user (SCIM DELETE): inactive, and gone from SCIM.
ALTER TABLE users ADD COLUMN deleted_at INTEGER;
-- The provider's userName (SCIM; often an e-mail address), unique whatever
-- its case, and what SCIM sent of the user's other attributes (name, e-mails),
-- kept as JSON so that it reads back as it was written.
ALTER TABLE users ADD COLUMN idp_username TEXT;
ALTER TABLE users ADD COLUMN scim_attributes TEXT;
CREATE UNIQUE INDEX users_by_idp_username ON users (lower(idp_username));

-- The few inactive users, for the worker's check that none keeps access.
CREATE INDEX users_inactive ON users (id) WHERE active = 0;

-- Who a user is at an OpenID Provider: its issuer and the `sub` claim. The
-- subject, not the e-mail, is the key: e-mails change and get reused.
CREATE TABLE user_identities (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
) STRICT;
CREATE INDEX user_identities_by_user ON user_identities (user_id);

-- 'local': members kept by admins here; 'idp': members set by the identity
-- provider (the groups claim at each sign-in, or SCIM).
ALTER TABLE groups ADD COLUMN source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'idp'));
ALTER TABLE groups ADD COLUMN external_id TEXT;

-- Sign-ins under way at the provider: one row per redirect, used once. Only
-- hashes of the state and of the browser's binding cookie are kept.
CREATE TABLE oidc_logins (
    state_hash     BLOB PRIMARY KEY,
    browser_hash   BLOB NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    -- Where the portal goes afterwards (a path of ours), or the CLI's loopback.
    return_to      TEXT NOT NULL,
    -- 'sign_in', 'test' (an admin's test: show the claims, sign nobody in), 'cli'.
    purpose        TEXT NOT NULL CHECK (purpose IN ('sign_in', 'test', 'cli')),
    -- The admin who started a test sign-in; the user a CLI code is for.
    started_by     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    -- `gatehouse login` through the browser: the SHA-256 of the CLI's secret
    -- verifier, which it must show to trade its one-time code for a token.
    cli_challenge  BLOB,
    expires_at     INTEGER NOT NULL
) STRICT;
