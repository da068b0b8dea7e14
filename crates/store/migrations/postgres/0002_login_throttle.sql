-- Failed logins, counted per username (see migrations/sqlite/0002_login_throttle.sql).
CREATE TABLE login_failures (
    username  TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_by_username ON login_failures (username, at);
