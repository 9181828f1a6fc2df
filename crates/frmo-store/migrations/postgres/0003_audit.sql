-- The audit journal: append-only (the triggers refuse UPDATE, DELETE and TRUNCATE), each entry
-- chained to the previous one by SHA-256 (frmo_store::audit::entry_hash), numbered 1, 2, 3…
-- without gaps. Access denials move here from the identity migration's table.
CREATE TABLE audit_journal (
    id          BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,           -- unix seconds
    user_id     BIGINT,                    -- who, when a person (none for the system)
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

CREATE FUNCTION audit_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'журнал аудита только дополняется: % запрещено', TG_OP;
END
$$;
CREATE TRIGGER audit_journal_no_change BEFORE UPDATE OR DELETE ON audit_journal
    FOR EACH ROW EXECUTE FUNCTION audit_journal_append_only();
CREATE TRIGGER audit_journal_no_truncate BEFORE TRUNCATE ON audit_journal
    FOR EACH STATEMENT EXECUTE FUNCTION audit_journal_append_only();

DROP TABLE access_denials;
