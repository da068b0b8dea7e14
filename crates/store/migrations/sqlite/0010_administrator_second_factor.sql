-- A ΔΨΠ's second factor and setup (SPEC §9): whether the account must have a TOTP app (the demo
-- relaxes it), the last TOTP step accepted (a code counts once), single-use recovery codes kept
-- as hashes; and for sessions, when they were last used (the idle timeout) and the TOTP secret
-- waiting for its first code during enrolment. `totp_secret` and `must_change_password` exist
-- since 0001.
ALTER TABLE administrators ADD COLUMN second_factor_required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE administrators ADD COLUMN totp_last_step INTEGER;

CREATE TABLE administrator_recovery_codes (
    administrator_id  INTEGER NOT NULL REFERENCES administrators(id) ON DELETE CASCADE,
    code_hash         TEXT NOT NULL,
    PRIMARY KEY (administrator_id, code_hash)
);

ALTER TABLE sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ADD COLUMN pending_totp_secret TEXT;
CREATE INDEX sessions_by_administrator ON sessions (administrator_id);
