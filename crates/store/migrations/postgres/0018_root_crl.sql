-- The root's CRL (issue 11, PAdES B-LT): the revocation status of the issuing CA, signed by the
-- root when the CA is made and again by `certdesk serve` before it expires. NULL for a CA made
-- before this migration, until the next start-up signs one.
ALTER TABLE certificate_authority ADD COLUMN root_crl BYTEA;
