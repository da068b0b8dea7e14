//! The periodic sweeps: stale applications, and certificates that expire.

use certdesk_domain::certificate::EXPIRY_NOTICE;
use certdesk_domain::job::JobKind;
use certdesk_store::prelude::*;
use chrono::{DateTime, Utc};

use super::WorkerConfig;

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
            .enqueue_job(JobKind::ExpireApplication, Some(*id), now)
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
            employee.given_name.as_str(),
            employee.surname.as_str(),
            &certificate.not_after.format("%d/%m/%Y").to_string(),
        );
        if store.send_expiry_notice(id, &email, now).await? {
            warned += 1;
        }
    }
    let expired = store.expired_certificates(now, 1000).await?;
    for id in &expired {
        store
            .enqueue_job(JobKind::ExpireCertificate, Some(*id), now)
            .await?;
    }
    Ok((warned, expired.len()))
}
