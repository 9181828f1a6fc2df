-- Change requests on organization cards and their history (issue #4). A request's number
-- (ИЗ-2026-000123) is its id and the year it was made, so it is not stored. A request carries the whole
-- proposed card and the version it was made from; every status change bumps `revision`, and a
-- decision names the revision its operator saw, so two decisions at once cannot both land.
CREATE TABLE change_requests (
    id               INTEGER PRIMARY KEY,
    org_oid          TEXT NOT NULL,
    region           INTEGER NOT NULL,
    author_id        INTEGER NOT NULL REFERENCES users (id),
    status           TEXT NOT NULL,             -- draft, submitted, returned, approved, rejected, withdrawn
    base_version     INTEGER NOT NULL,             -- the card version the change was made from
    proposed         TEXT NOT NULL,             -- the whole proposed card (JSON)
    changes          TEXT NOT NULL,             -- fields before → after (JSON)
    reason           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,             -- unix seconds
    submitted_at     INTEGER,
    due_on           TEXT,                      -- YYYY-MM-DD: submission + N business days
    decided_at       INTEGER,
    decided_by       INTEGER,
    comment          TEXT,                      -- why rejected, or what to correct
    applied_version  INTEGER,
    revision         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX change_requests_queue ON change_requests (region, status, submitted_at);
CREATE INDEX change_requests_author ON change_requests (author_id, id);
CREATE INDEX change_requests_org ON change_requests (org_oid, id);

CREATE TABLE request_events (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES change_requests (id),
    at          INTEGER NOT NULL,
    user_id     INTEGER,
    actor       TEXT NOT NULL,
    status      TEXT NOT NULL,
    comment     TEXT
);
CREATE INDEX request_events_request ON request_events (request_id, id);
