-- Background jobs (issue #7): long exports run in the process that accepted them, report their
-- progress here, and leave a file in the object store for their owner to download. A job still
-- `running` when its process starts again was interrupted and is marked failed.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER REFERENCES users (id),   -- the owner; NULL for the deployment's own jobs
    kind         TEXT NOT NULL,                   -- 'register' (the whole register) or 'report'
    params       TEXT NOT NULL,                   -- JSON: format, report name, period, grouping
    title        TEXT NOT NULL,
    status       TEXT NOT NULL,                   -- running, done, failed
    progress     INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL DEFAULT 0,
    file_key     TEXT,
    file_name    TEXT,
    media_type   TEXT,
    size         INTEGER,
    error        TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX jobs_user ON jobs (user_id, id);
