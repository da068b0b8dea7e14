//! Background work, taken from the jobs table by whichever server comes first: every server of
//! an installation runs this loop, and the store's `claim_job` (with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL) hands each job to exactly one of them. A job carries a lease; if its server dies,
//! the job is taken again once the lease runs out. Executing a job again is harmless: it applies
//! a domain command, which the rules refuse once the application has moved on.

use std::sync::Arc;

use certdesk_domain::{Actor, Command};
use chrono::{DateTime, Duration, Utc};

use crate::workflow::{WorkflowError, perform};
use crate::{Job, Scope, Store, StoreResult};

/// The CA issues the certificate of a signed application (handled once the CA exists).
pub const ISSUE_CERTIFICATE: &str = "issue_certificate";
/// A pending application nobody moved on is rejected.
pub const EXPIRE_APPLICATION: &str = "expire_application";

/// The kinds of job this version executes.
pub const HANDLED: &[&str] = &[EXPIRE_APPLICATION];

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
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            expire_after: Duration::days(90),
            lease: Duration::minutes(5),
            sweep_every: Duration::minutes(10),
            idle_wait: std::time::Duration::from_secs(2),
        }
    }
}

/// Queues an expiry job for every application idle longer than `expire_after`. Several servers
/// may sweep at once: a job of a kind is queued once per application.
pub async fn sweep_stale_applications(
    store: &dyn Store,
    config: &WorkerConfig,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let stale = store
        .stale_applications(now - config.expire_after, 1000)
        .await?;
    for id in &stale {
        store
            .enqueue_job(EXPIRE_APPLICATION, Some(*id), now)
            .await?;
    }
    Ok(stale.len())
}

/// Takes and executes one due job; `false` when there was none.
pub async fn run_one_job(
    store: &dyn Store,
    config: &WorkerConfig,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let Some(job) = store.claim_job(HANDLED, now, now + config.lease).await? else {
        return Ok(false);
    };
    match execute(store, config, &job, now).await {
        Ok(()) => store.complete_job(job.id).await?,
        Err(error) => {
            // Back off: 1, 2, 4 … minutes, at most a day.
            let delay = Duration::minutes(1 << job.attempts.clamp(0, 10)).min(Duration::days(1));
            tracing::warn!(job = job.id, kind = %job.kind, %error, "job failed; it will be tried again");
            store.release_job(job.id, now + delay).await?;
        }
    }
    Ok(true)
}

async fn execute(
    store: &dyn Store,
    config: &WorkerConfig,
    job: &Job,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    match (job.kind.as_str(), job.application_id) {
        (EXPIRE_APPLICATION, Some(id)) => {
            let command = Command::Expire {
                max_idle: config.expire_after,
            };
            match perform(
                store,
                &Scope::Everything,
                id,
                &command,
                &Actor::system(),
                now,
            )
            .await
            {
                Ok(_) => {
                    tracing::info!(application = id, "stale application expired");
                    Ok(())
                }
                // Moved on, or gone, since the job was queued: nothing left to do.
                Err(WorkflowError::Rule(_) | WorkflowError::NotFound) => Ok(()),
                Err(other) => Err(other),
            }
        }
        _ => {
            tracing::warn!(job = job.id, kind = %job.kind, "job of an unknown kind dropped");
            Ok(())
        }
    }
}

/// The loop each server runs in the background, until the task is dropped.
pub async fn run(
    store: Arc<dyn Store>,
    config: WorkerConfig,
    clock: impl Fn() -> DateTime<Utc> + Send,
) {
    let mut next_sweep = clock();
    loop {
        let now = clock();
        if now >= next_sweep {
            if let Err(error) = sweep_stale_applications(store.as_ref(), &config, now).await {
                tracing::warn!(%error, "sweep for stale applications failed");
            }
            next_sweep = now + config.sweep_every;
        }
        match run_one_job(store.as_ref(), &config, now).await {
            Ok(true) => {}
            Ok(false) => tokio::time::sleep(config.idle_wait).await,
            Err(error) => {
                tracing::warn!(%error, "could not take a job");
                tokio::time::sleep(config.idle_wait).await;
            }
        }
    }
}
