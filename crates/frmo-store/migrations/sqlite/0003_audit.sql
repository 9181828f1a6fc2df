-- The audit journal: append-only (the triggers refuse UPDATE and DELETE), each entry chained to
-- the previous one by SHA-256 (frmo_store::audit::entry_hash), numbered 1, 2, 3… without gaps.
-- Access denials move here from the identity migration's table.
CREATE TABLE audit_journal (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,          -- unix seconds
    user_id     INTEGER,                   -- who, when a person (none for the system)
    actor       TEXT NOT NULL,             -- who, as it was at the time: name (provider, subject)
    kind        TEXT NOT NULL,             -- sign_in, sign_in_failed, denial, change, membership, consent, export…
    target      TEXT NOT NULL,             -- an OID, 'user:ID' or '-'
    detail      TEXT NOT NULL,             -- JSON
    request_id  TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_journal_target ON audit_journal (target, id);
CREATE INDEX audit_journal_kind ON audit_journal (kind, id);

CREATE TRIGGER audit_journal_no_update BEFORE UPDATE ON audit_journal
BEGIN SELECT RAISE(ABORT, 'журнал аудита только дополняется: изменять записи нельзя'); END;
CREATE TRIGGER audit_journal_no_delete BEFORE DELETE ON audit_journal
BEGIN SELECT RAISE(ABORT, 'журнал аудита только дополняется: удалять записи нельзя'); END;

DROP TABLE access_denials;
