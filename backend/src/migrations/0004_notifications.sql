-- Notifications and the Slack app: the outbox (written in the transaction of
-- the change it tells about, delivered by a worker with retries), each user's
-- choice of channels, warnings of access about to expire, the Slack messages
-- that carry Approve / Reject buttons, Slack signatures already seen (replay
-- protection), and server settings an admin changes at run time.

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    created_at       INTEGER NOT NULL,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel          TEXT NOT NULL CHECK (channel IN ('slack', 'email')),
    -- 'status' (a request changed), 'approval' (waits on the user),
    -- 'approval_closed' (no longer waits), 'expiring' (access ends soon).
    kind             TEXT NOT NULL,
    request_id       INTEGER REFERENCES requests (id) ON DELETE CASCADE,
    -- What to say, rendered when the change happened (JSON).
    payload          TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    -- 'pending', 'delivered', 'skipped' (nowhere to deliver) or 'dead' (gave up).
    state            TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'skipped', 'dead')),
    last_error       TEXT,
    delivered_at     INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_by_request ON outbox (request_id);

-- A missing row means both channels.
CREATE TABLE notification_preferences (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    slack       INTEGER NOT NULL CHECK (slack IN (0, 1)),
    email       INTEGER NOT NULL CHECK (email IN (0, 1)),
    updated_at  INTEGER NOT NULL
) STRICT;

-- One warning per request and expiry time (an extension moves the expiry, and
-- the next warning comes before the new one).
CREATE TABLE expiry_warnings (
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL,
    warned_at   INTEGER NOT NULL,
    PRIMARY KEY (request_id, expires_at)
) STRICT;

-- Slack messages asking a user to decide a request, so they can be updated
-- once it no longer waits on them.
CREATE TABLE slack_messages (
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    ts          TEXT NOT NULL,
    PRIMARY KEY (request_id, user_id, channel, ts)
) STRICT;

-- Signatures of Slack requests accepted in the last few minutes: the same
-- signed request is refused a second time.
CREATE TABLE slack_seen_signatures (
    signature  TEXT PRIMARY KEY,
    seen_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX slack_seen_by_time ON slack_seen_signatures (seen_at);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;
