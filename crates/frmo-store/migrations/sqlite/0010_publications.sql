-- Publications of the open register as НСИ 1461 (issue #7). Each is a numbered version with its
-- files in the object store and the list of organizations whose 1461 record changed since the
-- previous version. `watermark` is the last organization version the publication had seen: the
-- changes of the next one are the organizations with versions after it.
CREATE TABLE nsi_versions (
    version       INTEGER PRIMARY KEY,
    published_at  INTEGER NOT NULL,
    published_by  INTEGER REFERENCES users (id),
    watermark     INTEGER NOT NULL,
    records       INTEGER NOT NULL,
    added         INTEGER NOT NULL,
    changed       INTEGER NOT NULL,
    closed        INTEGER NOT NULL,
    files         TEXT NOT NULL              -- JSON: [{"format", "key", "name", "size", "sha256"}]
);

CREATE TABLE nsi_changes (
    version  INTEGER NOT NULL REFERENCES nsi_versions (version),
    oid      TEXT NOT NULL,
    change   TEXT NOT NULL,                 -- added, changed, closed
    PRIMARY KEY (version, oid)
);
