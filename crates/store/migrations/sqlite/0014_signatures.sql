-- The signing log (issue 11): every signature made with an issued certificate's key, with the
-- digest signed and who asked (portal, CSC API, SignBuffer) from which address. Append-only.
CREATE TABLE signatures (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    at              TEXT NOT NULL,
    digest          TEXT NOT NULL,
    client          TEXT NOT NULL,
    address         TEXT
);
CREATE INDEX signatures_by_application ON signatures (application_id, id);
