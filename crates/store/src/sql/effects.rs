//! What a transition writes besides the new state, inside its transaction: one history entry
//! chained to the last, and each effect the domain named.

use certdesk_domain::job::JobKind;
use certdesk_domain::notification::{revocation_request_email, start_link, status_change_email};
use certdesk_domain::validation::Field;
use certdesk_domain::{Effect, Transition};
use sqlx::Row;

use super::{Conn, credentials, duplicate, email_proofs, pki, queue_email};
use crate::{StoreOptions, StoreResult};

pub(super) async fn append_history(conn: &mut Conn, t: &Transition) -> StoreResult<()> {
    let last: Option<(String, i64)> = sqlx::query_as(
        "SELECT hash, seq FROM application_history WHERE application_id = $1 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(t.application_id)
    .fetch_optional(&mut *conn)
    .await?;
    let entry = t.history_entry(last.as_ref().map(|(hash, seq)| (hash.as_str(), *seq)));
    sqlx::query(
        "INSERT INTO application_history (application_id, seq, at, action, description, reason, \
         actor_kind, actor_id, actor_name, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.application_id)
    .bind(entry.seq)
    .bind(entry.at)
    .bind(entry.action.code())
    .bind(&entry.description)
    .bind(&entry.reason)
    .bind(entry.actor_kind.code())
    .bind(entry.actor_id)
    .bind(&entry.actor_name)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Carries out a transition's effects inside its transaction.
pub(super) async fn apply_effects(
    conn: &mut Conn,
    t: &Transition,
    options: &StoreOptions,
) -> StoreResult<()> {
    let id = t.application_id;
    for effect in &t.effects {
        match effect {
            Effect::ReserveUsername(username) => {
                sqlx::query(
                    "INSERT INTO usernames (username, employee_id, application_id) \
                     SELECT $1, employee_id, id FROM applications WHERE id = $2",
                )
                .bind(username.as_str())
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(duplicate(Field::Username))?;
            }
            Effect::ReleaseUsername => {
                sqlx::query("DELETE FROM usernames WHERE application_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Effect::DropPendingJobs => {
                sqlx::query("DELETE FROM jobs WHERE application_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Effect::DestroyKeyMaterial => {
                sqlx::query("DELETE FROM key_material WHERE application_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                credentials::destroy(&mut *conn, id).await?;
            }
            Effect::StoreCertificate(certificate) => {
                pki::store_certificate(&mut *conn, id, certificate, t.at).await?;
            }
            Effect::RevokeCertificate { reason } => {
                sqlx::query(
                    "UPDATE certificates SET revoked_at = $1, revocation_reason = $2 \
                     WHERE application_id = $3 AND revoked_at IS NULL",
                )
                .bind(t.at)
                .bind(reason.code())
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            Effect::RecordSubjectNames(names) => {
                sqlx::query(
                    "UPDATE applications SET subject_surname = $1, subject_given_name = $2, \
                     subject_father_name = $3 WHERE id = $4",
                )
                .bind(names.surname())
                .bind(names.given_name())
                .bind(names.father_name())
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            Effect::SetSigningCredentials(signing) => {
                credentials::store(&mut *conn, id, signing, t.at).await?;
            }
            Effect::QueueIssuance => {
                sqlx::query(
                    "INSERT INTO jobs (kind, application_id, run_at, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(JobKind::IssueCertificate.code())
                .bind(id)
                .bind(t.at + options.issuance_delay)
                .bind(t.at)
                .execute(&mut *conn)
                .await?;
            }
            Effect::SetEmailLink(link) => email_proofs::set_link(&mut *conn, id, link).await?,
            Effect::RecordEmailProof(method) => {
                email_proofs::record_proof(&mut *conn, id, *method, t.at).await?;
            }
            Effect::RecordRevocationRequest => {
                sqlx::query(
                    "UPDATE applications SET revocation_requested_at = $1, \
                     revocation_request_reason = $2 WHERE id = $3",
                )
                .bind(t.at)
                .bind(&t.reason)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            Effect::NotifyAdministrators => notify_administrators(conn, t).await?,
            Effect::NotifyBeneficiary => {
                let (given_name, surname) = person_names(conn, id).await?;
                // The start email's «Έναρξη» carries the token that proves the address.
                let portal_url = match (options.portal_url.as_deref(), t.email_link()) {
                    (Some(url), Some(link)) => Some(start_link(url, link.token())),
                    (url, _) => url.map(str::to_owned),
                };
                let email = status_change_email(
                    &given_name,
                    &surname,
                    t.to,
                    &t.description,
                    t.reason.as_deref(),
                    portal_url.as_deref(),
                );
                queue_email(conn, id, &email, t.at).await?;
            }
        }
    }
    Ok(())
}

/// The revocation request's email to each active ΔΨΠ of the application's organisation whose
/// username is an address (accounts made by `admin create` may have a plain name: they see the
/// task on the card only).
async fn notify_administrators(conn: &mut Conn, t: &Transition) -> StoreResult<()> {
    let id = t.application_id;
    let (given_name, surname) = person_names(conn, id).await?;
    let email = revocation_request_email(&given_name, &surname, id, t.reason.as_deref());
    sqlx::query(
        "INSERT INTO outbox (application_id, recipient, subject, body_text, body_html, \
         created_at, next_attempt_at) \
         SELECT a.id, ad.username, $1, $2, $3, $4, $4 FROM applications a \
         JOIN administrator_organisations ao ON ao.organisation_id = a.organisation_id \
         JOIN administrators ad ON ad.id = ao.administrator_id \
         WHERE a.id = $5 AND ad.role = $6 AND NOT ad.disabled AND ad.username LIKE '%_@_%' \
         ORDER BY ad.id",
    )
    .bind(&email.subject)
    .bind(&email.body_text)
    .bind(&email.body_html)
    .bind(t.at)
    .bind(id)
    .bind(certdesk_domain::role::Role::Administrator.code())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The given name and surname of the employee whose application `id` is.
async fn person_names(conn: &mut Conn, id: i64) -> StoreResult<(String, String)> {
    let person = sqlx::query(
        "SELECT e.given_name, e.surname FROM applications a \
         JOIN employees e ON e.id = a.employee_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((person.try_get("given_name")?, person.try_get("surname")?))
}
