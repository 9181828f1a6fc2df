-- Every change to what a process may keep in memory is announced on the channel `frmo_changes`,
-- whichever process or tool made it (backend/postgres/notices.rs): each frmo process forgets what
-- the notice names. A notice is sent at commit, once per payload and transaction.
--   s:<token hash>  a session changed or ended
--   u:<user id>     a person, their operator regions, memberships or consents changed
--   o:<OID>         an organization's current version, members (or their names) or invitations
--   *               a table was emptied: everything
-- New rows need no notice where nothing can be kept of them yet: a new session, a new organization
-- (a new version of an existing one closes the one before it, which is announced).

CREATE FUNCTION frmo_announce(payload text) RETURNS void LANGUAGE sql AS $$
    SELECT pg_notify('frmo_changes', payload)
$$;

CREATE FUNCTION frmo_announce_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM frmo_announce('s:' || OLD.id_hash);
    RETURN NULL;
END
$$;

-- TG_ARGV[0]: the column holding the person's id; TG_ARGV[1], if any: the organization's OID.
CREATE FUNCTION frmo_announce_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM frmo_announce('u:' || (to_jsonb(OLD) ->> TG_ARGV[0]));
        IF TG_NARGS > 1 THEN
            PERFORM frmo_announce('o:' || (to_jsonb(OLD) ->> TG_ARGV[1]));
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM frmo_announce('u:' || (to_jsonb(NEW) ->> TG_ARGV[0]));
        IF TG_NARGS > 1 THEN
            PERFORM frmo_announce('o:' || (to_jsonb(NEW) ->> TG_ARGV[1]));
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- A person's name is on the members list of each of their organizations.
CREATE FUNCTION frmo_announce_member_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM frmo_announce('o:' || org_oid) FROM memberships WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION frmo_announce_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM frmo_announce('o:' || OLD.oid);
    RETURN NULL;
END
$$;

CREATE FUNCTION frmo_announce_invitation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM frmo_announce('o:' || OLD.org_oid);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM frmo_announce('o:' || NEW.org_oid);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION frmo_announce_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM frmo_announce('*');
    RETURN NULL;
END
$$;

CREATE TRIGGER frmo_announce AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_session();
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_person('id');
CREATE TRIGGER frmo_announce_name AFTER UPDATE OF display_name ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION frmo_announce_member_name();
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON operator_regions
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_person('user_id');
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_person('user_id');
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_person('user_id', 'org_oid');
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON member_invitations
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_invitation();
-- Which version is current changes only by closing the one before (`valid_to`); a card re-written
-- in place (directory codes re-numbered) keeps its version and region.
CREATE TRIGGER frmo_announce AFTER UPDATE OF valid_to, region OR DELETE ON organization_versions
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_organization();

CREATE TRIGGER frmo_announce_emptied AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_announce_emptied();
CREATE TRIGGER frmo_announce_emptied AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_announce_emptied();
CREATE TRIGGER frmo_announce_emptied AFTER TRUNCATE ON operator_regions
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_announce_emptied();
CREATE TRIGGER frmo_announce_emptied AFTER TRUNCATE ON consents
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_announce_emptied();
CREATE TRIGGER frmo_announce_emptied AFTER TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_announce_emptied();
CREATE TRIGGER frmo_announce_emptied AFTER TRUNCATE ON member_invitations
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_announce_emptied();
CREATE TRIGGER frmo_announce_emptied AFTER TRUNCATE ON organization_versions
    FOR EACH STATEMENT EXECUTE FUNCTION frmo_announce_emptied();
