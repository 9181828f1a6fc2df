-- Information systems (региональные МИС) that call the ИПС-compatible integration API (issue #21).
-- A system is a user of provider 'system' (so the requests it makes, notifications and the journal
-- name it as they name people), bound to the organizations and regions it may act for. Its key is
-- shown once and kept only as a SHA-256 digest: keys are 256 random bits, so a fast digest is as
-- safe as a slow password hash and lets every call be checked in one indexed lookup.
CREATE TABLE system_accounts (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id),
    name        TEXT NOT NULL UNIQUE,
    key_digest  TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the key
    key_hint    TEXT NOT NULL,             -- the key's first characters, to tell keys apart
    orgs        TEXT NOT NULL,             -- OIDs it acts for, space-separated
    regions     TEXT NOT NULL,             -- region codes it acts for, space-separated
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  BIGINT
);
