-- Jobs claimed with a lease (issue #22): any serving process may run a job. A new job is
-- 'queued'; a process claims it (status 'running', lease_owner its id, lease_until a time it
-- keeps pushing forward while it works). A job whose lease ran out — its process died or hung — is
-- claimed again by another process; after too many attempts it is failed.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until BIGINT;
ALTER TABLE jobs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_open ON jobs (status, id);
