//! Taking one job and carrying it out.

use certdesk_domain::job::JobKind;
use certdesk_domain::{Actor, Command};
use certdesk_store::prelude::*;
use chrono::{DateTime, Utc};

use super::{HANDLED, HANDLED_WITH_CA, Issuing, WorkerConfig, issuance, job_backoff};
use crate::error::{AppError, AppResult};
use crate::workflow::perform;

/// Takes and executes one due job; `false` when there was none.
pub async fn run_one_job(
    store: &dyn Store,
    config: &WorkerConfig,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let kinds = if config.issuer.is_some() {
        HANDLED_WITH_CA
    } else {
        HANDLED
    };
    let Some(job) = store.claim_job(kinds, now, now + config.lease).await? else {
        return Ok(false);
    };
    match execute(store, config, &job, now).await {
        Ok(()) => store.complete_job(job.id).await?,
        Err(error) => {
            tracing::warn!(job = job.id, kind = job.kind.code(), %error, "job failed; it will be tried again");
            config.metrics.job_failed(job.kind);
            store
                .release_job(job.id, now + job_backoff(job.attempts))
                .await?;
        }
    }
    Ok(true)
}

/// Applies a system command; an application that moved on (or is gone) since the job was queued
/// leaves nothing to do.
async fn apply(
    store: &dyn Store,
    id: i64,
    command: Command,
    now: DateTime<Utc>,
) -> AppResult<bool> {
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
        Ok(_) => Ok(true),
        Err(AppError::Rule(_) | AppError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

async fn execute(
    store: &dyn Store,
    config: &WorkerConfig,
    job: &Job,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(id) = job.application_id else {
        tracing::warn!(job = job.id, "a job without an application dropped");
        return Ok(());
    };
    match job.kind {
        JobKind::ExpireApplication => {
            let command = Command::Expire {
                max_idle: config.expire_after,
            };
            if apply(store, id, command, now).await? {
                tracing::info!(application = id, "stale application expired");
            }
            Ok(())
        }
        JobKind::ExpireCertificate => {
            let Some(certificate) = store.certificate(&Scope::Everything, id).await? else {
                return Ok(());
            };
            let command = Command::ExpireCertificate {
                not_after: certificate.not_after,
            };
            if apply(store, id, command, now).await? {
                tracing::info!(application = id, "certificate expired");
            }
            Ok(())
        }
        JobKind::IssueCertificate => match &config.issuer {
            Some(Issuing(issuer)) => {
                if issuance::issue(store, issuer.as_ref(), id, now).await? {
                    config.metrics.issued(1);
                }
                Ok(())
            }
            // Not taken without a CA (see `run_one_job`); should one come, leave it for later.
            None => Err(AppError::Configuration("no CA on this server".to_owned())),
        },
    }
}
