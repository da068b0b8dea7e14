-- At most one waiting job of a kind per application (see migrations/sqlite/0003_job_leases.sql).
CREATE UNIQUE INDEX jobs_one_per_application ON jobs (kind, application_id);
CREATE INDEX jobs_by_kind_due ON jobs (kind, run_at);
