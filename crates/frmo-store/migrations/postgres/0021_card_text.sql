-- The card as text (issue #22): the store only ever writes a card it serialized itself and reads it
-- back whole (never a JSON operator since 0013), so checking it as `json` on
-- every insert was pure cost: about a quarter of a bulk COPY of versions. The column keeps its lz4
-- compression. The rewrite of an existing table takes one pass over it.
ALTER TABLE organization_versions ALTER COLUMN card TYPE TEXT;
ALTER TABLE organization_versions ALTER COLUMN card SET COMPRESSION lz4;
