-- certdesk on PostgreSQL: the same tables as migrations/sqlite/0001_foundation.sql.
-- Search keys and folded names use the "C" collation: prefix ranges and the sort order must
-- compare code points, whatever the database's default collation.

CREATE TABLE organisations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE administrators (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    full_name             TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    totp_secret           TEXT,
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE administrator_organisations (
    administrator_id  BIGINT NOT NULL REFERENCES administrators(id) ON DELETE CASCADE,
    organisation_id   BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    PRIMARY KEY (administrator_id, organisation_id)
);

CREATE TABLE employees (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id         BIGINT NOT NULL REFERENCES organisations(id),
    afm                     TEXT NOT NULL,
    surname                 TEXT NOT NULL,
    given_name              TEXT NOT NULL,
    father_name             TEXT NOT NULL,
    id_card                 TEXT,
    birth_date              DATE,
    email                   TEXT,
    mobile                  TEXT,
    unit                    TEXT NOT NULL DEFAULT '',
    position                TEXT NOT NULL DEFAULT '',
    active                  BOOLEAN NOT NULL DEFAULT TRUE,
    surname_fold            TEXT COLLATE "C" NOT NULL,
    given_fold              TEXT COLLATE "C" NOT NULL,
    current_application_id  BIGINT,
    created_at              TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, afm)
);
CREATE INDEX employees_by_name ON employees (organisation_id, surname_fold, given_fold, id);
CREATE INDEX employees_by_afm ON employees (afm);
CREATE INDEX employees_by_id_card ON employees (id_card);
CREATE INDEX employees_by_email ON employees (lower(email));
CREATE INDEX employees_by_unit ON employees (organisation_id, unit);

CREATE TABLE employee_name_keys (
    key          TEXT COLLATE "C" NOT NULL,
    employee_id  BIGINT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    PRIMARY KEY (key, employee_id)
);

CREATE TABLE applications (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    employee_id      BIGINT NOT NULL REFERENCES employees(id),
    organisation_id  BIGINT NOT NULL REFERENCES organisations(id),
    status           TEXT NOT NULL,
    version          BIGINT NOT NULL,
    email            TEXT NOT NULL,
    mobile           TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX applications_by_employee ON applications (employee_id, id);
CREATE INDEX applications_by_status ON applications (status, updated_at);
CREATE UNIQUE INDEX applications_one_open ON applications (employee_id)
    WHERE status NOT IN ('rejected', 'revoked', 'expired');

CREATE TABLE application_history (
    application_id  BIGINT NOT NULL REFERENCES applications(id),
    seq             BIGINT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    action          TEXT NOT NULL,
    description     TEXT NOT NULL,
    reason          TEXT,
    actor_kind      TEXT NOT NULL,
    actor_id        BIGINT,
    actor_name      TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (application_id, seq)
);
CREATE FUNCTION application_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'application history is append-only';
END;
$$;
CREATE TRIGGER application_history_no_update BEFORE UPDATE OR DELETE ON application_history
    FOR EACH ROW EXECUTE FUNCTION application_history_append_only();

CREATE TABLE usernames (
    username        TEXT PRIMARY KEY,
    employee_id     BIGINT NOT NULL REFERENCES employees(id),
    application_id  BIGINT NOT NULL REFERENCES applications(id)
);
CREATE INDEX usernames_by_application ON usernames (application_id);
CREATE INDEX usernames_by_employee ON usernames (employee_id);

CREATE TABLE key_material (
    application_id  BIGINT PRIMARY KEY REFERENCES applications(id),
    encrypted_key   BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE jobs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,
    application_id  BIGINT REFERENCES applications(id),
    payload         TEXT NOT NULL DEFAULT '{}',
    run_at          TIMESTAMPTZ NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at);
CREATE INDEX jobs_by_application ON jobs (application_id);

CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  BIGINT REFERENCES applications(id),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    attempts        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox (sent_at, id);

CREATE TABLE sessions (
    token_hash        TEXT PRIMARY KEY,
    administrator_id  BIGINT NOT NULL REFERENCES administrators(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    csrf_token        TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
