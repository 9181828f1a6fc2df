-- Reference directories installed from НСИ downloads (`frmo directories import`, issue #18): the
-- installed one replaces the shipped one of the same id at every start. `entries` is JSON
-- [{"id", "name", "parent_id"?}].
CREATE TABLE reference_directories (
    id            TEXT PRIMARY KEY,
    oid           TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    source        TEXT NOT NULL,
    entries       TEXT NOT NULL,
    installed_at  BIGINT NOT NULL
);
