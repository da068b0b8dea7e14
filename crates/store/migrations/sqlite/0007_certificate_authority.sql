-- The certificate authority (issue 5): one root CA and one issuing CA. Their private keys are
-- sealed by the key-encryption key (AES-256-GCM), which is never stored here.
CREATE TABLE certificate_authority (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    algorithm           TEXT NOT NULL,
    public_url          TEXT NOT NULL,
    root_der            BLOB NOT NULL,
    issuing_der         BLOB NOT NULL,
    sealed_root_key     BLOB NOT NULL,
    sealed_issuing_key  BLOB NOT NULL,
    kek_fingerprint     TEXT NOT NULL,
    created_at          TEXT NOT NULL
);

-- Issued certificates, one per application, written in the transaction that moves the
-- application to `issued` (the beneficiary's sealed key goes to key_material in the same one).
CREATE TABLE certificates (
    serial             TEXT PRIMARY KEY,
    application_id     INTEGER NOT NULL UNIQUE REFERENCES applications(id),
    der                BLOB NOT NULL,
    not_before         TEXT NOT NULL,
    not_after          TEXT NOT NULL,
    revoked_at         TEXT,
    revocation_reason  INTEGER,
    created_at         TEXT NOT NULL
);
CREATE INDEX certificates_by_not_after ON certificates (not_after);
