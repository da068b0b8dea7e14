-- The signing log (see migrations/sqlite/0014_signatures.sql).
CREATE TABLE signatures (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    at              TIMESTAMPTZ NOT NULL,
    digest          TEXT NOT NULL,
    client          TEXT NOT NULL,
    address         TEXT
);
CREATE INDEX signatures_by_application ON signatures (application_id, id);
