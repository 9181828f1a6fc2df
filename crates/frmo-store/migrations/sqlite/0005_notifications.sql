-- Notifications (issue #4): in the cabinet, and e-mail through the outbox, which a background
-- worker of any process empties: a row is claimed with a lease (`locked_until`), sent, and marked;
-- a failure waits `next_attempt_at` (back-off) and is given up after a number of attempts.
ALTER TABLE mail_outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN locked_until INTEGER;
ALTER TABLE mail_outbox ADD COLUMN last_error TEXT;
ALTER TABLE mail_outbox ADD COLUMN failed_at INTEGER;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE notifications (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    at        INTEGER NOT NULL,
    title     TEXT NOT NULL,
    body      TEXT NOT NULL,
    link      TEXT NOT NULL,
    read_at   INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);
