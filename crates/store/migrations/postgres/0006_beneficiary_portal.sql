-- The beneficiary's portal (issue 4): logins through the tax registry, the signing credentials
-- chosen at identification, and codes sent by email.

-- Portal sessions. Only the SHA-256 of the token is stored. `identity` is what the tax registry
-- answered at login (JSON: names and date of birth), which identification compares with the
-- Police record. `enrolment` holds a choice of username and signing password waiting for the
-- TOTP app to be confirmed (JSON, with the password already hashed).
CREATE TABLE portal_sessions (
    token_hash  TEXT PRIMARY KEY,
    afm         TEXT NOT NULL,
    identity    TEXT NOT NULL,
    csrf_token  TEXT NOT NULL,
    enrolment   TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (expires_at);

-- OAuth2 states sent to the tax registry: each is good for one callback, until it expires.
CREATE TABLE portal_login_states (
    state_hash  TEXT PRIMARY KEY,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- What the beneficiary signs with; destroyed with the key material.
CREATE TABLE signing_credentials (
    application_id  BIGINT PRIMARY KEY REFERENCES applications(id),
    password_hash   TEXT NOT NULL,
    otp_channel     TEXT NOT NULL,
    totp_secret     TEXT,
    totp_last_step  BIGINT,
    created_at      TIMESTAMPTZ NOT NULL
);

-- The one-time password sent by email (its digest), one at a time per application.
CREATE TABLE email_otp_codes (
    application_id  BIGINT PRIMARY KEY REFERENCES applications(id),
    code_digest     TEXT NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
