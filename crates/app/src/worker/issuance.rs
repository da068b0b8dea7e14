//! Issuing the certificates of signed applications. The certificate is stored only by the
//! transition to `issued`, guarded by the application's version: when a cancellation got there
//! first, the transition is refused and the certificate, made in memory, is dropped without ever
//! being stored.

use certdesk_domain::certificate::{CertificateIssuer, CertificateSubject};
use std::collections::HashMap;

use certdesk_domain::job::JobKind;
use certdesk_domain::subject::VerifiedNames;
use certdesk_domain::{Actor, Command, Status, Transition};
use certdesk_store::prelude::*;
use chrono::{DateTime, Utc};

use super::{Issuing, WorkerConfig, job_backoff};
use crate::error::{AppError, AppResult};

/// How many issuance jobs one batch takes.
pub const ISSUANCE_BATCH: i64 = 64;

/// Issues the certificate of application `id`, if it still awaits issuance; `true` when this
/// call issued it.
pub(super) async fn issue(
    store: &dyn Store,
    issuer: &dyn CertificateIssuer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    // Lost a race: the application changed meanwhile; look again (a cancellation ends it).
    for _ in 0..5 {
        let Some(transition) = prepare_issue(store, issuer, id, now).await? else {
            return Ok(false);
        };
        match store.commit_transition(&transition).await {
            Ok(()) => {
                tracing::debug!(application = id, "certificate issued");
                return Ok(true);
            }
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(AppError::Store(StoreError::Conflict))
}

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
        .claim_jobs(&[JobKind::IssueCertificate], now, now + config.lease, limit)
        .await?;
    // What the certificates need, read once for the whole batch.
    let ids: Vec<i64> = jobs.iter().filter_map(|job| job.application_id).collect();
    let applications: HashMap<i64, ApplicationRecord> = store
        .applications_of_ids(&Scope::Everything, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let employee_ids: Vec<i64> = applications.values().map(|a| a.employee_id).collect();
    let employees: HashMap<i64, EmployeeRecord> = store
        .employees_of_ids(&Scope::Everything, &employee_ids)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let names: HashMap<i64, VerifiedNames> = store
        .subject_names_of_ids(&Scope::Everything, &ids)
        .await?
        .into_iter()
        .collect();
    let mut transitions = Vec::with_capacity(jobs.len());
    let mut pending_jobs = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let application = job.application_id.and_then(|id| applications.get(&id));
        let prepared = match application {
            Some(application) => issue_transition(
                issuer.as_ref(),
                application,
                employees.get(&application.employee_id),
                names.get(&application.id).cloned(),
                now,
            ),
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
                tracing::warn!(job = job.id, %error, "issuance failed; it will be tried again");
                config.metrics.job_failed(JobKind::IssueCertificate);
                store
                    .release_job(job.id, now + job_backoff(job.attempts))
                    .await?;
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
    let issued = applied.iter().filter(|applied| **applied).count();
    config.metrics.issued(issued as u64);
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
) -> AppResult<Option<Transition>> {
    let Some(application) = store.application(&Scope::Everything, id).await? else {
        return Ok(None);
    };
    let employee = store
        .employee(&Scope::Everything, application.employee_id)
        .await?;
    let names = store.subject_names(&Scope::Everything, id).await?;
    issue_transition(issuer, &application, employee.as_ref(), names, now)
}

/// The transition that issues `application`'s certificate from what was read for it (its
/// employee and the names the registries confirmed), if it still awaits issuance.
fn issue_transition(
    issuer: &dyn CertificateIssuer,
    application: &ApplicationRecord,
    employee: Option<&EmployeeRecord>,
    names: Option<VerifiedNames>,
    now: DateTime<Utc>,
) -> AppResult<Option<Transition>> {
    let id = application.id;
    if application.status != Status::AwaitingIssuance {
        return Ok(None);
    }
    let Some(employee) = employee else {
        return Ok(None);
    };
    // The names the registries confirmed, never the HR record's own: a certificate carries only
    // what was proven.
    let Some(names) = names else {
        return Err(AppError::Configuration(format!(
            "application {id} has no names confirmed by the registries: it cannot be issued"
        )));
    };
    let subject = CertificateSubject {
        application_id: id,
        given_name: names.given_name().to_owned(),
        surname: names.surname().to_owned(),
        afm: employee.afm.to_string(),
        organisation: employee.organisation_name.clone(),
        unit: employee.unit.clone(),
        // Defence in depth: identification needs the proof, but an address nobody proved must
        // never reach a qualified certificate, whatever path led here.
        email: application
            .email_proof
            .as_ref()
            .map(|_| application.email.to_string()),
    };
    let certificate = issuer
        .issue(&subject, now)
        .map_err(AppError::Configuration)?;
    let transition = certdesk_domain::transition::decide(
        &application.as_domain(),
        &Command::Issue { certificate },
        &Actor::system(),
        now,
    )?;
    Ok(Some(transition))
}
