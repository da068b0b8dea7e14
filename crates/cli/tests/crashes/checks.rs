//! After the crashes: every answer agrees with what the database holds, and the database agrees
//! with itself.

use std::collections::BTreeSet;

use certdesk_domain::history::verify_chain;
use certdesk_domain::{Action, HistoryEntry, Status};
use certdesk_store::prelude::*;

use crate::ADMIN_NAME;
use crate::load::{Answer, Op};
use crate::plan::Plan;

/// Checks everything; returns a line of counts for the log.
pub async fn everything_is_there(
    plan: &Plan,
    answers: &[Vec<Answer>],
    pending_at_crash: &BTreeSet<i64>,
) -> String {
    let mut cancelled_by_http = BTreeSet::new();
    let mut started_ids = std::collections::BTreeMap::new();
    let (mut ok, mut conflicts, mut lost) = (0, 0, 0);
    for (op, attempts) in plan.ops.iter().zip(answers) {
        let last = attempts
            .last()
            .unwrap_or_else(|| panic!("{op:?} was never sent"));
        let Some(status) = last.status() else {
            panic!(
                "{op:?} got no answer in {} attempts: {attempts:?}",
                attempts.len()
            );
        };
        lost += attempts.len() - 1;
        // A 409 is right after an attempt whose answer was lost: that attempt went through.
        let retried = attempts.len() > 1;
        let raced = matches!(op, Op::Cancel(id) if plan.raced.contains(id));
        let expected_conflict = match op {
            Op::Cancel(_) => "not_cancellable",
            Op::Approve(_) => "invalid_state",
            Op::Start { .. } => "open_application_exists",
        };
        match (op, status) {
            (Op::Cancel(id), 200) => {
                cancelled_by_http.insert(*id);
            }
            (Op::Approve(_), 200) => {}
            (Op::Start { afm, .. }, 201) => {
                started_ids.insert(afm.clone(), answer_id(last));
            }
            (_, 409) if retried || raced => {
                assert_eq!(
                    last.error_code(),
                    Some(expected_conflict),
                    "{op:?}: {last:?}"
                );
            }
            _ => panic!("{op:?} answered {status}: {attempts:?}"),
        }
        if status == 409 {
            conflicts += 1;
        } else {
            ok += 1;
        }
    }

    for id in &plan.cancelled {
        cancelled_once(plan, *id).await;
    }
    for id in &plan.approved {
        let (application, history) = read(plan, *id).await;
        assert_eq!(application.status, Status::AwaitingIdentification, "{id}");
        let approvals: Vec<_> = history
            .iter()
            .filter(|h| h.action == Action::Approved)
            .collect();
        assert_eq!(approvals.len(), 1, "application {id}: {history:?}");
        assert_eq!(
            approvals[0].seq,
            history.len() as i64,
            "approval is last: {id}"
        );
        assert_eq!(approvals[0].actor_name, ADMIN_NAME);
    }
    for employee_id in &plan.started {
        let store = &plan.installation.store;
        let applications = store
            .applications_of_employee(&Scope::Everything, *employee_id)
            .await
            .unwrap();
        assert_eq!(
            applications.len(),
            1,
            "employee {employee_id}: {applications:?}"
        );
        let application = &applications[0];
        assert_eq!(application.status, Status::AwaitingDataCheck);
        let history = store
            .history(&Scope::Everything, application.id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(history[0].action, Action::Started);
        assert_eq!(history[0].actor_name, ADMIN_NAME);
        let employee = store
            .employee(&Scope::Everything, *employee_id)
            .await
            .unwrap()
            .unwrap();
        if let Some(Some(answered)) = started_ids.get(employee.afm.as_str()) {
            assert_eq!(*answered, application.id, "the 201 named this application");
        }
    }
    let (mut won, mut issued) = (0, 0);
    for id in &plan.issued {
        let status = plan.installation.application(*id).await.status;
        if cancelled_by_http.contains(id) || (plan.raced.contains(id) && status == Status::Rejected)
        {
            cancelled_once(plan, *id).await;
            won += 1;
        } else {
            issued_once(plan, *id).await;
            issued += 1;
        }
    }
    // Pending when a server died, issued by the next (unless a raced cancellation won).
    let resumed = pending_at_crash
        .iter()
        .filter(|id| !cancelled_by_http.contains(id));
    for id in plan.signed_before_kills().iter().chain(resumed) {
        if !plan.raced.contains(id)
            || plan.installation.application(*id).await.status == Status::Issued
        {
            issued_once(plan, *id).await;
        }
    }
    let applications = nothing_half_moved(plan).await;
    let jobs = plan.installation.jobs_table().await;
    assert!(jobs.is_empty(), "jobs left: {jobs:?}");
    format!(
        "{ok} answered 2xx, {conflicts} answered 409 after a lost answer or a lost race, \
         {lost} answers lost to a kill and sent again; {applications} applications consistent; \
         of {} raced cancellations {won} won, {issued} issued",
        plan.raced.len()
    )
}

fn answer_id(answer: &Answer) -> Option<i64> {
    match answer {
        Answer::Http(_, body) => body["id"].as_i64(),
        Answer::Lost(_) => None,
    }
}

async fn read(plan: &Plan, id: i64) -> (ApplicationRecord, Vec<HistoryEntry>) {
    let application = plan.installation.application(id).await;
    let history = plan
        .installation
        .store
        .history(&Scope::Everything, id)
        .await
        .unwrap();
    (application, history)
}

/// Cancelled exactly once by the ΔΨΠ, with every effect: no certificate, no key, no job, the
/// username released.
async fn cancelled_once(plan: &Plan, id: i64) {
    let (application, history) = read(plan, id).await;
    assert_eq!(application.status, Status::Rejected, "{id}: {history:?}");
    let cancellations: Vec<_> = history
        .iter()
        .filter(|h| h.action == Action::Cancelled)
        .collect();
    assert_eq!(cancellations.len(), 1, "application {id}: {history:?}");
    let entry = cancellations[0];
    assert_eq!(
        entry.seq,
        history.len() as i64,
        "the cancellation is last: {id}"
    );
    assert_eq!(
        entry.description,
        format!("Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη {ADMIN_NAME}")
    );
    assert_eq!(certificate_and_key(plan, id).await, (false, false), "{id}");
    let store = &plan.installation.store;
    assert_eq!(store.reserved_username(id).await.unwrap(), None, "{id}");
    assert!(store.pending_jobs(id).await.unwrap().is_empty(), "{id}");
}

/// Issued exactly once, with its certificate and sealed key.
async fn issued_once(plan: &Plan, id: i64) {
    let (application, history) = read(plan, id).await;
    assert_eq!(application.status, Status::Issued, "{id}: {history:?}");
    let issuances = history
        .iter()
        .filter(|h| h.action == Action::Issued)
        .count();
    assert_eq!(issuances, 1, "application {id}: {history:?}");
    assert_eq!(certificate_and_key(plan, id).await, (true, true), "{id}");
}

/// Whether a certificate and a sealed key are stored for the application.
async fn certificate_and_key(plan: &Plan, id: i64) -> (bool, bool) {
    let certificate = plan
        .installation
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap();
    let key = plan.installation.probe.has_key_material(id).await;
    (certificate.is_some(), key)
}

/// Every application: its status is what its history leads to, its version the history's
/// length, its chain intact, one email per change of state, a certificate exactly when issued,
/// an issuance job exactly while awaiting issuance, and no other job. Returns how many
/// applications there are.
pub async fn nothing_half_moved(plan: &Plan) -> usize {
    let store = &plan.installation.store;
    let jobs = plan.installation.jobs_table().await;
    let ids = store.application_ids().await.unwrap();
    for id in &ids {
        let (application, history) = read(plan, *id).await;
        verify_chain(&history).unwrap_or_else(|e| panic!("application {id}: {e}"));
        assert_eq!(
            replay(&history),
            Some(application.status),
            "application {id}: {history:?}"
        );
        assert_eq!(
            application.version,
            history.len() as i64,
            "application {id}"
        );
        let changes = history.iter().filter(|h| !h.action.proves_email()).count();
        assert_eq!(
            store.outbox(*id).await.unwrap().len(),
            changes,
            "application {id}: one email per change of state: {history:?}"
        );
        let certificate = store.certificate(&Scope::Everything, *id).await.unwrap();
        assert_eq!(
            certificate.is_some(),
            application.status == Status::Issued,
            "application {id} is {:?}",
            application.status
        );
        let issuance = ("issue_certificate".to_owned(), Some(*id));
        assert_eq!(
            jobs.contains(&issuance),
            application.status == Status::AwaitingIssuance,
            "application {id} is {:?}; jobs {jobs:?}",
            application.status
        );
    }
    assert!(
        jobs.iter().all(|(kind, _)| kind == "issue_certificate"),
        "{jobs:?}"
    );
    ids.len()
}

/// The state a history leads to, by the test's own reading of each action.
fn replay(history: &[HistoryEntry]) -> Option<Status> {
    let mut status = None;
    for entry in history {
        status = match entry.action {
            Action::Started => Some(Status::AwaitingDataCheck),
            Action::DataConfirmed => Some(Status::AwaitingApproval),
            Action::Approved => Some(Status::AwaitingIdentification),
            Action::Identified => Some(Status::AwaitingSignature),
            Action::Signed => Some(Status::AwaitingIssuance),
            Action::Issued => Some(Status::Issued),
            Action::Rejected
            | Action::IdentificationFailed
            | Action::Cancelled
            | Action::TimedOut => Some(Status::Rejected),
            Action::Revoked => Some(Status::Revoked),
            Action::CertificateExpired => Some(Status::Expired),
            Action::EmailProvenByLink | Action::EmailProvenByCode | Action::RevocationRequested => {
                status
            }
        };
    }
    status
}
