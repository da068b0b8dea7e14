-- Delivery of the outbox over SMTP (issue 4, point 5). A message is due from `next_attempt_at`;
-- a worker that takes it leases it until `locked_until`; a failed attempt counts in `attempts`,
-- keeps the reason in `last_error` and moves `next_attempt_at` on (back-off). `sent_at` is set
-- once the SMTP server has accepted it.
--
-- SQLite cannot add a NOT NULL column without a constant default: the epoch means "due at once",
-- which is also what a row written by a server of the previous version (during a rolling
-- upgrade, without this column) should be. Existing rows are due from their creation.
ALTER TABLE outbox ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00+00:00';
ALTER TABLE outbox ADD COLUMN locked_until TEXT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
UPDATE outbox SET next_attempt_at = created_at;
-- The unsent messages in the order they fall due: what a delivery run looks for.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;
