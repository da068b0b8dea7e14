-- The CSC API (issue 11). A holder's bearer token from auth/login, kept as its SHA-256, bound to
-- the application whose certificate signs and to the fingerprint of the signing password's hash
-- it was verified against (a new signing password ends it). A SAD from credentials/authorize,
-- kept as its SHA-256, bound to the application and to exactly the hashes it may sign: one row
-- each, signed once (`used_at`), so the number of hashes is its numSignatures.
CREATE TABLE csc_tokens (
    token_hash            TEXT PRIMARY KEY,
    application_id        INTEGER NOT NULL REFERENCES applications(id),
    password_fingerprint  TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    expires_at            TEXT NOT NULL
);
CREATE INDEX csc_tokens_by_expiry ON csc_tokens (expires_at);

CREATE TABLE csc_sads (
    sad_hash        TEXT PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX csc_sads_by_expiry ON csc_sads (expires_at);

CREATE TABLE csc_sad_hashes (
    sad_hash  TEXT NOT NULL REFERENCES csc_sads(sad_hash) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    digest    TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (sad_hash, digest)
);
