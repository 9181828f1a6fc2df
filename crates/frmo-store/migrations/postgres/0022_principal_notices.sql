-- Every change to what a signed-in request reads of its session (the session, its person, their
-- operator regions, memberships and consents) is announced on the channel `frmo_principal` with the
-- person's id, whichever process or tool made it: each frmo process then forgets what it kept of
-- that person's sessions (backend/postgres/principals.rs). A notice is sent at commit, once per
-- person and transaction. A new session needs none (nothing can be kept of it yet); an emptied
-- table is announced as `*`, everyone.
CREATE FUNCTION frmo_principal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('frmo_principal', '*');
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('frmo_principal', to_jsonb(OLD) ->> TG_ARGV[0]);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('frmo_principal', to_jsonb(NEW) ->> TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER frmo_principal_changed AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION frmo_principal_changed('user_id');
CREATE TRIGGER frmo_principal_changed AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION frmo_principal_changed('id');
CREATE TRIGGER frmo_principal_changed AFTER INSERT OR UPDATE OR DELETE ON operator_regions
    FOR EACH ROW EXECUTE FUNCTION frmo_principal_changed('user_id');
CREATE TRIGGER frmo_principal_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION frmo_principal_changed('user_id');
CREATE TRIGGER frmo_principal_changed AFTER INSERT OR UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION frmo_principal_changed('user_id');
CREATE TRIGGER frmo_principal_emptied AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_principal_changed();
CREATE TRIGGER frmo_principal_emptied AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_principal_changed();
CREATE TRIGGER frmo_principal_emptied AFTER TRUNCATE ON operator_regions
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_principal_changed();
CREATE TRIGGER frmo_principal_emptied AFTER TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_principal_changed();
CREATE TRIGGER frmo_principal_emptied AFTER TRUNCATE ON consents
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_principal_changed();
