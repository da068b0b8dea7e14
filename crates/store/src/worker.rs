//! Background work, taken from the jobs table by whichever server comes first: every server of
//! an installation runs this loop, and the store's `claim_job` (with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL) hands each job to exactly one of them. A job carries a lease; if its server dies,
//! the job is taken again once the lease runs out. Executing a job again is harmless: it applies
//! a domain command, which the rules refuse once the application has moved on.
//!
//! The same loop delivers the outbox when a [`Mailer`] is configured ([`deliver_outbox`]): every
//! state change wrote its email in the transaction of the change; a run takes a small batch of
//! due messages under a lease (so two servers never hold one message), sends each, and records
//! the outcome. A failure leaves the message in the outbox, due again after a back-off of 1, 2,
//! 4 … minutes, at most 6 hours, for ever: nothing is dropped while the SMTP server is down.
//! Delivery is at least once: if a server dies after the SMTP server accepted a message but
//! before `sent_at` is written, the message is sent again once its lease runs out (with the same
//! Message-ID, see `mail.rs`).

use std::sync::Arc;

use certdesk_domain::certificate::{CertificateIssuer, CertificateSubject};
use certdesk_domain::{Actor, Command, Status};
use chrono::{DateTime, Duration, Utc};

use crate::mail::Mailer;
use crate::workflow::{WorkflowError, perform};
use crate::{Job, Scope, Store, StoreResult};

/// The CA issues the certificate of a signed application (handled by servers that have the CA
/// open, see [`WorkerConfig::issuer`]).
pub const ISSUE_CERTIFICATE: &str = "issue_certificate";
/// A pending application nobody moved on is rejected.
pub const EXPIRE_APPLICATION: &str = "expire_application";
/// An issued certificate past its notAfter: the application becomes `expired`.
pub const EXPIRE_CERTIFICATE: &str = "expire_certificate";

pub use certdesk_domain::certificate::EXPIRY_NOTICE;

/// The kinds of job every server executes.
pub const HANDLED: &[&str] = &[EXPIRE_APPLICATION, EXPIRE_CERTIFICATE];
/// The kinds of job a server with the CA open executes.
pub const HANDLED_WITH_CA: &[&str] = &[EXPIRE_APPLICATION, EXPIRE_CERTIFICATE, ISSUE_CERTIFICATE];

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
}

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

/// Tells the holders of certificates that expire within [`EXPIRY_NOTICE`] (once each), and queues
/// the expiry of certificates past their notAfter. Several servers may sweep at once: the notice
/// is written once, and a job of a kind is queued once per application.
pub async fn sweep_certificates(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> StoreResult<(usize, usize)> {
    let mut warned = 0;
    for certificate in store
        .certificates_to_warn(now + EXPIRY_NOTICE, 1000)
        .await?
    {
        let id = certificate.application_id;
        let Some(application) = store.application(&Scope::Everything, id).await? else {
            continue;
        };
        let Some(employee) = store
            .employee(&Scope::Everything, application.employee_id)
            .await?
        else {
            continue;
        };
        let email = certdesk_domain::notification::expiry_notice_email(
            &employee.given_name,
            &employee.surname,
            &certificate.not_after.format("%d/%m/%Y").to_string(),
        );
        if store.send_expiry_notice(id, &email, now).await? {
            warned += 1;
        }
    }
    let expired = store.expired_certificates(now, 1000).await?;
    for id in &expired {
        store
            .enqueue_job(EXPIRE_CERTIFICATE, Some(*id), now)
            .await?;
    }
    Ok((warned, expired.len()))
}

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
        (EXPIRE_CERTIFICATE, Some(id)) => {
            let Some(certificate) = store.certificate(id).await? else {
                return Ok(());
            };
            let command = Command::ExpireCertificate {
                not_after: certificate.not_after,
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
                    tracing::info!(application = id, "certificate expired");
                    Ok(())
                }
                Err(WorkflowError::Rule(_) | WorkflowError::NotFound) => Ok(()),
                Err(other) => Err(other),
            }
        }
        (ISSUE_CERTIFICATE, Some(id)) => match &config.issuer {
            Some(Issuing(issuer)) => issue(store, issuer.as_ref(), id, now).await,
            // Not taken without a CA (see `run_one_job`); should one come, leave it for later.
            None => Err(WorkflowError::Store(crate::StoreError::Configuration(
                "no CA on this server".to_owned(),
            ))),
        },
        _ => {
            tracing::warn!(job = job.id, kind = %job.kind, "job of an unknown kind dropped");
            Ok(())
        }
    }
}

/// Issues the certificate of application `id`, if it still awaits issuance. The certificate is
/// stored only by the transition to `issued`, guarded by the application's version: when a
/// cancellation got there first, the transition is refused and the certificate, made in memory,
/// is dropped without ever being stored.
async fn issue(
    store: &dyn Store,
    issuer: &dyn CertificateIssuer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    // Lost a race: the application changed meanwhile; look again (a cancellation ends it).
    for _ in 0..5 {
        let Some(transition) = prepare_issue(store, issuer, id, now).await? else {
            return Ok(());
        };
        match store.commit_transition(&transition).await {
            Ok(()) => {
                tracing::debug!(application = id, "certificate issued");
                return Ok(());
            }
            Err(crate::StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(WorkflowError::Store(crate::StoreError::Conflict))
}

/// How many issuance jobs one batch takes.
pub const ISSUANCE_BATCH: i64 = 64;

/// Issues up to `limit` certificates at once: the jobs are taken together, the certificates made
/// in memory, and every transition to `issued` stored in one transaction, so that a batch costs
/// one durable commit instead of one per certificate (the commit, not the signature, is what
/// limits issuance). A transition that lost its race (a cancellation came first) is skipped by
/// the store and its certificate dropped unstored, exactly as in [`issue`]. Returns how many jobs
/// the batch took.
pub async fn run_issuance_batch(
    store: &dyn Store,
    config: &WorkerConfig,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<usize> {
    let Some(Issuing(issuer)) = &config.issuer else {
        return Ok(0);
    };
    let jobs = store
        .claim_jobs(&[ISSUE_CERTIFICATE], now, now + config.lease, limit)
        .await?;
    let mut transitions = Vec::with_capacity(jobs.len());
    let mut pending_jobs = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let prepared = match job.application_id {
            Some(id) => prepare_issue(store, issuer.as_ref(), id, now).await,
            None => Ok(None),
        };
        match prepared {
            Ok(Some(transition)) => {
                transitions.push(transition);
                pending_jobs.push(job.id);
            }
            // Moved on since it was queued (or gone): nothing to issue.
            Ok(None) => store.complete_job(job.id).await?,
            Err(error) => {
                let delay =
                    Duration::minutes(1 << job.attempts.clamp(0, 10)).min(Duration::days(1));
                tracing::warn!(job = job.id, %error, "issuance failed; it will be tried again");
                store.release_job(job.id, now + delay).await?;
            }
        }
    }
    if transitions.is_empty() {
        return Ok(jobs.len());
    }
    let applied = match store.commit_transitions(&transitions).await {
        Ok(applied) => applied,
        Err(error) => {
            for job in &pending_jobs {
                store.release_job(*job, now).await?;
            }
            return Err(error);
        }
    };
    for (job, applied) in pending_jobs.iter().zip(applied) {
        // Issued: the transition dropped the job. Lost: a cancellation dropped it, or, if the
        // application still awaits issuance, the next batch looks again.
        if !applied {
            store.release_job(*job, now).await?;
        }
    }
    Ok(jobs.len())
}

/// The transition that issues application `id`'s certificate, if it still awaits issuance.
async fn prepare_issue(
    store: &dyn Store,
    issuer: &dyn CertificateIssuer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<certdesk_domain::Transition>, WorkflowError> {
    let Some(application) = store.application(&Scope::Everything, id).await? else {
        return Ok(None);
    };
    if application.status != Status::AwaitingIssuance {
        return Ok(None);
    }
    let Some(employee) = store
        .employee(&Scope::Everything, application.employee_id)
        .await?
    else {
        return Ok(None);
    };
    let subject = CertificateSubject {
        application_id: id,
        given_name: employee.given_name.clone(),
        surname: employee.surname.clone(),
        afm: employee.afm.clone(),
        organisation: employee.organisation_name.clone(),
        unit: employee.unit.clone(),
        email: application.email.clone(),
    };
    let certificate = issuer
        .issue(&subject, now)
        .map_err(|e| WorkflowError::Store(crate::StoreError::Configuration(e)))?;
    let transition = certdesk_domain::transition::decide(
        &application.as_domain(),
        &Command::Issue { certificate },
        &Actor::system(),
        now,
    )?;
    Ok(Some(transition))
}

/// The longest wait between two attempts at one email.
pub const MAX_MAIL_BACKOFF: Duration = Duration::hours(6);

/// How long a message waits after its `failed_attempts`-th failed delivery: 1, 2, 4 … minutes,
/// at most [`MAX_MAIL_BACKOFF`].
pub fn mail_backoff(failed_attempts: i64) -> Duration {
    let exponent = (failed_attempts - 1).clamp(0, 30);
    Duration::minutes(1_i64 << exponent).min(MAX_MAIL_BACKOFF)
}

/// What one delivery run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Accepted by the SMTP server (`sent_at` written).
    pub sent: usize,
    /// Failed, and due again after the back-off.
    pub failed: usize,
    /// Taken but not tried, because the run ran out of time; a later run takes them once their
    /// lease runs out.
    pub left: usize,
}

impl Delivery {
    pub fn taken(&self) -> usize {
        self.sent + self.failed + self.left
    }
}

/// Takes up to `mail_batch` due messages of the outbox and sends them through `mailer`. Several
/// runs (on one server or many) may go at once: the store leases each message to one of them.
pub async fn deliver_outbox(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &WorkerConfig,
    now: DateTime<Utc>,
) -> StoreResult<Delivery> {
    let messages = store
        .claim_outbox(now, now + config.mail_lease, config.mail_batch)
        .await?;
    // Sending must end well within the lease, or another run could take the same message.
    let budget = config.mail_lease.to_std().unwrap_or_default() / 2;
    let started = std::time::Instant::now();
    let mut delivery = Delivery::default();
    for message in &messages {
        if started.elapsed() >= budget {
            delivery.left += 1;
            continue;
        }
        match mailer.send(message).await {
            Ok(()) => {
                store.mark_sent(message.id, now).await?;
                delivery.sent += 1;
            }
            Err(error) => {
                let attempts = message.attempts + 1;
                let retry_at = now + mail_backoff(attempts);
                tracing::warn!(
                    message = message.id,
                    attempts,
                    %retry_at,
                    %error,
                    "email not delivered; it stays in the outbox"
                );
                store
                    .mark_failed(message.id, retry_at, &error.to_string())
                    .await?;
                delivery.failed += 1;
            }
        }
    }
    if delivery.left > 0 {
        tracing::warn!(
            left = delivery.left,
            "the SMTP server is slow: emails left for a later run"
        );
    }
    if delivery.sent > 0 {
        tracing::info!(sent = delivery.sent, "emails delivered");
    }
    Ok(delivery)
}

/// The loop each server runs in the background, until the task is dropped. With a `mailer`, it
/// also delivers the outbox; without one, emails stay in the outbox.
pub async fn run(
    store: Arc<dyn Store>,
    config: WorkerConfig,
    mailer: Option<Arc<dyn Mailer>>,
    clock: impl Fn() -> DateTime<Utc> + Send,
) {
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
        if config.issuer.is_some() {
            match run_issuance_batch(store.as_ref(), &config, now, ISSUANCE_BATCH).await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => tracing::warn!(%error, "an issuance batch failed"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_backoff_doubles_from_a_minute_up_to_six_hours() {
        let minutes: Vec<i64> = (1..=12).map(|n| mail_backoff(n).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]);
        assert_eq!(mail_backoff(0), Duration::minutes(1));
        assert_eq!(mail_backoff(i64::MAX), MAX_MAIL_BACKOFF);
    }
}
