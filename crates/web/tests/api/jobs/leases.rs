//! The jobs table's claims and leases: one worker per job, the lease, the due time.

use std::collections::BTreeSet;

use certdesk_app::worker::{run_one_job, sweep_stale_applications};
use certdesk_domain::Status;
use certdesk_domain::job::JobKind;
use chrono::{Duration, TimeZone, Utc};

use super::{config, now, timed_out_entries};
use crate::helpers::*;

#[tokio::test]
async fn a_claimed_job_waits_out_its_lease_before_it_is_taken_again() {
    let app = spawn_app().await;
    let store = app.store.as_ref();
    // No application is made here: no other job of the kind is queued.
    let kind = JobKind::ExpireCertificate;
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
                &[JobKind::IssueCertificate, JobKind::ExpireApplication],
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
        .claim_job(&[JobKind::ExpireApplication], now, now + config.lease)
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
    let kind = JobKind::ExpireCertificate;
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

/// The worker's loop sweeps and then takes a job with one and the same `now`: a job queued for
/// `now` must be due at `now`, whatever the clock's precision.
#[tokio::test]
async fn a_job_is_due_at_the_very_time_it_was_queued_for() {
    let app = spawn_app().await;
    let kind = JobKind::ExpireCertificate;
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
