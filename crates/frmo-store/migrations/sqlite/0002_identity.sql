-- Identity: people who sign in, what they may do, their sessions, consents and the denials they met.
-- Times are Unix seconds (INTEGER here, BIGINT in PostgreSQL) so both dialects share one set of queries.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    provider       TEXT NOT NULL,             -- 'esia', 'oidc' or 'local'
    subject        TEXT NOT NULL,             -- ЕСИА oid, OIDC issuer + sub, or the local login
    display_name   TEXT NOT NULL,
    snils          TEXT,
    email          TEXT,
    confirmed      INTEGER NOT NULL DEFAULT 0, -- a confirmed (trusted) ЕСИА account, or vouched for by an operator
    federal_role   TEXT,                       -- 'admin' or 'auditor'
    password_hash  TEXT,
    totp_secret    TEXT,
    totp_enabled   INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER,
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER,
    UNIQUE (provider, subject)
);

CREATE TABLE operator_regions (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    region   INTEGER NOT NULL,
    PRIMARY KEY (user_id, region)
);

-- An organization's members; 'chief' may manage the others. `source` says who vouched: ЕСИА roles
-- at sign-in, or an operator.
CREATE TABLE memberships (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    org_oid     TEXT NOT NULL,
    role        TEXT NOT NULL,
    source      TEXT NOT NULL,
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_oid)
);

-- Only a hash of the session id is kept: a copy of this table opens no session.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    method        TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    provider_data TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Sign-ins under way at an identity provider, by their `state`.
CREATE TABLE login_flows (
    state       TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE consents (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    version   INTEGER NOT NULL,
    accepted  INTEGER NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX consents_user ON consents (user_id, id);

CREATE TABLE access_denials (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    user_id     INTEGER,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    code        TEXT NOT NULL,
    request_id  TEXT NOT NULL
);

CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

-- Mail waiting to be sent (the notifications worker delivers it).
CREATE TABLE mail_outbox (
    id          INTEGER PRIMARY KEY,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
