-- certdesk: organisations, administrators, employees, applications and their history, sessions,
-- jobs and the notification outbox. Times are RFC 3339 text in UTC.

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE administrators (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    full_name             TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    totp_secret           TEXT,
    must_change_password  INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL
);

CREATE TABLE administrator_organisations (
    administrator_id  INTEGER NOT NULL REFERENCES administrators(id) ON DELETE CASCADE,
    organisation_id   INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    PRIMARY KEY (administrator_id, organisation_id)
);

CREATE TABLE employees (
    id                      INTEGER PRIMARY KEY,
    organisation_id         INTEGER NOT NULL REFERENCES organisations(id),
    afm                     TEXT NOT NULL,
    surname                 TEXT NOT NULL,
    given_name              TEXT NOT NULL,
    father_name             TEXT NOT NULL,
    id_card                 TEXT,
    birth_date              TEXT,
    email                   TEXT,
    mobile                  TEXT,
    unit                    TEXT NOT NULL DEFAULT '',
    position                TEXT NOT NULL DEFAULT '',
    active                  INTEGER NOT NULL DEFAULT 1,
    -- Folded names (see certdesk_domain::text::fold): the sort order of search results.
    surname_fold            TEXT NOT NULL,
    given_fold              TEXT NOT NULL,
    current_application_id  INTEGER,
    created_at              TEXT NOT NULL,
    UNIQUE (organisation_id, afm)
);
CREATE INDEX employees_by_name ON employees (organisation_id, surname_fold, given_fold, id);
CREATE INDEX employees_by_afm ON employees (afm);
CREATE INDEX employees_by_id_card ON employees (id_card);
CREATE INDEX employees_by_email ON employees (email);
CREATE INDEX employees_by_unit ON employees (organisation_id, unit);

-- Prefix search on names: one row per folded word and per its ELOT 743 transliteration.
CREATE TABLE employee_name_keys (
    key          TEXT NOT NULL,
    employee_id  INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    PRIMARY KEY (key, employee_id)
) WITHOUT ROWID;

CREATE TABLE applications (
    id               INTEGER PRIMARY KEY,
    employee_id      INTEGER NOT NULL REFERENCES employees(id),
    organisation_id  INTEGER NOT NULL REFERENCES organisations(id),
    status           TEXT NOT NULL,
    version          INTEGER NOT NULL,
    email            TEXT NOT NULL,
    mobile           TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX applications_by_employee ON applications (employee_id, id);
CREATE INDEX applications_by_status ON applications (status, updated_at);
-- At most one open application per employee.
CREATE UNIQUE INDEX applications_one_open ON applications (employee_id)
    WHERE status NOT IN ('rejected', 'revoked', 'expired');

-- Append-only, hash-chained per application (see certdesk_domain::history).
CREATE TABLE application_history (
    application_id  INTEGER NOT NULL REFERENCES applications(id),
    seq             INTEGER NOT NULL,
    at              TEXT NOT NULL,
    action          TEXT NOT NULL,
    description     TEXT NOT NULL,
    reason          TEXT,
    actor_kind      TEXT NOT NULL,
    actor_id        INTEGER,
    actor_name      TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (application_id, seq)
);
CREATE TRIGGER application_history_no_update BEFORE UPDATE ON application_history
BEGIN SELECT RAISE(ABORT, 'application history is append-only'); END;
CREATE TRIGGER application_history_no_delete BEFORE DELETE ON application_history
BEGIN SELECT RAISE(ABORT, 'application history is append-only'); END;

-- Usernames reserved by pending applications or held by issued certificates; unique in the installation.
CREATE TABLE usernames (
    username        TEXT PRIMARY KEY,
    employee_id     INTEGER NOT NULL REFERENCES employees(id),
    application_id  INTEGER NOT NULL REFERENCES applications(id)
);
CREATE INDEX usernames_by_application ON usernames (application_id);
CREATE INDEX usernames_by_employee ON usernames (employee_id);

-- Private key material of pending and issued certificates (encrypted by the CA before it lands here).
CREATE TABLE key_material (
    application_id  INTEGER PRIMARY KEY REFERENCES applications(id),
    encrypted_key   BLOB NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    application_id  INTEGER REFERENCES applications(id),
    payload         TEXT NOT NULL DEFAULT '{}',
    run_at          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at);
CREATE INDEX jobs_by_application ON jobs (application_id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER REFERENCES applications(id),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox (sent_at, id);

-- Console sessions and API tokens; only the SHA-256 of a token is stored.
CREATE TABLE sessions (
    token_hash        TEXT PRIMARY KEY,
    administrator_id  INTEGER NOT NULL REFERENCES administrators(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    csrf_token        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    expires_at        TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
