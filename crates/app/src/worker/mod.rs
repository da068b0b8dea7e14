//! Background work, taken from the jobs table by whichever server comes first: every server of
//! an installation runs [`run`], and the store's `claim_jobs` (with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL) hands each job to exactly one of them. A job carries a lease; if its server dies,
//! the job is taken again once the lease runs out. Executing a job again is harmless: it applies
//! a domain command, which the rules refuse once the application has moved on.
//!
//! The same loop delivers the outbox when a [`Mailer`](crate::mail::Mailer) is configured
//! ([`delivery`]), sweeps for stale applications and expiring certificates ([`sweeps`]), and
//! issues certificates in batches ([`issuance`]).

pub mod delivery;
pub mod issuance;
pub mod jobs;
pub mod sweeps;

use std::sync::Arc;

use certdesk_domain::certificate::CertificateIssuer;
use certdesk_domain::job::JobKind;
use certdesk_store::prelude::*;
use chrono::{DateTime, Duration, Utc};

use crate::mail::Mailer;
pub use delivery::{Delivery, MAX_MAIL_BACKOFF, deliver_outbox, mail_backoff};
pub use issuance::{ISSUANCE_BATCH, run_issuance_batch};
pub use jobs::run_one_job;
pub use sweeps::{sweep_certificates, sweep_stale_applications};

/// The kinds of job every server executes.
pub const HANDLED: &[JobKind] = &[JobKind::ExpireApplication, JobKind::ExpireCertificate];
/// The kinds of job a server with the CA open executes.
pub const HANDLED_WITH_CA: &[JobKind] = &[
    JobKind::ExpireApplication,
    JobKind::ExpireCertificate,
    JobKind::IssueCertificate,
];

/// The CA, for the issuance jobs.
#[derive(Clone)]
pub struct Issuing(pub Arc<dyn CertificateIssuer>);

impl std::fmt::Debug for Issuing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Issuing(..)")
    }
}

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// A pending application idle this long is rejected (SPEC §2: 90 days by default).
    pub expire_after: Duration,
    /// How long a taken job stays reserved for its worker.
    pub lease: Duration,
    /// How often stale applications are looked for.
    pub sweep_every: Duration,
    /// How long to wait when there is no job.
    pub idle_wait: std::time::Duration,
    /// How many outbox messages one delivery run takes.
    pub mail_batch: i64,
    /// How long the messages a run took stay reserved for it. A run stops sending once half of
    /// it has passed (a slow SMTP server), leaving the rest to a later run.
    pub mail_lease: Duration,
    /// The CA: with it, this server issues the certificates of signed applications; without it,
    /// their jobs wait for a server that has it.
    pub issuer: Option<Issuing>,
    /// Where issuances and failed jobs are counted (`App::spawn_worker` gives the
    /// installation's).
    pub metrics: crate::metrics::Metrics,
    /// Issuance batches that go on at once, each in a loop of its own (`ISSUANCE_LANES`).
    pub issuance_lanes: usize,
}

/// A batch waits on the database most of its time (round trips to PostgreSQL, the shared sync
/// on SQLite): a few side by side keep the CA's work going meanwhile. The store hands each job to
/// one batch only.
pub const ISSUANCE_LANES: usize = 4;

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            expire_after: Duration::days(90),
            lease: Duration::minutes(5),
            sweep_every: Duration::minutes(10),
            idle_wait: std::time::Duration::from_secs(2),
            mail_batch: 10,
            mail_lease: Duration::minutes(10),
            issuer: None,
            metrics: crate::metrics::Metrics::default(),
            issuance_lanes: ISSUANCE_LANES,
        }
    }
}

/// How long a job waits after its `attempts`-th failure: 1, 2, 4 … minutes, at most a day.
pub(crate) fn job_backoff(attempts: i64) -> Duration {
    Duration::minutes(1 << attempts.clamp(0, 10)).min(Duration::days(1))
}

/// The loop each server runs in the background, until the task is dropped. With a `mailer`, it
/// also delivers the outbox; without one, emails stay in the outbox.
pub async fn run(
    store: Arc<dyn Store>,
    config: WorkerConfig,
    mailer: Option<Arc<dyn Mailer>>,
    clock: impl Fn() -> DateTime<Utc> + Send + Sync + Clone + 'static,
) {
    // The issuance lanes stop with this loop (a JoinSet aborts its tasks when dropped).
    let mut lanes = tokio::task::JoinSet::new();
    if config.issuer.is_some() {
        for _ in 0..config.issuance_lanes.max(1) {
            lanes.spawn(issuance_lane(store.clone(), config.clone(), clock.clone()));
        }
    }
    let idle = Duration::from_std(config.idle_wait).unwrap_or(Duration::seconds(2));
    let mut next_sweep = clock();
    let mut next_mail = clock();
    loop {
        let now = clock();
        if now >= next_sweep {
            if let Err(error) = sweep_stale_applications(store.as_ref(), &config, now).await {
                tracing::warn!(%error, "sweep for stale applications failed");
            }
            if let Err(error) = sweep_certificates(store.as_ref(), now).await {
                tracing::warn!(%error, "sweep for expiring certificates failed");
            }
            if let Err(error) = store.purge_expired_sessions(now).await {
                tracing::warn!(%error, "purging expired sessions failed");
            }
            let stale = certdesk_domain::throttle::stale_before(now);
            if let Err(error) = store.purge_attempts(stale).await {
                tracing::warn!(%error, "purging closed throttle counters failed");
            }
            next_sweep = now + config.sweep_every;
        }
        // A full batch means more may be due: go on without waiting.
        let mut more_mail = false;
        if let Some(mailer) = &mailer
            && now >= next_mail
        {
            match deliver_outbox(store.as_ref(), mailer.as_ref(), &config, now).await {
                Ok(delivery) if delivery.taken() as i64 >= config.mail_batch => more_mail = true,
                Ok(_) => next_mail = now + idle,
                Err(error) => {
                    tracing::warn!(%error, "could not deliver the outbox");
                    next_mail = now + idle;
                }
            }
        }
        match run_one_job(store.as_ref(), &config, now).await {
            Ok(true) => {}
            Ok(false) if more_mail => {}
            Ok(false) => tokio::time::sleep(config.idle_wait).await,
            Err(error) => {
                tracing::warn!(%error, "could not take a job");
                tokio::time::sleep(config.idle_wait).await;
            }
        }
    }
}

/// Issues the certificates of due jobs, a batch at a time, until the task is dropped.
async fn issuance_lane(
    store: Arc<dyn Store>,
    config: WorkerConfig,
    clock: impl Fn() -> DateTime<Utc> + Send + Sync,
) {
    loop {
        match run_issuance_batch(store.as_ref(), &config, clock(), ISSUANCE_BATCH).await {
            Ok(0) => tokio::time::sleep(config.idle_wait).await,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "an issuance batch failed");
                tokio::time::sleep(config.idle_wait).await;
            }
        }
    }
}
