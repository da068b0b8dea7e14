-- At most one waiting job of a kind per application, so that several servers sweeping for the
-- same work queue it once.
CREATE UNIQUE INDEX jobs_one_per_application ON jobs (kind, application_id);
CREATE INDEX jobs_by_kind_due ON jobs (kind, run_at);
