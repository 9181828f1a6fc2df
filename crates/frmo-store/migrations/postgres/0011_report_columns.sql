-- The card dates reports count by, as generated columns (nothing to keep in step by hand), and a
-- partial covering index over the current versions (`valid_to` included so the index alone answers):
-- the organizations reports read the index
-- alone instead of every card's JSON.
ALTER TABLE organization_versions ADD COLUMN create_date TEXT GENERATED ALWAYS AS (card ->> 'createDate') STORED;
ALTER TABLE organization_versions ADD COLUMN delete_date TEXT GENERATED ALWAYS AS (card ->> 'deleteDate') STORED;
CREATE INDEX organization_versions_report ON organization_versions
    (region, org_type, agency_kind, status, create_date, delete_date, oid, valid_to) WHERE valid_to IS NULL;
