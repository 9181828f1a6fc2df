-- Applications for inclusion of a new organization (issue #4) travel the same road as change
-- requests: `kind` is 'inclusion', `org_oid` stays empty and `base_version` 0 until the operator
-- approves and the organization gets its OID.
ALTER TABLE change_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'change';
