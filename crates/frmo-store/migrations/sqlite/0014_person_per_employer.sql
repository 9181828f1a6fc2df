-- Each employer keeps its own record of a worker (issue #17, docs/workers.md): one `persons` row per
-- (СНИЛС, organization) instead of one per СНИЛС, so one organization's entry never changes what
-- another sees. The СНИЛС still joins a person's records across employers (ФРМР views of an
-- operator, reports that count people). A person who had cards in several organizations is split:
-- the row keeps its id for the organization of its first card; every other organization gets a copy
-- (with the credentials), and its cards move to it. SQLite changes a UNIQUE key only by rebuilding
-- the table; its children are rebuilt with it, so no parent row is ever dropped under a child (the
-- foreign keys stay on, and the migration runs in one transaction).
CREATE TABLE persons_by_employer (
    id           INTEGER PRIMARY KEY,
    snils        TEXT NOT NULL,
    oid          TEXT NOT NULL REFERENCES organizations (oid),
    last_name    TEXT NOT NULL,
    first_name   TEXT NOT NULL,
    patronymic   TEXT,
    sex          INTEGER NOT NULL,
    birth_date   TEXT NOT NULL,            -- YYYY-MM-DD
    citizenship  INTEGER NOT NULL,
    phone        TEXT,
    email        TEXT,
    document     TEXT,
    details      TEXT NOT NULL,            -- JSON: {"education": [...], "qualifications": [...]}
    search_name  TEXT NOT NULL,            -- lower-case «фамилия имя отчество»
    updated_at   INTEGER NOT NULL,
    UNIQUE (snils, oid)
);
INSERT INTO persons_by_employer (id, snils, oid, last_name, first_name, patronymic, sex, birth_date, citizenship,
    phone, email, document, details, search_name, updated_at)
SELECT p.id, p.snils, (SELECT c.oid FROM employment_cards c WHERE c.person_id = p.id ORDER BY c.id LIMIT 1),
    p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date, p.citizenship, p.phone, p.email, p.document,
    p.details, p.search_name, p.updated_at
FROM persons p WHERE EXISTS (SELECT 1 FROM employment_cards c WHERE c.person_id = p.id);
INSERT INTO persons_by_employer (snils, oid, last_name, first_name, patronymic, sex, birth_date, citizenship,
    phone, email, document, details, search_name, updated_at)
SELECT p.snils, e.oid, p.last_name, p.first_name, p.patronymic, p.sex, p.birth_date, p.citizenship, p.phone,
    p.email, p.document, p.details, p.search_name, p.updated_at
FROM persons p JOIN (SELECT DISTINCT person_id, oid FROM employment_cards) e ON e.person_id = p.id
WHERE NOT EXISTS (SELECT 1 FROM persons_by_employer n WHERE n.id = p.id AND n.oid = e.oid)
ORDER BY p.id, e.oid;

CREATE TABLE employment_cards_by_employer (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES persons_by_employer (id),
    oid               TEXT NOT NULL REFERENCES organizations (oid),
    department        TEXT NOT NULL,
    position          INTEGER NOT NULL,
    position_type     INTEGER NOT NULL,
    rate              INTEGER NOT NULL,       -- hundredths
    begin_date        TEXT NOT NULL,
    end_date          TEXT,
    dismissal_reason  INTEGER,
    updated_at        INTEGER NOT NULL
);
INSERT INTO employment_cards_by_employer (id, person_id, oid, department, position, position_type, rate, begin_date,
    end_date, dismissal_reason, updated_at)
SELECT c.id, n.id, c.oid, c.department, c.position, c.position_type, c.rate, c.begin_date, c.end_date,
    c.dismissal_reason, c.updated_at
FROM employment_cards c JOIN persons p ON p.id = c.person_id
JOIN persons_by_employer n ON n.snils = p.snils AND n.oid = c.oid;

CREATE TABLE worker_credentials_by_employer (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES persons_by_employer (id),
    kind         INTEGER NOT NULL,
    specialty    INTEGER NOT NULL,
    number       TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    UNIQUE (person_id, kind, number)
);
INSERT INTO worker_credentials_by_employer (person_id, kind, specialty, number, issued_on, valid_until)
SELECT n.id, w.kind, w.specialty, w.number, w.issued_on, w.valid_until
FROM worker_credentials w JOIN persons p ON p.id = w.person_id JOIN persons_by_employer n ON n.snils = p.snils
ORDER BY n.id, w.id;

DROP TABLE worker_credentials;
DROP TABLE employment_cards;
DROP TABLE persons;
ALTER TABLE persons_by_employer RENAME TO persons;
ALTER TABLE employment_cards_by_employer RENAME TO employment_cards;
ALTER TABLE worker_credentials_by_employer RENAME TO worker_credentials;
CREATE INDEX persons_name ON persons (oid, search_name);
CREATE INDEX employment_cards_oid ON employment_cards (oid, end_date);
CREATE INDEX employment_cards_person ON employment_cards (person_id);
CREATE INDEX worker_credentials_until ON worker_credentials (valid_until);
