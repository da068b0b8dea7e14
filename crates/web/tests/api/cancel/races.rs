//! Cancellations racing each other, the issuance job and the batched issuance: exactly one
//! winner each time.

use certdesk_domain::Status;
use certdesk_store::Scope;
use chrono::Utc;
use futures::future::join_all;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_cancels_have_exactly_one_winner() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = app.application_in(Status::AwaitingIssuance).await;

    let responses = join_all((0..50).map(|_| app.cancel(&token, id, None))).await;
    let mut ok = 0;
    let mut conflicts = 0;
    for response in responses {
        match response.status().as_u16() {
            200 => ok += 1,
            409 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "not_cancellable", "{body}");
                conflicts += 1;
            }
            other => panic!(
                "unexpected status {other}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert_eq!((ok, conflicts), (1, 49));

    let history = app.history(id).await;
    let cancelled = history
        .iter()
        .filter(|h| h.action == certdesk_domain::Action::Cancelled)
        .count();
    assert_eq!(cancelled, 1, "{history:#?}");
    assert_eq!(app.application(id).await.status, Status::Rejected);
    let notices = app
        .store
        .outbox(id)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.subject.contains(REJECTED_EL))
        .count();
    assert_eq!(notices, 1, "the beneficiary is notified once");
    assert_eq!(app.store.pending_jobs(id).await.unwrap(), vec![]);
    certdesk_domain::history::verify_chain(&history).expect("the chain holds");
}

/// Issue 5, point 3: the issuance job (the real one, with the test CA) and a ΔΨΠ's cancellation
/// race for the same application, 200 times. Each race has exactly one winner. When the
/// cancellation wins, no certificate or key of that application is ever stored; when the
/// issuance wins, the cancellation answers 409 pointing to revocation. The cancellation is sent
/// at once or up to twice the job's usual time later, so that both outcomes must occur.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_racing_the_issuance_job_has_exactly_one_winner_200_times() {
    let app = spawn_app().await;
    let token = app.token().await;
    let config = app.issuing_worker();
    // How long the job takes here, alone (a debug build or not, either store).
    let (_, alone) = app.application_in(Status::AwaitingIssuance).await;
    let started = std::time::Instant::now();
    assert!(
        certdesk_app::worker::run_one_job(app.store.as_ref(), &config, Utc::now())
            .await
            .unwrap()
    );
    let job_time = started.elapsed();
    assert_eq!(app.application(alone).await.status, Status::Issued);
    let (mut cancels_won, mut issues_won) = (0, 0);
    for round in 0..200u32 {
        let (_, id) = app.application_in(Status::AwaitingIssuance).await;
        assert_eq!(
            app.store.pending_jobs(id).await.unwrap().len(),
            1,
            "the job is queued"
        );
        let job = certdesk_app::worker::run_one_job(app.store.as_ref(), &config, Utc::now());
        let delay = job_time * (round % 5) / 2;
        let cancel = async {
            // (Even a zero sleep waits for the timer's next tick.)
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            app.cancel(&token, id, None).await
        };
        let (cancelled, ran) = tokio::join!(cancel, job);
        // The cancellation may drop the job before the worker takes it: then it must have won.
        let ran = ran.unwrap();
        assert!(
            ran || cancelled.status() == 200,
            "round {round}: no job and no cancellation"
        );
        let stored = app.application(id).await;
        let certificate = app.store.certificate(&Scope::Everything, id).await.unwrap();
        let key = app.probe.has_key_material(id).await;
        match cancelled.status().as_u16() {
            200 => {
                cancels_won += 1;
                assert_eq!(stored.status, Status::Rejected, "round {round}");
                assert!(
                    certificate.is_none(),
                    "round {round}: a certificate was stored"
                );
                assert!(!key, "round {round}: key material was kept");
            }
            409 => {
                issues_won += 1;
                assert_eq!(stored.status, Status::Issued, "round {round}");
                assert!(certificate.is_some() && key, "round {round}");
                let error = assert_error(cancelled, 409, "not_cancellable").await;
                assert!(error["message"].as_str().unwrap().contains("Ανάκληση"));
            }
            status => panic!("round {round}: cancel answered {status}, stored {stored:?}"),
        }
        assert_eq!(
            app.store.pending_jobs(id).await.unwrap(),
            vec![],
            "round {round}"
        );
        let history = app.history(id).await;
        let finishing = history
            .iter()
            .filter(|h| {
                matches!(
                    h.action,
                    certdesk_domain::Action::Cancelled | certdesk_domain::Action::Issued
                )
            })
            .count();
        assert_eq!(finishing, 1, "round {round}: {history:#?}");
    }
    // Both outcomes must be reached, or the test raced nothing.
    println!("cancellations won {cancels_won}, issuances won {issues_won} (a job: {job_time:?})");
    assert!(
        cancels_won > 0 && issues_won > 0,
        "one side never won: cancellations {cancels_won}, issuances {issues_won}"
    );
}

/// The same race against the batched issuance (one transaction for many certificates): 10
/// batches of 20 applications, every other one cancelled while its batch runs. A cancellation
/// that wins leaves no certificate or key; one that loses answers 409; the others are issued.
/// The cancellations of a batch are spread over about twice as long as a batch takes, so that
/// some come before its commit, some after, and some with it: both outcomes must occur.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellations_racing_a_batch_of_issuances_each_have_one_winner() {
    let app = spawn_app().await;
    let token = app.token().await;
    let config = app.issuing_worker();
    // How long a batch of 20 takes here, alone (a debug build or not, either store).
    let mut alone = Vec::new();
    for _ in 0..20 {
        alone.push(app.application_in(Status::AwaitingIssuance).await.1);
    }
    let started = std::time::Instant::now();
    let taken =
        certdesk_app::worker::run_issuance_batch(app.store.as_ref(), &config, Utc::now(), 64)
            .await
            .unwrap();
    let batch_time = started.elapsed();
    assert_eq!(taken, 20);
    for id in alone {
        assert_eq!(app.application(id).await.status, Status::Issued);
    }
    let (mut cancels_won, mut cancels_lost) = (0, 0);
    for round in 0..10 {
        let mut ids = Vec::new();
        for _ in 0..20 {
            ids.push(app.application_in(Status::AwaitingIssuance).await.1);
        }
        let (token, app) = (&token, &app);
        let cancels = join_all(ids.iter().step_by(2).zip(0u32..).map(|(id, k)| async move {
            if k > 0 {
                tokio::time::sleep(batch_time * k / 5).await;
            }
            app.cancel(token, *id, None).await
        }));
        let batch =
            certdesk_app::worker::run_issuance_batch(app.store.as_ref(), &config, Utc::now(), 64);
        let (answers, taken) = tokio::join!(cancels, batch);
        taken.unwrap();
        // Whatever a batch left (released after losing a race) is settled by the next one.
        while certdesk_app::worker::run_issuance_batch(app.store.as_ref(), &config, Utc::now(), 64)
            .await
            .unwrap()
            > 0
        {}
        let answers: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
        for (index, id) in ids.iter().enumerate() {
            let stored = app.application(*id).await;
            let certificate = app
                .store
                .certificate(&Scope::Everything, *id)
                .await
                .unwrap();
            let key = app.probe.has_key_material(*id).await;
            let cancel = (index % 2 == 0).then(|| answers[index / 2]);
            match (stored.status, cancel) {
                (Status::Rejected, Some(200)) => {
                    cancels_won += 1;
                    assert!(certificate.is_none() && !key, "round {round}, {id}");
                }
                (Status::Issued, Some(409) | None) => {
                    cancels_lost += usize::from(cancel.is_some());
                    assert!(certificate.is_some() && key, "round {round}, {id}");
                }
                other => panic!("round {round}, application {id}: {other:?}"),
            }
            assert_eq!(app.store.pending_jobs(*id).await.unwrap(), vec![]);
        }
    }
    println!("cancellations won {cancels_won}, lost {cancels_lost} (a batch: {batch_time:?})");
    assert!(
        cancels_won > 0 && cancels_lost > 0,
        "one side never won: cancellations won {cancels_won}, lost {cancels_lost}"
    );
}

/// A batch stores its transitions in a few statements (one conditional update for all): two
/// decided from the same state of one application are taken in turn, so the first wins and the
/// second loses alone, and the others of the batch are stored with their histories and emails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_transitions_of_one_application_in_one_batch_have_one_winner() {
    let app = spawn_app().await;
    let (_, first) = app.application_in(Status::AwaitingApproval).await;
    let (_, second) = app.application_in(Status::AwaitingIssuance).await;
    let admin = certdesk_domain::Actor::administrator(1, "Διαχειριστής");
    let cancel = |id: i64| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let application = app.application(id).await;
            certdesk_domain::transition::decide(
                &application.as_domain(),
                &certdesk_domain::Command::Cancel { reason: None },
                &admin,
                Utc::now(),
            )
            .unwrap()
        }
    };
    let batch = [
        cancel(first).await,
        cancel(second).await,
        cancel(first).await,
    ];
    let applied = app.store.commit_transitions(&batch).await.unwrap();
    assert_eq!(applied, vec![true, true, false]);

    for id in [first, second] {
        assert_eq!(app.application(id).await.status, Status::Rejected);
        let history = app.history(id).await;
        let cancelled = history
            .iter()
            .filter(|h| h.action == certdesk_domain::Action::Cancelled)
            .count();
        assert_eq!(cancelled, 1, "{history:#?}");
        certdesk_domain::history::verify_chain(&history).expect("the chain holds");
        let notices = app.store.outbox(id).await.unwrap();
        let rejected = notices
            .iter()
            .filter(|m| m.subject.contains(REJECTED_EL))
            .count();
        assert_eq!(rejected, 1, "{notices:#?}");
        assert_eq!(app.store.pending_jobs(id).await.unwrap(), vec![]);
    }
    assert_eq!(
        app.application(first).await.version,
        batch[0].expected_version + 1
    );
}
