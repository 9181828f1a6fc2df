-- Support requests (issue #8): from the cabinet (author_id) or the public site (email only). A
-- request's number (ОБ-2026-000123) is its id and year. `topic` is what routes it (the requester's
-- choice, a rule's or the model's guess, or an operator's re-classification: `topic_basis`);
-- `queue` is desk, region or admin; `due_at` is the first-answer deadline in business hours.
CREATE TABLE support_requests (
    id               INTEGER PRIMARY KEY,
    author_id        INTEGER REFERENCES users (id),
    email            TEXT,                      -- where answers go (the public form's, or the user's)
    org_oid          TEXT NOT NULL DEFAULT '',
    region           INTEGER,                   -- the organization's region (regional queue)
    chosen_topic     TEXT,
    topic            TEXT NOT NULL,
    topic_basis      TEXT NOT NULL,             -- explicit, rule, model, operator
    queue            TEXT NOT NULL,
    body             TEXT NOT NULL,
    page             TEXT NOT NULL DEFAULT '',  -- the page it came from
    error_code       TEXT NOT NULL DEFAULT '',  -- the reason code of the error page
    error_request    TEXT NOT NULL DEFAULT '',  -- the request id of the error page
    status           TEXT NOT NULL,             -- new, in_progress, waiting_user, resolved, closed
    assignee_id      INTEGER,
    created_at       INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    first_answer_at  INTEGER,
    resolved_at      INTEGER,
    rating           INTEGER,
    revision         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX support_requests_queue ON support_requests (queue, status, due_at);
CREATE INDEX support_requests_author ON support_requests (author_id, id);

-- The conversation: the request's text is the first message; staff answers, user replies, and
-- status steps (with `status`) follow.
CREATE TABLE support_messages (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES support_requests (id),
    at          INTEGER NOT NULL,
    user_id     INTEGER,
    actor       TEXT NOT NULL,
    staff       INTEGER NOT NULL DEFAULT 0,
    body        TEXT NOT NULL,
    status      TEXT
);
CREATE INDEX support_messages_request ON support_messages (request_id, id);

-- Screenshots and files attached to a request (stored in the object store like documents).
CREATE TABLE support_attachments (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES support_requests (id),
    file_key    TEXT NOT NULL,
    name        TEXT NOT NULL,
    format      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL
);
CREATE INDEX support_attachments_request ON support_attachments (request_id, id);

-- Texts operators re-classified: training data for the next model.
CREATE TABLE support_training (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER,
    topic       TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          INTEGER NOT NULL
);

-- Help-centre articles edited by administrators: every edit a new version of the whole article
-- (front matter + Markdown, the shipped files' format); the newest version of a slug is shown, and
-- it replaces a shipped article of the same slug when its version is higher.
CREATE TABLE help_articles (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    author_id   INTEGER,
    created_at  INTEGER NOT NULL,
    UNIQUE (slug, version)
);
