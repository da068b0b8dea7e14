//! The use cases that move applications: read the application, let the domain decide, store the
//! decision. Shared by the web layer (through the scoped contexts), the worker, the CLI and the
//! demo, so each rule is applied one way.

use certdesk_domain::email_proof::LinkToken;
use certdesk_domain::transition::{decide, start};
use certdesk_domain::validation::{Afm, Email, Mobile};
use certdesk_domain::{Actor, Command, HistoryEntry};
use certdesk_store::prelude::*;
use chrono::{DateTime, Utc};
use rand::Rng;

use crate::error::{AppError, AppResult};

/// How often a command is re-decided after losing a race: each retry reads the state the winner
/// left, so the second attempt normally ends in a clear answer (done, or refused by the rules).
const ATTEMPTS: usize = 5;

/// Applies `command` to application `id` as `actor`, within `scope`. Returns the application as
/// stored afterwards.
pub async fn perform(
    store: &dyn Store,
    scope: &Scope,
    id: i64,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ApplicationRecord> {
    Ok(perform_and_read(store, scope, id, command, actor, now)
        .await?
        .0)
}

/// As [`perform`], with the application's history as the change left it (read in the same
/// transaction as the change, for an answer that shows both).
pub async fn perform_and_read(
    store: &dyn Store,
    scope: &Scope,
    id: i64,
    command: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<(ApplicationRecord, Vec<HistoryEntry>)> {
    for _ in 0..ATTEMPTS {
        // The scoped read decides whether the caller may see the application at all; the
        // read-back after the change is of this same id.
        let application = store
            .application(scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let transition = decide(&application.as_domain(), command, actor, now)?;
        match store.commit_transition_and_read(&transition).await {
            Ok(read) => return Ok(read),
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(AppError::Store(StoreError::Conflict))
}

/// A ΔΨΠ starts the issuance process for an employee of their organisations (SPEC §2).
pub async fn start_application(
    store: &dyn Store,
    scope: &Scope,
    afm: &Afm,
    email: &Email,
    mobile: Option<&Mobile>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ApplicationRecord> {
    let employee = store
        .employee_by_afm(scope, afm)
        .await?
        .ok_or(AppError::NotFound)?;
    // The start email's «Έναρξη» link proves the address (issue 10); only its digest is kept.
    let link = LinkToken::new(rand::rng().random(), now);
    let transition = start(0, actor, now)?.with_email_link(link);
    let contact = ApplicationContact {
        email: email.clone(),
        mobile: mobile.cloned(),
    };
    let id = store
        .create_application(employee.id, &contact, &transition)
        .await?;
    store
        .application(scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Verifies the hash chain of every application's history; returns the ids that fail.
pub async fn verify_all_histories(store: &dyn Store) -> StoreResult<Vec<(i64, String)>> {
    let mut broken = Vec::new();
    for id in store.application_ids().await? {
        let history = store.history(&Scope::Everything, id).await?;
        if let Err(e) = certdesk_domain::history::verify_chain(&history) {
            broken.push((id, e.to_string()));
        }
    }
    Ok(broken)
}
