-- One counter per throttle key, taken atomically (see migrations/sqlite/0009_throttle_counters.sql).
DROP TABLE login_failures;
CREATE TABLE throttle_counters (
    key           TEXT PRIMARY KEY,
    window_start  TIMESTAMPTZ NOT NULL,
    attempts      BIGINT NOT NULL
);
CREATE INDEX throttle_counters_by_window ON throttle_counters (window_start);
