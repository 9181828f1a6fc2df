-- Organizations and their effective-dated versions. Nothing is ever deleted: a change appends a
-- version and closes the previous one (valid_to); liquidation is a version with status 'liquidated'.

CREATE TABLE organizations (
    oid         TEXT PRIMARY KEY,
    kind        INTEGER NOT NULL,
    region      INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- The last number handed out per OID kind and region: numbers are never reused.
CREATE TABLE oid_sequences (
    kind         INTEGER NOT NULL,
    region       INTEGER NOT NULL,
    last_number  INTEGER NOT NULL,
    PRIMARY KEY (kind, region)
);

CREATE TABLE organization_versions (
    id           INTEGER PRIMARY KEY,
    oid          TEXT NOT NULL REFERENCES organizations (oid),
    previous_id  INTEGER REFERENCES organization_versions (id),
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    name_short   TEXT NOT NULL,
    name_full    TEXT NOT NULL,
    inn          TEXT NOT NULL,
    ogrn         TEXT,
    kpp          TEXT,
    region       INTEGER NOT NULL,
    org_type     INTEGER NOT NULL,
    agency_kind  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    address      TEXT NOT NULL,
    search_terms TEXT NOT NULL,
    card         TEXT NOT NULL
);

CREATE UNIQUE INDEX organization_versions_current ON organization_versions (oid) WHERE valid_to IS NULL;
CREATE INDEX organization_versions_oid_from ON organization_versions (oid, valid_from);
CREATE INDEX organization_versions_inn ON organization_versions (inn);
CREATE INDEX organization_versions_ogrn ON organization_versions (ogrn);
CREATE INDEX organization_versions_kpp ON organization_versions (kpp);
