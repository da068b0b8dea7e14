-- Delivery of the outbox over SMTP (see migrations/sqlite/0004_outbox_delivery.sql). The default
-- of `next_attempt_at` (the epoch: due at once) serves rows written by a server of the previous
-- version during a rolling upgrade; existing rows are due from their creation.
ALTER TABLE outbox
    ADD COLUMN body_html TEXT NOT NULL DEFAULT '',
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN locked_until TIMESTAMPTZ,
    ADD COLUMN last_error TEXT;
UPDATE outbox SET next_attempt_at = created_at;
ALTER TABLE outbox
    ALTER COLUMN next_attempt_at SET DEFAULT '1970-01-01T00:00:00Z',
    ALTER COLUMN next_attempt_at SET NOT NULL;
-- The unsent messages in the order they fall due: what a delivery run looks for.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;
