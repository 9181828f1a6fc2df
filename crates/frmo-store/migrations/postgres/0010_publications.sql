-- Publications of the open register as НСИ 1461 (issue #7). Each is a numbered version with its
-- files in the object store and the list of organizations whose 1461 record changed since the
-- previous version. `watermark` is the last organization version the publication had seen: the
-- changes of the next one are the organizations with versions after it.
CREATE TABLE nsi_versions (
    version       BIGINT PRIMARY KEY,
    published_at  BIGINT NOT NULL,
    published_by  BIGINT REFERENCES users (id),
    watermark     BIGINT NOT NULL,
    records       BIGINT NOT NULL,
    added         BIGINT NOT NULL,
    changed       BIGINT NOT NULL,
    closed        BIGINT NOT NULL,
    files         TEXT NOT NULL              -- JSON: [{"format", "key", "name", "size", "sha256"}]
);

CREATE TABLE nsi_changes (
    version  BIGINT NOT NULL REFERENCES nsi_versions (version),
    oid      TEXT NOT NULL,
    change   TEXT NOT NULL,                 -- added, changed, closed
    PRIMARY KEY (version, oid)
);
