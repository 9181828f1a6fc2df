-- Invitations to an organization's cabinet (issue #17): a chief or an operator names a person by
-- login, e-mail or СНИЛС and the membership is made when that person signs in, so inviting never
-- looks up (and never confirms) anybody's account.
CREATE TABLE member_invitations (
    id          INTEGER PRIMARY KEY,
    org_oid     TEXT NOT NULL REFERENCES organizations (oid),
    who         TEXT NOT NULL,             -- 'login:…', 'email:…' (lower case) or 'snils:' + 11 digits
    role        TEXT NOT NULL,             -- member | chief
    invited_by  INTEGER REFERENCES users (id),
    invited_at  INTEGER NOT NULL,
    UNIQUE (org_oid, who)
);
CREATE INDEX member_invitations_who ON member_invitations (who);
