-- Approvals for real teams: quorum steps, approve with changes, break-glass.

-- How a step of a flow decides. A step without a row here needs one approval,
-- and one rejection rejects.
CREATE TABLE flow_steps (
    flow_id               INTEGER NOT NULL REFERENCES access_flows (id) ON DELETE CASCADE,
    step                  INTEGER NOT NULL,
    -- Distinct approvers of the step needed to approve it.
    required_approvals    INTEGER NOT NULL DEFAULT 1 CHECK (required_approvals >= 1),
    -- Rejections of the step that reject the request.
    rejections_to_reject  INTEGER NOT NULL DEFAULT 1 CHECK (rejections_to_reject >= 1),
    PRIMARY KEY (flow_id, step)
) STRICT;

-- 1: the flow's grantees may approve their own request at once, with a reason,
-- for at most break_glass_max_duration seconds; reviewed after the fact.
ALTER TABLE access_flows ADD COLUMN break_glass INTEGER NOT NULL DEFAULT 0 CHECK (break_glass IN (0, 1));
ALTER TABLE access_flows ADD COLUMN break_glass_max_duration INTEGER NOT NULL DEFAULT 3600;

-- A break-glass request: the grantee's reason (e.g. an incident ID), and its
-- post-hoc review: 'unreviewed' until an approver marks it 'reviewed' or 'flagged'.
ALTER TABLE requests ADD COLUMN break_glass_reason TEXT;
ALTER TABLE requests ADD COLUMN review_state TEXT CHECK (review_state IN ('unreviewed', 'reviewed', 'flagged'));
ALTER TABLE requests ADD COLUMN reviewed_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE requests ADD COLUMN reviewed_at INTEGER;
ALTER TABLE requests ADD COLUMN review_note TEXT;
CREATE INDEX requests_unreviewed ON requests (id) WHERE review_state = 'unreviewed';

-- An approver narrowed the request before approving: both versions, as JSON
-- {"duration_seconds": n, "items": [{"resource_id": n, "permission": "…"}]}.
CREATE TABLE request_changes (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    approver_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    note         TEXT NOT NULL,
    before_json  TEXT NOT NULL,
    after_json   TEXT NOT NULL,
    changed_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX request_changes_by_request ON request_changes (request_id);
