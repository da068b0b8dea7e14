-- The CSC API's bearer tokens and SADs (see migrations/sqlite/0015_csc.sql).
CREATE TABLE csc_tokens (
    token_hash            TEXT PRIMARY KEY,
    application_id        BIGINT NOT NULL REFERENCES applications(id),
    password_fingerprint  TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    expires_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX csc_tokens_by_expiry ON csc_tokens (expires_at);

CREATE TABLE csc_sads (
    sad_hash        TEXT PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX csc_sads_by_expiry ON csc_sads (expires_at);

CREATE TABLE csc_sad_hashes (
    sad_hash  TEXT NOT NULL REFERENCES csc_sads(sad_hash) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    digest    TEXT NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (sad_hash, digest)
);
