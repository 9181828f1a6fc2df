-- Documents of an organization (issue #5): licences, orders, certificates, each a file in the
-- object store (a local folder or S3) with an optional detached signature. A replacement is a new
-- row of the same series; the old one keeps its file and gets `replaced_at` (status «заменён»).
-- Blobs are written before their row; a blob no row names is an orphan, swept after an hour.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    oid             TEXT NOT NULL REFERENCES organizations (oid),
    series          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    kind            INTEGER NOT NULL,
    number          TEXT NOT NULL,
    issued_on       TEXT NOT NULL,            -- YYYY-MM-DD
    valid_until     TEXT,                     -- YYYY-MM-DD
    public          INTEGER NOT NULL,
    file_key        TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    signature_key   TEXT,
    signature_name  TEXT,
    verdict         TEXT,                     -- JSON: the signature's verdict at upload
    uploaded_by     INTEGER REFERENCES users (id),
    uploaded_at     INTEGER NOT NULL,
    replaced_at     INTEGER,
    reminded_at     INTEGER
);
CREATE UNIQUE INDEX documents_series_current ON documents (series) WHERE replaced_at IS NULL;
CREATE INDEX documents_oid ON documents (oid, id);
CREATE INDEX documents_expiring ON documents (valid_until) WHERE replaced_at IS NULL AND reminded_at IS NULL;
