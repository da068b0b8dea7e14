-- When the employee was told that the certificate expires soon (once per certificate).
ALTER TABLE certificates ADD COLUMN expiry_notice_sent_at TIMESTAMPTZ;
