-- Self-service of the holder of an issued certificate (see migrations/sqlite/0016_revocation_requests.sql).
ALTER TABLE applications ADD COLUMN revocation_requested_at TIMESTAMPTZ;
ALTER TABLE applications ADD COLUMN revocation_request_reason TEXT;
CREATE INDEX applications_revocation_requested ON applications (organisation_id, status)
    WHERE revocation_requested_at IS NOT NULL;

ALTER TABLE signing_credentials ADD COLUMN totp_drift BIGINT NOT NULL DEFAULT 0;
