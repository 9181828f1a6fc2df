-- Organizations and their effective-dated versions. Nothing is ever deleted: a change appends a
-- version and closes the previous one (valid_to); liquidation is a version with status 'liquidated'.

CREATE TABLE organizations (
    oid         TEXT PRIMARY KEY,
    kind        SMALLINT NOT NULL,
    region      SMALLINT NOT NULL,
    number      INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- The last number handed out per OID kind and region: numbers are never reused.
CREATE TABLE oid_sequences (
    kind         SMALLINT NOT NULL,
    region       SMALLINT NOT NULL,
    last_number  INTEGER NOT NULL,
    PRIMARY KEY (kind, region)
);

CREATE TABLE organization_versions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    oid          TEXT NOT NULL REFERENCES organizations (oid),
    previous_id  BIGINT REFERENCES organization_versions (id),
    valid_from   TIMESTAMPTZ NOT NULL,
    valid_to     TIMESTAMPTZ,
    name_short   TEXT NOT NULL,
    name_full    TEXT NOT NULL,
    inn          TEXT NOT NULL,
    ogrn         TEXT,
    kpp          TEXT,
    region       SMALLINT NOT NULL,
    org_type     INTEGER NOT NULL,
    agency_kind  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    address      TEXT NOT NULL,
    search_terms TEXT NOT NULL,
    -- json, not jsonb: the card is served as stored, and json returns its text without conversion.
    card         JSON COMPRESSION lz4 NOT NULL
);

CREATE UNIQUE INDEX organization_versions_current ON organization_versions (oid) WHERE valid_to IS NULL;
CREATE INDEX organization_versions_oid_from ON organization_versions (oid, valid_from);
CREATE INDEX organization_versions_inn ON organization_versions (inn);
CREATE INDEX organization_versions_ogrn ON organization_versions (ogrn);
CREATE INDEX organization_versions_kpp ON organization_versions (kpp);
