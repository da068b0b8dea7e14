-- A ΔΨΠ's second factor and setup (see migrations/sqlite/0010_administrator_second_factor.sql).
ALTER TABLE administrators ADD COLUMN second_factor_required BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE administrators ADD COLUMN totp_last_step BIGINT;

CREATE TABLE administrator_recovery_codes (
    administrator_id  BIGINT NOT NULL REFERENCES administrators(id) ON DELETE CASCADE,
    code_hash         TEXT NOT NULL,
    PRIMARY KEY (administrator_id, code_hash)
);

ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_seen_at SET NOT NULL;
ALTER TABLE sessions ADD COLUMN pending_totp_secret TEXT;
CREATE INDEX sessions_by_administrator ON sessions (administrator_id);
