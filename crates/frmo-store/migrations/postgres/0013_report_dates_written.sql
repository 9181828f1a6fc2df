-- The report dates become plain columns the store writes with each version (as in SQLite, where a
-- generated column is recomputed from the card JSON on every insert); the values stay.
ALTER TABLE organization_versions ALTER COLUMN create_date DROP EXPRESSION;
ALTER TABLE organization_versions ALTER COLUMN delete_date DROP EXPRESSION;
