-- Roles, disabled accounts and the security log (see migrations/sqlite/0011_roles_and_security_log.sql).
ALTER TABLE administrators ADD COLUMN role TEXT NOT NULL DEFAULT 'administrator';
ALTER TABLE administrators ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE security_events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT,
    subject   TEXT,
    address   TEXT,
    detail    TEXT
);
CREATE INDEX security_events_by_time ON security_events (at, id);
