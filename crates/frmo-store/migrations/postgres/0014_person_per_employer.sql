-- Each employer keeps its own record of a worker (issue #17, docs/workers.md): one `persons` row per
-- (СНИЛС, organization) instead of one per СНИЛС, so one organization's entry never changes what
-- another sees. The СНИЛС still joins a person's records across employers (ФРМР views of an
-- operator, reports that count people). A person who had cards in several organizations is split:
-- the row keeps its id for the organization of its first card; every other organization gets a copy
-- (with the credentials), and its cards move to it.
ALTER TABLE persons ADD COLUMN oid TEXT REFERENCES organizations (oid);
UPDATE persons p SET oid = (SELECT c.oid FROM employment_cards c WHERE c.person_id = p.id ORDER BY c.id LIMIT 1);
DELETE FROM worker_credentials w WHERE w.person_id IN (SELECT id FROM persons WHERE oid IS NULL);
DELETE FROM persons WHERE oid IS NULL;
ALTER TABLE persons DROP CONSTRAINT persons_snils_key;
INSERT INTO persons (snils, oid, last_name, first_name, patronymic, sex, birth_date, citizenship, phone, email,
    document, details, search_name, updated_at)
SELECT p.snils, e.oid, p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date, p.citizenship, p.phone,
    p.email, p.document, p.details, p.search_name, p.updated_at
FROM persons p JOIN (SELECT DISTINCT person_id, oid FROM employment_cards) e ON e.person_id = p.id
WHERE e.oid <> p.oid
ORDER BY p.id, e.oid;
INSERT INTO worker_credentials (person_id, kind, specialty, number, issued_on, valid_until)
SELECT n.id, w.kind, w.specialty, w.number, w.issued_on, w.valid_until
FROM worker_credentials w JOIN persons p ON p.id = w.person_id
JOIN persons n ON n.snils = p.snils AND n.oid <> p.oid;
UPDATE employment_cards c SET person_id = n.id
FROM persons p, persons n
WHERE p.id = c.person_id AND n.snils = p.snils AND n.oid = c.oid AND n.id <> c.person_id;
ALTER TABLE persons ALTER COLUMN oid SET NOT NULL;
ALTER TABLE persons ADD CONSTRAINT persons_snils_oid_key UNIQUE (snils, oid);
DROP INDEX persons_name;
CREATE INDEX persons_name ON persons (oid, search_name);
