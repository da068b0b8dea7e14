-- Roles kept apart (issue 10): every existing account is a ΔΨΠ; operators and auditors serve no
-- organisation. A disabled account cannot log in. The security log is separate from the
-- applications' histories, append-only, and holds no password, token or code.
ALTER TABLE administrators ADD COLUMN role TEXT NOT NULL DEFAULT 'administrator';
ALTER TABLE administrators ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

CREATE TABLE security_events (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT,
    subject   TEXT,
    address   TEXT,
    detail    TEXT
);
CREATE INDEX security_events_by_time ON security_events (at, id);
