-- Medical workers (ФРМР, issue #6). A person is one row per СНИЛС; their employment cards, one per
-- position in an organization, carry begin and end dates ("who worked where on date D"); their
-- certificates and accreditations are rows (filters by specialty and expiry), education and
-- qualification categories travel in `details` (JSON). The staffing table declares rates per
-- department and position; busy rates are computed from the cards.
CREATE TABLE persons (
    id           INTEGER PRIMARY KEY,
    snils        TEXT NOT NULL UNIQUE,
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
    updated_at   INTEGER NOT NULL
);
CREATE INDEX persons_name ON persons (search_name);

CREATE TABLE employment_cards (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES persons (id),
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
CREATE INDEX employment_cards_oid ON employment_cards (oid, end_date);
CREATE INDEX employment_cards_person ON employment_cards (person_id);

CREATE TABLE worker_credentials (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES persons (id),
    kind         INTEGER NOT NULL,
    specialty    INTEGER NOT NULL,
    number       TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    UNIQUE (person_id, kind, number)
);
CREATE INDEX worker_credentials_until ON worker_credentials (valid_until);

CREATE TABLE staffing (
    oid         TEXT NOT NULL REFERENCES organizations (oid),
    department  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    rate        INTEGER NOT NULL,             -- hundredths, declared
    note        TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (oid, department, position)
);
