//! The use cases that move applications: read the application, let the domain decide, store the
//! decision. Shared by the web layer, the CLI and the demo, so each rule is applied one way.

use certdesk_domain::transition::{decide, start};
use certdesk_domain::validation::{Afm, Email, Mobile};
use certdesk_domain::{Actor, Command, DomainError};
use chrono::{DateTime, Utc};

use crate::{ApplicationContact, ApplicationRecord, Scope, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Not there, or not visible to the caller (another organisation's employee): the same answer.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Rule(#[from] DomainError),
    #[error("the employee already has an open application")]
    OpenApplicationExists,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WorkflowError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => WorkflowError::NotFound,
            StoreError::OpenApplicationExists => WorkflowError::OpenApplicationExists,
            other => WorkflowError::Store(other),
        }
    }
}

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
) -> Result<ApplicationRecord, WorkflowError> {
    for _ in 0..ATTEMPTS {
        let application = store
            .application(scope, id)
            .await?
            .ok_or(WorkflowError::NotFound)?;
        let transition = decide(&application.as_domain(), command, actor, now)?;
        match store.commit_transition(&transition).await {
            Ok(()) => {
                return store
                    .application(scope, id)
                    .await?
                    .ok_or(WorkflowError::NotFound);
            }
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(WorkflowError::Store(StoreError::Conflict))
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
) -> Result<ApplicationRecord, WorkflowError> {
    let employee = store
        .employee_by_afm(scope, afm.as_str())
        .await?
        .ok_or(WorkflowError::NotFound)?;
    let transition = start(0, actor, now)?;
    let contact = ApplicationContact {
        email: email.as_str().to_owned(),
        mobile: mobile.map(|m| m.as_str().to_owned()),
    };
    let id = store
        .create_application(employee.id, &contact, &transition)
        .await?;
    store
        .application(scope, id)
        .await?
        .ok_or(WorkflowError::NotFound)
}

/// Verifies the hash chain of every application's history; returns the ids that fail.
pub async fn verify_all_histories(store: &dyn Store) -> Result<Vec<(i64, String)>, StoreError> {
    let mut broken = Vec::new();
    for id in store.application_ids().await? {
        if let Err(e) = certdesk_domain::history::verify_chain(&store.history(id).await?) {
            broken.push((id, e.to_string()));
        }
    }
    Ok(broken)
}
