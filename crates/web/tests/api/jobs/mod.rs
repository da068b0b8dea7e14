//! Background jobs (issue 3, SPEC §2 and §8): the sweep for stale applications, the jobs table with
//! its leases, and claims that hand each job to exactly one worker, on whichever store the suite
//! runs. Time is simulated: every call gets its `now`.

mod expiry;
mod leases;

use certdesk_app::worker::WorkerConfig;
use certdesk_domain::Action;
use chrono::{DateTime, Duration, DurationRound, Utc};

/// Now, to the microsecond: both stores keep that precision (see
/// `a_job_is_due_at_the_very_time_it_was_queued_for` for what a finer time does on PostgreSQL).
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::microseconds(1))
        .unwrap()
}

fn config() -> WorkerConfig {
    WorkerConfig::default()
}

fn timed_out_entries(history: &[certdesk_domain::HistoryEntry]) -> usize {
    history
        .iter()
        .filter(|h| h.action == Action::TimedOut)
        .count()
}
