-- Every change to what a process may keep in memory is announced on the channel `frmo_changes`,
-- whichever process or tool made it (backend/postgres/notices.rs): each frmo process forgets what
-- the notice names. A notice is sent at commit, once per payload and transaction.
--   s:<token hash>  a session changed or ended
--   u:<user id>     a person, their operator regions, memberships or consents changed
--   o:<OID>         an organization's current version, members (or their names) or invitations
--   *               a table was emptied: everything
-- New rows need no notice where nothing can be kept of them yet: a new session, a new organization
-- (a new version of an existing one closes the one before it, which is announced).

-- TG_ARGV: pairs of a payload's prefix and the column its key is in, e.g. ('u', 'user_id', 'o',
-- 'org_oid'); each is announced for the row before a change and the row after it.
CREATE FUNCTION frmo_announce_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rows jsonb[] := ARRAY[]::jsonb[];
    r jsonb;
    i int;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        rows := rows || to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        rows := rows || to_jsonb(NEW);
    END IF;
    FOREACH r IN ARRAY rows LOOP
        FOR i IN 0 .. TG_NARGS - 1 BY 2 LOOP
            PERFORM pg_notify('frmo_changes', TG_ARGV[i] || ':' || (r ->> TG_ARGV[i + 1]));
        END LOOP;
    END LOOP;
    RETURN NULL;
END
$$;

-- A person's name is on the members list of each of their organizations.
CREATE FUNCTION frmo_announce_member_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('frmo_changes', 'o:' || org_oid) FROM memberships WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;

-- A version closed (or removed): its organization. The row's own column, not `to_jsonb` of a
-- whole card, as an import closes thousands.
CREATE FUNCTION frmo_announce_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('frmo_changes', 'o:' || OLD.oid);
    RETURN NULL;
END
$$;

CREATE FUNCTION frmo_announce_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('frmo_changes', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER frmo_announce AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_row('s', 'id_hash');
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_row('u', 'id');
CREATE TRIGGER frmo_announce_name AFTER UPDATE OF display_name ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION frmo_announce_member_name();
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON operator_regions
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_row('u', 'user_id');
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_row('u', 'user_id');
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_row('u', 'user_id', 'o', 'org_oid');
CREATE TRIGGER frmo_announce AFTER INSERT OR UPDATE OR DELETE ON member_invitations
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_row('o', 'org_oid');
-- Which version is current changes only by closing the one before (`valid_to`); a card re-written
-- in place (directory codes re-numbered) keeps its version and region.
CREATE TRIGGER frmo_announce AFTER UPDATE OF valid_to, region OR DELETE ON organization_versions
    FOR EACH ROW EXECUTE FUNCTION frmo_announce_version();

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
