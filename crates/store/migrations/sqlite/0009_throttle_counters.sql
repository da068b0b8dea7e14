-- One counter per throttle key, taken atomically before an attempt is made (an upsert that
-- answers the count), instead of one row per failure counted afterwards: concurrent guesses can
-- no longer all pass while the count is under the limit. `window_start` is when the current
-- window opened; the worker deletes counters whose window closed long ago.
DROP TABLE login_failures;
CREATE TABLE throttle_counters (
    key           TEXT PRIMARY KEY,
    window_start  TEXT NOT NULL,
    attempts      INTEGER NOT NULL
);
CREATE INDEX throttle_counters_by_window ON throttle_counters (window_start);
