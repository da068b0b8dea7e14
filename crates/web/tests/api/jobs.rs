//! Background jobs (issue 3, SPEC §2 and §8): the sweep for stale applications, the jobs table with
//! its leases, and claims that hand each job to exactly one worker, on whichever store the suite
//! runs. Time is simulated: every call gets its `now`.

use std::collections::BTreeSet;

use certdesk_domain::history::verify_chain;
use certdesk_domain::{Action, ActorKind, Command, Status};
use certdesk_store::Scope;
use certdesk_store::worker::{
    EXPIRE_APPLICATION, WorkerConfig, run_one_job, sweep_stale_applications,
};
use certdesk_store::workflow::perform;
use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};

use crate::helpers::*;

const TIMED_OUT_EL: &str = "Η αίτηση απορρίφθηκε αυτόματα";

/// Now, to the microsecond: both stores keep that precision (see
/// `a_job_is_due_at_the_very_time_it_was_queued_for` for what a finer time does on PostgreSQL).
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::microseconds(1))
        .unwrap()
}

fn config() -> WorkerConfig {
    WorkerConfig::default()
}

fn timed_out_entries(history: &[certdesk_domain::HistoryEntry]) -> usize {
    history
        .iter()
        .filter(|h| h.action == Action::TimedOut)
        .count()
}

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
    assert_eq!(jobs[0].kind, EXPIRE_APPLICATION);
    assert_eq!(jobs[0].attempts, 0);
    assert!(app.store.pending_jobs(recent).await.unwrap().is_empty());
    // (The fixture's issued application keeps the issuance job that the CA would have completed.)
    assert!(
        app.store
            .pending_jobs(issued)
            .await
            .unwrap()
            .iter()
            .all(|j| j.kind != EXPIRE_APPLICATION)
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
            .filter(|j| j.kind == EXPIRE_APPLICATION)
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
async fn a_claimed_job_waits_out_its_lease_before_it_is_taken_again() {
    let app = spawn_app().await;
    let store = app.store.as_ref();
    let kind = "test_lease";
    let t0 = Utc.with_ymd_and_hms(2031, 3, 1, 9, 0, 0).unwrap();
    let lease = Duration::minutes(5);
    store.enqueue_job(kind, None, t0).await.unwrap();

    assert!(
        store
            .claim_job(&[kind], t0 - Duration::seconds(1), t0 + lease)
            .await
            .unwrap()
            .is_none(),
        "not due yet"
    );
    let first = store
        .claim_job(&[kind], t0, t0 + lease)
        .await
        .unwrap()
        .expect("due at its run_at");
    assert_eq!(first.kind, kind);
    assert_eq!(first.application_id, None);
    assert_eq!(first.run_at, t0);
    assert_eq!(first.attempts, 1);

    for during in [
        Duration::zero(),
        Duration::seconds(1),
        Duration::minutes(3),
        lease - Duration::seconds(1),
    ] {
        assert!(
            store
                .claim_job(&[kind], t0 + during, t0 + during + lease)
                .await
                .unwrap()
                .is_none(),
            "leased to its first worker {during} after the claim"
        );
    }
    assert!(
        store
            .claim_job(
                &["another_kind"],
                t0 + Duration::hours(1),
                t0 + Duration::hours(2)
            )
            .await
            .unwrap()
            .is_none(),
        "only the kinds asked for"
    );

    // The first worker died: once the lease has run out, another takes the job.
    let after = t0 + lease + Duration::seconds(1);
    let second = store
        .claim_job(&[kind], after, after + lease)
        .await
        .unwrap()
        .expect("taken again after the lease");
    assert_eq!(second.id, first.id);
    assert_eq!(second.attempts, 2);
    assert!(
        store
            .claim_job(&[kind], after, after + lease)
            .await
            .unwrap()
            .is_none()
    );

    // Given back for later: not before its new run_at.
    let retry_at = t0 + Duration::hours(1);
    store.release_job(second.id, retry_at).await.unwrap();
    assert!(
        store
            .claim_job(&[kind], retry_at - Duration::seconds(1), retry_at + lease)
            .await
            .unwrap()
            .is_none()
    );
    let third = store
        .claim_job(&[kind], retry_at, retry_at + lease)
        .await
        .unwrap()
        .expect("due again at its new run_at");
    assert_eq!((third.id, third.attempts), (first.id, 3));

    store.complete_job(third.id).await.unwrap();
    let much_later = t0 + Duration::days(1);
    assert!(
        store
            .claim_job(&[kind], much_later, much_later + lease)
            .await
            .unwrap()
            .is_none(),
        "a completed job is gone"
    );
}

#[tokio::test]
async fn a_job_whose_worker_died_is_executed_by_another_after_the_lease() {
    let app = spawn_app().await;
    let config = config();
    let now = now();
    let (_, id) = app
        .application_in_at(Status::AwaitingApproval, now - Duration::days(120))
        .await;
    sweep_stale_applications(app.store.as_ref(), &config, now)
        .await
        .unwrap();

    // Server A takes the job and dies before doing it.
    let taken = app
        .store
        .claim_job(&[EXPIRE_APPLICATION], now, now + config.lease)
        .await
        .unwrap()
        .expect("server A takes the job");
    assert_eq!(taken.application_id, Some(id));

    // Server B finds nothing while A's lease runs…
    let during = now + config.lease - Duration::seconds(1);
    assert!(
        !run_one_job(app.store.as_ref(), &config, during)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::AwaitingApproval);

    // …and does the job once it has run out.
    let after = now + config.lease + Duration::seconds(1);
    assert!(
        run_one_job(app.store.as_ref(), &config, after)
            .await
            .unwrap()
    );
    assert!(
        !run_one_job(app.store.as_ref(), &config, after)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::Rejected);
    assert_eq!(timed_out_entries(&app.history(id).await), 1);
    assert!(app.store.pending_jobs(id).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_hand_one_job_to_two_workers() {
    const JOBS: usize = 20;
    const WORKERS: usize = 8;
    let app = spawn_app().await;
    let kind = "test_concurrent";
    let t0 = Utc.with_ymd_and_hms(2031, 3, 1, 9, 0, 0).unwrap();
    for i in 0..JOBS {
        app.store
            .enqueue_job(kind, None, t0 + Duration::milliseconds(i as i64))
            .await
            .unwrap();
    }

    let claim_at = t0 + Duration::seconds(1);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let store = app.store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store
                    .claim_job(&[kind], claim_at, claim_at + Duration::hours(1))
                    .await
                    .expect("a claim")
                {
                    mine.push(job);
                }
                mine
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for worker in workers {
        claimed.extend(worker.await.expect("the worker ran"));
    }

    let ids: BTreeSet<i64> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(
        ids.len(),
        claimed.len(),
        "a job was handed out twice: {claimed:?}"
    );
    assert_eq!(claimed.len(), JOBS, "every job was claimed: {claimed:?}");
    assert!(claimed.iter().all(|j| j.attempts == 1), "{claimed:?}");
    assert!(
        app.store
            .claim_job(&[kind], claim_at, claim_at + Duration::hours(1))
            .await
            .unwrap()
            .is_none(),
        "nothing is left while the leases run"
    );
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
        .enqueue_job(EXPIRE_APPLICATION, Some(raced), now)
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

/// The worker's loop sweeps and then takes a job with one and the same `now`: a job queued for
/// `now` must be due at `now`, whatever the clock's precision.
#[tokio::test]
async fn a_job_is_due_at_the_very_time_it_was_queued_for() {
    let app = spawn_app().await;
    let kind = "test_due";
    // A clock reading finer than a microsecond (as `Utc::now()` gives on Linux).
    let at = Utc.with_ymd_and_hms(2031, 3, 1, 9, 0, 0).unwrap() + Duration::nanoseconds(700);
    app.store.enqueue_job(kind, None, at).await.unwrap();
    let job = app
        .store
        .claim_job(&[kind], at, at + Duration::minutes(5))
        .await
        .unwrap();
    assert!(job.is_some(), "a job queued for {at} is not due at {at}");
}
