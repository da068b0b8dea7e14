//! The sweep for stale applications and the expiry jobs it queues.

use certdesk_app::worker::{run_one_job, sweep_stale_applications};
use certdesk_app::workflow::perform;
use certdesk_domain::history::verify_chain;
use certdesk_domain::job::JobKind;
use certdesk_domain::{Action, ActorKind, Command, Status};
use certdesk_store::Scope;
use chrono::Duration;

use super::{config, now, timed_out_entries};
use crate::helpers::*;

const TIMED_OUT_EL: &str = "Η αίτηση απορρίφθηκε αυτόματα";

#[tokio::test]
async fn a_stale_application_is_found_by_the_sweep_and_rejected_once() {
    let app = spawn_app().await;
    let token = app.token().await;
    let config = config();
    assert_eq!(config.expire_after, Duration::days(90), "SPEC §2's default");
    let now = now();

    let (stale_employee, stale) = app
        .application_in_at(Status::AwaitingApproval, now - Duration::days(91))
        .await;
    let (_, recent) = app
        .application_in_at(Status::AwaitingApproval, now - Duration::days(80))
        .await;
    // Old but no longer pending: not the sweep's business.
    let (_, issued) = app
        .application_in_at(Status::Issued, now - Duration::days(400))
        .await;

    let history_before = app.history(stale).await;
    let outbox_before = app.store.outbox(stale).await.unwrap();
    let version_before = app.application(stale).await.version;
    let recent_history = app.history(recent).await;
    let issued_history = app.history(issued).await;

    assert_eq!(
        sweep_stale_applications(app.store.as_ref(), &config, now)
            .await
            .unwrap(),
        1,
        "exactly the stale pending application"
    );
    let jobs = app.store.pending_jobs(stale).await.unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].kind, JobKind::ExpireApplication);
    assert_eq!(jobs[0].attempts, 0);
    assert!(app.store.pending_jobs(recent).await.unwrap().is_empty());
    // (The fixture's issued application keeps the issuance job that the CA would have completed.)
    assert!(
        app.store
            .pending_jobs(issued)
            .await
            .unwrap()
            .iter()
            .all(|j| j.kind != JobKind::ExpireApplication)
    );

    assert!(
        run_one_job(app.store.as_ref(), &config, now).await.unwrap(),
        "the queued job runs"
    );
    assert!(
        !run_one_job(app.store.as_ref(), &config, now).await.unwrap(),
        "and nothing else was due"
    );

    let expired = app.application(stale).await;
    assert_eq!(expired.status, Status::Rejected);
    assert_eq!(expired.version, version_before + 1);
    let history = app.history(stale).await;
    assert_eq!(history.len(), history_before.len() + 1, "one new entry");
    assert_eq!(history[..history_before.len()], history_before[..]);
    assert_eq!(timed_out_entries(&history), 1);
    let last = history.last().unwrap();
    assert_eq!(last.action, Action::TimedOut);
    assert_eq!(last.actor_kind, ActorKind::System);
    assert!(
        last.description.starts_with(TIMED_OUT_EL),
        "{}",
        last.description
    );
    verify_chain(&history).expect("the history's hash chain holds");

    let outbox = app.store.outbox(stale).await.unwrap();
    assert_eq!(
        outbox.len(),
        outbox_before.len() + 1,
        "one message: {outbox:?}"
    );
    let message = outbox.last().unwrap();
    assert_eq!(message.recipient, stale_employee.email);
    assert!(
        message.body_text.contains(TIMED_OUT_EL),
        "{}",
        message.body_text
    );
    assert!(app.store.pending_jobs(stale).await.unwrap().is_empty());

    // The API shows it like any rejection.
    let card = app.card_ok(&token, stale_employee.id).await;
    assert_eq!(card["application"]["status"], "rejected");
    assert_eq!(card["application"]["cancellable"], false);
    let shown = card["application"]["history"].as_array().unwrap();
    assert!(
        shown
            .iter()
            .any(|h| h["description"].as_str().unwrap().starts_with(TIMED_OUT_EL)),
        "{card}"
    );

    // A second sweep and run, the same day or days later, change nothing.
    for later in [now, now + Duration::days(1), now + Duration::days(5)] {
        assert_eq!(
            sweep_stale_applications(app.store.as_ref(), &config, later)
                .await
                .unwrap(),
            0,
            "at {later}"
        );
        assert!(
            !run_one_job(app.store.as_ref(), &config, later)
                .await
                .unwrap()
        );
    }
    let again = app.application(stale).await;
    assert_eq!(again.status, Status::Rejected);
    assert_eq!(again.version, expired.version);
    assert_eq!(app.history(stale).await, history);
    assert_eq!(app.store.outbox(stale).await.unwrap(), outbox);

    // The recent application and the issued one are untouched.
    assert_eq!(
        app.application(recent).await.status,
        Status::AwaitingApproval
    );
    assert_eq!(app.history(recent).await, recent_history);
    assert!(app.store.pending_jobs(recent).await.unwrap().is_empty());
    assert_eq!(app.application(issued).await.status, Status::Issued);
    assert_eq!(app.history(issued).await, issued_history);
}

#[tokio::test]
async fn sweeps_queue_one_job_per_application_however_often_they_run() {
    let app = spawn_app().await;
    let config = config();
    let now = now();
    let mut stale = Vec::new();
    for status in [
        Status::AwaitingDataCheck,
        Status::AwaitingSignature,
        Status::AwaitingIssuance,
    ] {
        let (_, id) = app
            .application_in_at(status, now - Duration::days(100))
            .await;
        stale.push(id);
    }
    let issuance_jobs = app.store.pending_jobs(stale[2]).await.unwrap();
    assert_eq!(
        issuance_jobs.len(),
        1,
        "awaiting_issuance has its issuance job"
    );

    // Two servers sweeping at once, then again a little later.
    let store = app.store.as_ref();
    let (first, second) = futures::join!(
        sweep_stale_applications(store, &config, now),
        sweep_stale_applications(store, &config, now),
    );
    assert_eq!((first.unwrap(), second.unwrap()), (3, 3));
    assert_eq!(
        sweep_stale_applications(store, &config, now + Duration::minutes(10))
            .await
            .unwrap(),
        3
    );
    for id in &stale {
        let expiries: Vec<_> = app
            .store
            .pending_jobs(*id)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == JobKind::ExpireApplication)
            .collect();
        assert_eq!(expiries.len(), 1, "application {id}: {expiries:?}");
    }

    let later = now + Duration::minutes(11);
    let mut ran = 0;
    while run_one_job(store, &config, later).await.unwrap() {
        ran += 1;
        assert!(ran <= 3, "more jobs ran than were queued");
    }
    assert_eq!(ran, 3);
    for id in &stale {
        assert_eq!(app.application(*id).await.status, Status::Rejected);
        let history = app.history(*id).await;
        assert_eq!(timed_out_entries(&history), 1, "application {id}");
        verify_chain(&history).unwrap();
        assert!(
            app.store.pending_jobs(*id).await.unwrap().is_empty(),
            "the expiry dropped every job of application {id}, the issuance's too"
        );
    }
}

#[tokio::test]
async fn a_job_for_an_application_that_moved_on_meanwhile_does_nothing() {
    let app = spawn_app().await;
    let token = app.token().await;
    let config = config();
    let now = now();
    let store = app.store.as_ref();

    // Cancelled after the sweep queued its expiry: the cancellation drops the job.
    let (_, cancelled) = app
        .application_in_at(Status::AwaitingApproval, now - Duration::days(100))
        .await;
    // Cancelled after a sweep read it as stale but before that sweep queued the job.
    let (_, raced) = app
        .application_in_at(Status::AwaitingSignature, now - Duration::days(100))
        .await;
    // Approved (moved on, still pending) after the sweep queued its expiry.
    let (_, approved) = app
        .application_in_at(Status::AwaitingApproval, now - Duration::days(100))
        .await;

    assert_eq!(
        sweep_stale_applications(store, &config, now).await.unwrap(),
        3
    );
    for id in [cancelled, raced] {
        assert_eq!(app.cancel(&token, id, None).await.status(), 200);
    }
    let approver = app.admin.actor();
    perform(
        store,
        &Scope::Everything,
        approved,
        &Command::Approve,
        &approver,
        now,
    )
    .await
    .expect("approve");
    // The late sweep's enqueue, after the cancellation.
    store
        .enqueue_job(JobKind::ExpireApplication, Some(raced), now)
        .await
        .unwrap();

    let mut before = Vec::new();
    for id in [cancelled, raced, approved] {
        before.push((
            app.application(id).await,
            app.history(id).await,
            app.store.outbox(id).await.unwrap(),
        ));
    }
    assert_eq!(before[0].0.status, Status::Rejected);
    assert_eq!(before[0].1.last().unwrap().action, Action::Cancelled);
    assert!(
        store.pending_jobs(cancelled).await.unwrap().is_empty(),
        "the cancellation dropped the queued expiry"
    );

    let mut ran = 0;
    while run_one_job(store, &config, now).await.unwrap() {
        ran += 1;
        assert!(ran <= 2, "more jobs ran than were queued");
    }
    assert_eq!(ran, 2, "the raced job and the approved application's job");

    for (id, (application, history, outbox)) in
        [cancelled, raced, approved].into_iter().zip(&before)
    {
        assert_eq!(&app.application(id).await, application, "application {id}");
        assert_eq!(&app.history(id).await, history, "no new entry for {id}");
        assert_eq!(timed_out_entries(history), 0);
        assert_eq!(
            &app.store.outbox(id).await.unwrap(),
            outbox,
            "no message for {id}"
        );
        assert!(
            store.pending_jobs(id).await.unwrap().is_empty(),
            "the job of {id} is completed, not left behind"
        );
    }
    assert_eq!(
        app.application(raced).await.status,
        Status::Rejected,
        "still the cancellation's rejection"
    );
    assert_eq!(
        app.history(raced).await.last().unwrap().action,
        Action::Cancelled
    );
    assert_eq!(
        app.application(approved).await.status,
        Status::AwaitingIdentification
    );
}
