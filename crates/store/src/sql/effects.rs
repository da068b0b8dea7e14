//! What transitions write besides their new states, inside their transaction: each effect the
//! domain named (the history entries are `transitions.rs`'s).

use certdesk_domain::job::JobKind;
use certdesk_domain::notification::{revocation_request_email, start_link, status_change_email};
use certdesk_domain::validation::Field;
use std::collections::HashMap;

use certdesk_domain::certificate::NewCertificate;
use certdesk_domain::email_proof::LinkToken;
use certdesk_domain::{Effect, Transition};
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::one_hop::OneHop;
use super::transitions::ROWS_PER_STATEMENT;
use super::{Conn, Db, credentials, duplicate, email_proofs, pki, push_in};
use crate::{StoreOptions, StoreResult};

/// Carries out the effects of `ts` (distinct applications) inside their transaction, after the
/// statements waiting in `hop` (which go to the database with the effects' own, in one
/// hand-off where nothing comes between). The common kinds are written for all of them at once,
/// the rest one by one; before an effect written alone, those gathered so far are written, so
/// that each runs after every effect listed before it. The beneficiaries' addresses and names
/// come from `recipients` when the caller read them already (`None`: read here, if an email
/// needs them). Everything in `hop` is written when this returns.
pub(super) async fn apply_effects_after(
    conn: &mut Conn,
    hop: &mut OneHop,
    ts: &[&Transition],
    options: &StoreOptions,
    recipients: Option<&HashMap<i64, Recipient>>,
) -> StoreResult<()> {
    let mut gathered = Gathered::default();
    for t in ts {
        for effect in &t.effects {
            if !gathered.take(t, effect) {
                gathered.write(conn, hop, options, recipients).await?;
                apply_effect(conn, t, effect, options).await?;
            }
        }
    }
    gathered.write(conn, hop, options, recipients).await
}

/// Where a transition's status-change email goes: the application's address, and the names of
/// its employee that the email greets.
pub(super) struct Recipient {
    pub(super) email: String,
    pub(super) given_name: String,
    pub(super) surname: String,
}

/// The effects written for many applications at once, gathered until written.
#[derive(Default)]
struct Gathered<'a> {
    release_usernames: Vec<i64>,
    drop_jobs: Vec<i64>,
    destroy_key_material: Vec<i64>,
    certificates: Vec<(i64, &'a NewCertificate, DateTime<Utc>)>,
    notify: Vec<&'a Transition>,
    email_links: Vec<(i64, &'a LinkToken)>,
}

impl<'a> Gathered<'a> {
    /// Keeps `effect` for later if it is of a kind written together; `false` if not.
    fn take(&mut self, t: &'a Transition, effect: &'a Effect) -> bool {
        let id = t.application_id;
        match effect {
            Effect::ReleaseUsername => self.release_usernames.push(id),
            Effect::DropPendingJobs => self.drop_jobs.push(id),
            Effect::DestroyKeyMaterial => self.destroy_key_material.push(id),
            Effect::StoreCertificate(certificate) => {
                self.certificates.push((id, certificate, t.at))
            }
            Effect::NotifyBeneficiary => self.notify.push(t),
            Effect::SetEmailLink(link) => self.email_links.push((id, link)),
            _ => return false,
        }
        true
    }

    /// Writes what was gathered, and what waits in `hop`: the deletes and the emails with it,
    /// in one hand-off; then the certificates.
    async fn write(
        &mut self,
        conn: &mut Conn,
        hop: &mut OneHop,
        options: &StoreOptions,
        recipients: Option<&HashMap<i64, Recipient>>,
    ) -> StoreResult<()> {
        let destroy = std::mem::take(&mut self.destroy_key_material);
        delete_of(
            hop,
            "usernames",
            &std::mem::take(&mut self.release_usernames),
        );
        delete_of(hop, "jobs", &std::mem::take(&mut self.drop_jobs));
        delete_of(hop, "key_material", &destroy);
        credentials::destroy(hop, &destroy);
        for (id, link) in std::mem::take(&mut self.email_links) {
            email_proofs::add_set_link(hop, id, link);
        }
        let notify = std::mem::take(&mut self.notify);
        if !notify.is_empty() {
            notify_beneficiaries(conn, hop, &notify, options, recipients).await?;
        }
        hop.flush(conn).await?;
        let certificates = std::mem::take(&mut self.certificates);
        if !certificates.is_empty() {
            pki::store_certificates(conn, &certificates).await?;
        }
        Ok(())
    }
}

/// Adds the deletes of the rows of `table` (a constant of this module) that belong to
/// applications `ids`.
pub(super) fn delete_of(deletes: &mut OneHop, table: &'static str, ids: &[i64]) {
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        deletes.add(|q| {
            q.push(format!("DELETE FROM {table} WHERE application_id"));
            push_in(q, chunk.iter().copied());
        });
    }
}

/// The addresses and names of the applications `ids`.
async fn recipients_of(conn: &mut Conn, ids: &[i64]) -> StoreResult<HashMap<i64, Recipient>> {
    let mut q = QueryBuilder::<Db>::new(
        "SELECT a.id, a.email, e.given_name, e.surname FROM applications a \
         JOIN employees e ON e.id = a.employee_id WHERE a.id",
    );
    push_in(&mut q, ids.iter().copied());
    let people: Vec<(i64, String, String, String)> =
        q.build_query_as().fetch_all(&mut *conn).await?;
    Ok(people
        .into_iter()
        .map(|(id, email, given_name, surname)| {
            let recipient = Recipient {
                email,
                given_name,
                surname,
            };
            (id, recipient)
        })
        .collect())
}

/// Adds to `hop` the status-change email to each beneficiary of `ts`, at the application's
/// address (from `recipients`, or read now).
async fn notify_beneficiaries(
    conn: &mut Conn,
    hop: &mut OneHop,
    ts: &[&Transition],
    options: &StoreOptions,
    recipients: Option<&HashMap<i64, Recipient>>,
) -> StoreResult<()> {
    for chunk in ts.chunks(ROWS_PER_STATEMENT) {
        let read;
        let people = match recipients {
            Some(known) => known,
            None => {
                let ids: Vec<i64> = chunk.iter().map(|t| t.application_id).collect();
                read = recipients_of(conn, &ids).await?;
                &read
            }
        };
        let mut rows = Vec::with_capacity(chunk.len());
        for t in chunk {
            let Some(person) = people.get(&t.application_id) else {
                continue;
            };
            // The start email's «Έναρξη» carries the token that proves the address.
            let portal_url = match (options.portal_url.as_deref(), t.email_link()) {
                (Some(url), Some(link)) => Some(start_link(url, link.token())),
                (url, _) => url.map(str::to_owned),
            };
            let email = status_change_email(
                &person.given_name,
                &person.surname,
                t.to,
                &t.description,
                t.reason.as_deref(),
                portal_url.as_deref(),
            );
            rows.push((t.application_id, person.email.clone(), email, t.at));
        }
        if rows.is_empty() {
            continue;
        }
        hop.add(|q| {
            q.push(
                "INSERT INTO outbox (application_id, recipient, subject, body_text, body_html, \
                 created_at, next_attempt_at) ",
            );
            q.push_values(rows, |mut row, (id, recipient, email, at)| {
                row.push_bind(id)
                    .push_bind(recipient)
                    .push_bind(email.subject)
                    .push_bind(email.body_text)
                    .push_bind(email.body_html)
                    .push_bind(at)
                    .push_bind(at);
            });
        });
    }
    Ok(())
}

/// One effect of the kinds written alone.
async fn apply_effect(
    conn: &mut Conn,
    t: &Transition,
    effect: &Effect,
    options: &StoreOptions,
) -> StoreResult<()> {
    let id = t.application_id;
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
        // `apply_effects_after` gathers these; alone, they are a gathering of one.
        Effect::ReleaseUsername
        | Effect::DropPendingJobs
        | Effect::DestroyKeyMaterial
        | Effect::StoreCertificate(_)
        | Effect::NotifyBeneficiary
        | Effect::SetEmailLink(_) => {
            let mut one = Gathered::default();
            one.take(t, effect);
            one.write(conn, &mut OneHop::new(), options, None).await?;
        }
    }
    Ok(())
}

/// The revocation request's email to each active ΔΨΠ of the application's organisation whose
/// username is an address (accounts made by `admin create` may have a plain name: they see the
/// task on the card only).
async fn notify_administrators(conn: &mut Conn, t: &Transition) -> StoreResult<()> {
    let id = t.application_id;
    let person = recipients_of(conn, &[id])
        .await?
        .remove(&id)
        .ok_or(crate::StoreError::NotFound)?;
    let email =
        revocation_request_email(&person.given_name, &person.surname, id, t.reason.as_deref());
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
