-- Sign-in guard: failed sign-ins are counted per login and client address (so nobody can lock a
-- victim out from elsewhere, and an unknown login is counted exactly like a known one); a TOTP code
-- is accepted once (the last time-step used); a new authenticator waits beside the current one until
-- confirmed. The old per-account counter (users.failed_logins, users.locked_until) is no longer used.

ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;

CREATE TABLE login_failures (
    login         TEXT NOT NULL,     -- as typed (trimmed): known or not, counted alike
    client        TEXT NOT NULL,     -- the client address
    failures      BIGINT NOT NULL,
    locked_until  BIGINT,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (login, client)
);
CREATE INDEX login_failures_last ON login_failures (last_at);
