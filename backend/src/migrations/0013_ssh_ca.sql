-- The SSH connector: Gatehouse is an SSH user certificate authority. One
-- Ed25519 CA key per server, made on first use, sealed with the server key
-- (OpenSSH's binary private key format), with its public key line as hosts
-- put it in TrustedUserCAKeys.
CREATE TABLE ssh_ca (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_key  BLOB NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- Every certificate issued, by its serial: the revocation list names the
-- serials of those whose access has ended. Never the key itself, only its
-- SHA-256 fingerprint.
CREATE TABLE ssh_certificates (
    id              INTEGER PRIMARY KEY,
    serial          INTEGER NOT NULL UNIQUE,
    request_id      INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    integration_id  INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    key_fingerprint TEXT NOT NULL,
    -- The logins it is valid for, JSON array.
    principals      TEXT NOT NULL,
    valid_after     INTEGER NOT NULL,
    valid_before    INTEGER NOT NULL,
    issued_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX ssh_certificates_by_request ON ssh_certificates (request_id);
CREATE INDEX ssh_certificates_by_end ON ssh_certificates (valid_before);
