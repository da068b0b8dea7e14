-- Failed logins, counted per username to slow down password guessing (SPEC §9). In the database,
-- not in a server's memory, so that every server of an installation sees the same count.
CREATE TABLE login_failures (
    username  TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX login_failures_by_username ON login_failures (username, at);
