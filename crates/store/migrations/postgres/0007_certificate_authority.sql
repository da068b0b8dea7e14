-- The certificate authority (issue 5): one root CA and one issuing CA. Their private keys are
-- sealed by the key-encryption key (AES-256-GCM), which is never stored here.
CREATE TABLE certificate_authority (
    id                  BIGINT PRIMARY KEY CHECK (id = 1),
    algorithm           TEXT NOT NULL,
    public_url          TEXT NOT NULL,
    root_der            BYTEA NOT NULL,
    issuing_der         BYTEA NOT NULL,
    sealed_root_key     BYTEA NOT NULL,
    sealed_issuing_key  BYTEA NOT NULL,
    kek_fingerprint     TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL
);

-- Issued certificates, one per application, written in the transaction that moves the
-- application to `issued` (the beneficiary's sealed key goes to key_material in the same one).
CREATE TABLE certificates (
    serial             TEXT PRIMARY KEY,
    application_id     BIGINT NOT NULL UNIQUE REFERENCES applications(id),
    der                BYTEA NOT NULL,
    not_before         TIMESTAMPTZ NOT NULL,
    not_after          TIMESTAMPTZ NOT NULL,
    revoked_at         TIMESTAMPTZ,
    revocation_reason  INTEGER,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX certificates_by_not_after ON certificates (not_after);
