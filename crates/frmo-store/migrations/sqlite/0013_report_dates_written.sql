-- The report dates become plain columns the store writes with each version (from the same card it
-- serialises), instead of generated ones: SQLite computes a generated column on every insert and
-- again to build the index, parsing the whole card JSON each time — most of a bulk load's index
-- build. Existing rows are filled from their cards once.
DROP INDEX organization_versions_report;
ALTER TABLE organization_versions DROP COLUMN create_date;
ALTER TABLE organization_versions DROP COLUMN delete_date;
ALTER TABLE organization_versions ADD COLUMN create_date TEXT;
ALTER TABLE organization_versions ADD COLUMN delete_date TEXT;
UPDATE organization_versions SET create_date = card ->> 'createDate', delete_date = card ->> 'deleteDate';
CREATE INDEX organization_versions_report ON organization_versions
    (region, org_type, agency_kind, status, create_date, delete_date, oid, valid_to) WHERE valid_to IS NULL;
