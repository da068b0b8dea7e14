-- Proof that the beneficiary controls the application's work email (issue 10, section 1): the
-- address goes into the qualified certificate. The start email's «Έναρξη» link carries a
-- single-use token, of which only the SHA-256 is kept here; the fallback is a six-digit code
-- sent to the address, kept as an HMAC under a key derived from the KEK. Both are cleared once
-- the proof is recorded. Applications identified before this migration stay unproven: their
-- certificates carry no email address.
ALTER TABLE applications ADD COLUMN email_link_hash TEXT;
ALTER TABLE applications ADD COLUMN email_link_expires_at TEXT;
ALTER TABLE applications ADD COLUMN email_code_digest TEXT;
ALTER TABLE applications ADD COLUMN email_code_expires_at TEXT;
ALTER TABLE applications ADD COLUMN email_proven_at TEXT;
-- 'link' or 'code'.
ALTER TABLE applications ADD COLUMN email_proven_by TEXT;
