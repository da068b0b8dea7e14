//! Scale-out on PostgreSQL (issue 3, point 5): three real `certdesk serve` processes on one
//! database behave as one installation.
//!
//! - what one server writes, the others read at once (sessions included);
//! - 30 concurrent cancels of one application, spread over the three, give one 200 and 29 × 409;
//! - a background job (the expiry of a stale application) is executed exactly once.
//!
//! Every test creates its own database on the server named by `CERTDESK_TEST_POSTGRES` (an
//! administrator's URL, by default `postgres://postgres@127.0.0.1:5432/test`) and drops it at the
//! end, also when the test fails. The tests are ignored by a plain `cargo test`, which may run
//! without a server; `scripts/test` runs them with `--include-ignored`.

//!
//! `installation` prepares the data as the operator and the rules would; `servers` runs the
//! servers under test.

// Shared with the crash test, which uses parts of them this test does not.
#[allow(dead_code)]
#[path = "../common/installation.rs"]
mod installation;
#[allow(dead_code)]
#[path = "../common/servers.rs"]
mod servers;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration as StdDuration, Instant};

use certdesk_domain::history::verify_chain;
use certdesk_domain::{Action, ActorKind, Status};
use certdesk_store::Scope;
use certdesk_testkit::PgTestDatabase;
use chrono::{Duration, Utc};
use installation::{Installation, PENDING};
use reqwest::StatusCode;
use serde_json::{Value, json};
use servers::{Servers, card, client, login};

const ORG_CODE: &str = "scale";
const ORG_NAME: &str = "Υπουργείο Δοκιμών Κλιμάκωσης";
const ADMIN_USERNAME: &str = "e.papadopoulou@scale.test.gov.gr";
const ADMIN_NAME: &str = "Ελένη Παπαδοπούλου";
const PASSWORD: &str = "Κωδικός δοκιμής 2024!";
const SERVER_NAMES: [&str; 3] = ["A", "B", "C"];

fn cancelled_description() -> String {
    format!("Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη {ADMIN_NAME}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/test runs it with --include-ignored"]
async fn what_one_server_writes_the_others_read_at_once() {
    let began = Instant::now();
    // The three servers start at once on an empty database: they race to create the schema.
    let db = PgTestDatabase::create().await;
    let mut servers = Servers::start(&SERVER_NAMES, db.url(), &[]).await;
    eprintln!(
        "[rw] three servers up on a new database after {:?}",
        began.elapsed()
    );
    // What the operator's commands write is seen by the running servers.
    let mut installation = Installation::new(db.url()).await;
    let (employee_id, employee) = installation.employees(1).await.remove(0);
    let (a, b, c) = (servers.base(0), servers.base(1), servers.base(2));
    let client = client();

    // A session opened on A is known to B and C: it lives in the database.
    let token = login(&client, a).await;
    for base in [b, c] {
        let before = card(&client, base, &token, employee_id).await;
        assert_eq!(before["status"], "none", "{before}");
        assert!(before["application"].is_null(), "{before}");
        // ... and B and C do check tokens: a made-up one is refused.
        let refused = client
            .get(format!("{base}/api/v1/employees/{employee_id}"))
            .bearer_auth(format!("{token}x"))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }

    // Start on A ...
    let response = client
        .post(format!("{a}/api/v1/applications"))
        .bearer_auth(&token)
        .json(&json!({"afm": employee.afm, "email": employee.email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let started: Value = response.json().await.unwrap();
    assert_eq!(started["status"], "awaiting_data_check", "{started}");
    let application_id = started["id"].as_i64().expect("the application has an id");

    // ... B and C see it on their next request.
    for base in [b, c] {
        let seen = card(&client, base, &token, employee_id).await;
        assert_eq!(seen["status"], "awaiting_data_check", "{base}: {seen}");
        assert_eq!(seen["application"]["id"], application_id, "{seen}");
        assert_eq!(seen["application"]["status"], "awaiting_data_check");
        assert_eq!(seen["application"]["cancellable"], true);
        assert_eq!(seen["application"]["history"][0]["action"], "started");
    }

    // Cancel on C ...
    let reason = "Μετακίνηση του υπαλλήλου σε άλλον φορέα";
    let response = client
        .post(format!("{c}/api/v1/applications/{application_id}/cancel"))
        .bearer_auth(&token)
        .json(&json!({"reason": reason}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["status"], "rejected", "{cancelled}");

    // ... A (and B) see the rejection and its history entry at once.
    for base in [a, b] {
        let seen = card(&client, base, &token, employee_id).await;
        assert_eq!(seen["status"], "rejected", "{base}: {seen}");
        let application = &seen["application"];
        assert_eq!(application["id"], application_id);
        assert_eq!(application["cancellable"], false);
        let history = application["history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "{seen}");
        let last = &history[1];
        assert_eq!(last["action"], "cancelled");
        assert_eq!(last["description"], cancelled_description().as_str());
        assert_eq!(last["reason"], reason);
        assert_eq!(last["actor"], ADMIN_NAME);
    }
    // The same in the database, with an intact hash chain.
    let history = installation
        .store
        .history(&Scope::Everything, application_id)
        .await
        .unwrap();
    verify_chain(&history).expect("the hash chain verifies");
    assert_eq!(
        history.iter().map(|h| h.action).collect::<Vec<_>>(),
        vec![Action::Started, Action::Cancelled]
    );

    servers.assert_all_up(&client).await;
    eprintln!("[rw] done in {:?}", began.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/test runs it with --include-ignored"]
async fn thirty_concurrent_cancels_over_three_servers_have_one_winner() {
    let began = Instant::now();
    let db = PgTestDatabase::create().await;
    let mut installation = Installation::new(db.url()).await;
    let people = installation.employees(PENDING.len()).await;
    let mut applications = Vec::new();
    for ((employee_id, employee), status) in people.iter().zip(PENDING) {
        let at = Utc::now() - Duration::days(2);
        let id = installation
            .application_in(*employee_id, employee, status, at)
            .await;
        applications.push((id, status));
    }
    let mut servers = Servers::start(&SERVER_NAMES, &installation.url, &[]).await;
    eprintln!("[cancel] three servers up after {:?}", began.elapsed());
    let client = client();
    let token = login(&client, servers.base(0)).await;

    // One race per pending state: 30 cancels, 10 on each server, all fired at once.
    for (application_id, status) in applications {
        let before = installation.application(application_id).await;
        let race = Instant::now();
        let requests = (0..30).map(|i| {
            let (client, token) = (&client, &token);
            let server = i % 3;
            let url = format!(
                "{}/api/v1/applications/{application_id}/cancel",
                servers.base(server)
            );
            async move {
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"reason": format!("Ακύρωση αριθμός {i}")}))
                    .send()
                    .await
                    .unwrap();
                let code = response.status();
                let body: Value = response.json().await.unwrap();
                (i, server, code, body)
            }
        });
        let answers = futures::future::join_all(requests).await;
        let race_time = race.elapsed();

        let winners: Vec<_> = answers
            .iter()
            .filter(|(_, _, code, _)| *code == StatusCode::OK)
            .collect();
        let refused = answers
            .iter()
            .filter(|(_, _, code, body)| {
                *code == StatusCode::CONFLICT && body["error"]["code"] == "not_cancellable"
            })
            .count();
        let others: Vec<_> = answers
            .iter()
            .filter(|(_, _, code, body)| {
                *code != StatusCode::OK
                    && !(*code == StatusCode::CONFLICT
                        && body["error"]["code"] == "not_cancellable")
            })
            .collect();
        assert!(
            others.is_empty(),
            "{status:?}: unexpected answers {others:?}"
        );
        assert_eq!(winners.len(), 1, "{status:?}: winners {winners:?}");
        assert_eq!(refused, 29, "{status:?}");
        let (winner, winner_server, _, won) = winners[0];
        assert_eq!(won["status"], "rejected", "{won}");
        assert_eq!(won["cancellable"], false);
        for (_, _, _, body) in answers.iter().filter(|(i, ..)| i != winner) {
            let message = body["error"]["message"].as_str().unwrap_or("");
            assert!(!message.is_empty(), "{body}");
        }

        // Exactly one history entry, by the winner, chained to the rest.
        let history = installation
            .store
            .history(&Scope::Everything, application_id)
            .await
            .unwrap();
        verify_chain(&history).expect("the hash chain verifies");
        let cancelled: Vec<_> = history
            .iter()
            .filter(|h| h.action == Action::Cancelled)
            .collect();
        assert_eq!(cancelled.len(), 1, "{status:?}: {history:?}");
        assert_eq!(history.len() as i64, before.version + 1);
        let entry = cancelled[0];
        assert_eq!(entry.seq, history.len() as i64, "the cancellation is last");
        assert_eq!(
            entry.reason.as_deref(),
            Some(format!("Ακύρωση αριθμός {winner}").as_str())
        );
        assert_eq!(entry.description, cancelled_description());
        assert_eq!(entry.actor_kind, ActorKind::Administrator);

        // One transition stored, with its effects once: one email per history entry, the
        // reserved username released, no job left.
        let after = installation.application(application_id).await;
        assert_eq!(after.status, Status::Rejected);
        assert_eq!(after.version, before.version + 1);
        assert_eq!(
            installation
                .store
                .outbox(application_id)
                .await
                .unwrap()
                .len(),
            changes_of_state(&history),
            "one email per change of state"
        );
        assert_eq!(
            installation
                .store
                .reserved_username(application_id)
                .await
                .unwrap(),
            None
        );
        assert!(
            installation
                .store
                .pending_jobs(application_id)
                .await
                .unwrap()
                .is_empty()
        );
        eprintln!(
            "[cancel] {status:?}: 1 × 200 (request {winner} on server {}), 29 × 409 in {race_time:?}",
            SERVER_NAMES[*winner_server]
        );
    }

    servers.assert_all_up(&client).await;
    eprintln!("[cancel] done in {:?}", began.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/test runs it with --include-ignored"]
async fn a_job_is_executed_once_by_three_servers() {
    const STALE: usize = 20;
    let began = Instant::now();
    let db = PgTestDatabase::create().await;
    let mut installation = Installation::new(db.url()).await;
    let people = installation.employees(STALE + 2).await;
    let now = Utc::now();

    // Twenty applications nobody moved on for ~200 days, in every pending state ...
    let mut stale = BTreeSet::new();
    for (n, (employee_id, employee)) in people.iter().take(STALE).enumerate() {
        let at = now - Duration::days(200) + Duration::minutes(n as i64);
        let status = PENDING[n % PENDING.len()];
        stale.insert(
            installation
                .application_in(*employee_id, employee, status, at)
                .await,
        );
    }
    // ... and two that must stay: 10 and 80 days idle, under the 90 days.
    let mut fresh = Vec::new();
    for ((employee_id, employee), days) in people.iter().skip(STALE).zip([10, 80]) {
        let id = installation
            .application_in(
                *employee_id,
                employee,
                Status::AwaitingIssuance,
                now - Duration::days(days),
            )
            .await;
        fresh.push((id, installation.application(id).await));
    }
    // Awaiting issuance queues an issuance job: 4 stale ones and the 2 fresh ones.
    let queued_before = installation.jobs_table().await;
    assert!(
        queued_before
            .iter()
            .all(|(kind, _)| kind == "issue_certificate"),
        "{queued_before:?}"
    );
    eprintln!(
        "[jobs] {STALE} stale and {} fresh applications prepared after {:?}",
        fresh.len(),
        began.elapsed()
    );

    // Each server sweeps for stale applications as it starts, so all three queue the same
    // expiries at about the same time, and all three take jobs.
    let mut servers = Servers::start(
        &SERVER_NAMES,
        &installation.url,
        &["--expire-after-days", "90"],
    )
    .await;
    let started = Instant::now();
    eprintln!("[jobs] three servers up after {:?}", began.elapsed());

    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        let mut rejected = 0;
        for id in &stale {
            if installation.application(*id).await.status == Status::Rejected {
                rejected += 1;
            }
        }
        let expiry_jobs = installation
            .jobs_table()
            .await
            .iter()
            .filter(|(kind, _)| kind == "expire_application")
            .count();
        if rejected == STALE && expiry_jobs == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 20 s: {rejected} of {STALE} stale applications rejected, {expiry_jobs} expiry jobs left\n{}",
            servers
                .servers
                .iter()
                .map(|s| format!("--- server {}:\n{}", s.name, s.log()))
                .collect::<String>()
        );
        tokio::time::sleep(StdDuration::from_millis(250)).await;
    }
    eprintln!(
        "[jobs] all {STALE} expired {:?} after the servers were up",
        started.elapsed()
    );

    // Each expiry happened once: one timed_out entry, by certdesk itself, chained to the rest.
    for id in &stale {
        let history = installation
            .store
            .history(&Scope::Everything, *id)
            .await
            .unwrap();
        verify_chain(&history).expect("the hash chain verifies");
        let timed_out: Vec<_> = history
            .iter()
            .filter(|h| h.action == Action::TimedOut)
            .collect();
        assert_eq!(timed_out.len(), 1, "application {id}: {history:?}");
        assert_eq!(timed_out[0].seq, history.len() as i64, "expiry is last");
        assert_eq!(timed_out[0].actor_kind, ActorKind::System);
        let application = installation.application(*id).await;
        assert_eq!(application.version, history.len() as i64);
        assert_eq!(
            installation.store.outbox(*id).await.unwrap().len(),
            changes_of_state(&history),
            "one email per change of state"
        );
    }
    // The fresh ones were left alone.
    for (id, before) in &fresh {
        assert_eq!(&installation.application(*id).await, before);
        let history = installation
            .store
            .history(&Scope::Everything, *id)
            .await
            .unwrap();
        assert!(history.iter().all(|h| h.action != Action::TimedOut));
    }
    // No expiry job is left, and the expired applications' issuance jobs were dropped with them:
    // only the fresh applications' issuance jobs remain.
    let jobs = installation.jobs_table().await;
    let expected: Vec<(String, Option<i64>)> = fresh
        .iter()
        .map(|(id, _)| ("issue_certificate".to_owned(), Some(*id)))
        .collect();
    assert_eq!(jobs, expected);

    // The servers' logs agree: 20 expiries in all, each application once, no failed job.
    let mut by_server = BTreeMap::new();
    let mut expired_ids = Vec::new();
    for server in &servers.servers {
        let log = server.log();
        assert!(
            !log.contains("job failed") && !log.contains("could not take a job"),
            "server {}:\n{log}",
            server.name
        );
        let lines: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("stale application expired"))
            .collect();
        for line in &lines {
            let id = line
                .split_whitespace()
                .find_map(|word| word.strip_prefix("application="))
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or_else(|| panic!("no application id in {line:?}"));
            expired_ids.push(id);
        }
        by_server.insert(server.name, lines.len());
    }
    assert_eq!(
        expired_ids.len(),
        STALE,
        "expiries per server: {by_server:?}"
    );
    assert_eq!(
        expired_ids.iter().copied().collect::<BTreeSet<_>>(),
        stale,
        "each stale application expired by exactly one server"
    );
    eprintln!("[jobs] expiries per server: {by_server:?}");

    servers.assert_all_up(&client()).await;
    eprintln!("[jobs] done in {:?}", began.elapsed());
}

/// The history entries that changed the state, each told to the beneficiary by email: the
/// proof of the email address is recorded without one (the beneficiary just gave it).
fn changes_of_state(history: &[certdesk_domain::HistoryEntry]) -> usize {
    history
        .iter()
        .filter(|h| {
            !matches!(
                h.action,
                Action::EmailProvenByLink | Action::EmailProvenByCode
            )
        })
        .count()
}
