//! Read replicas (issue 12, point 5): `certdesk serve --read-db` sends the employee search to a
//! real streaming replica, while everything that decides reads the primary.
//!
//! The replica's replay is paused in the middle, so that it visibly lags: the search still shows
//! what the replica has, while a cancellation, its guard (a second cancel is refused), the
//! application's details and a new login all see the primary at once. After the replay resumes,
//! the search catches up. A replica that cannot be reached sends the searches to the primary.
//!
//! Needs a primary and its replica: `CERTDESK_TEST_POSTGRES` names the primary (its
//! administrator's URL) and `CERTDESK_TEST_REPLICA` the replica (any database on it).
//! `scripts/test` makes such a pair with `scripts/pg-replica` and runs these tests with
//! `--include-ignored`; a plain `cargo test` ignores them.

#[allow(dead_code)]
#[path = "../common/installation.rs"]
mod installation;
#[allow(dead_code)]
#[path = "../common/servers.rs"]
mod servers;

use std::time::{Duration as StdDuration, Instant};

use certdesk_domain::Status;
use certdesk_testkit::PgTestDatabase;
use chrono::{Duration, Utc};
use installation::Installation;
use reqwest::StatusCode;
use serde_json::{Value, json};
use servers::{Server, Servers, card, client, login};
use sqlx::{Connection, PgConnection};

const ORG_CODE: &str = "replica";
const ORG_NAME: &str = "Υπουργείο Δοκιμών Αντιγράφων";
const ADMIN_USERNAME: &str = "e.papadopoulou@replica.test.gov.gr";
const ADMIN_NAME: &str = "Ελένη Παπαδοπούλου";
const PASSWORD: &str = "Κωδικός δοκιμής 2024!";
const REPLICA_VAR: &str = "CERTDESK_TEST_REPLICA";

/// The replay is paused for the whole replica, so the tests that pause it take turns.
static REPLAY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The replica's URL (any database on it), or a loud failure: this test was asked for.
fn replica_server() -> String {
    std::env::var(REPLICA_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| {
            panic!(
                "{REPLICA_VAR} is not set: the read-replica test needs a replica of the server \
                 CERTDESK_TEST_POSTGRES names (scripts/pg-replica makes a pair)"
            )
        })
}

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", certdesk_testkit::redacted(url)))
}

/// Waits until the replica has replayed everything the primary wrote so far.
async fn wait_for_replay(primary: &mut PgConnection, replica: &mut PgConnection) {
    let (written,): (String,) = sqlx::query_as("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&mut *primary)
        .await
        .unwrap();
    let deadline = Instant::now() + StdDuration::from_secs(30);
    loop {
        let (behind,): (bool,) =
            sqlx::query_as("SELECT coalesce(pg_last_wal_replay_lsn() < $1::pg_lsn, true)")
                .bind(&written)
                .fetch_one(&mut *replica)
                .await
                .unwrap();
        if !behind {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replica did not replay up to {written} within 30 s"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// Lets the replica replay again (also after a test that failed while it was paused).
async fn resume_replay(replica: &mut PgConnection) {
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&mut *replica)
        .await
        .unwrap();
}

/// Pauses the replica's replay and waits until it has stopped.
async fn pause_replay(replica: &mut PgConnection) {
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&mut *replica)
        .await
        .unwrap();
    let deadline = Instant::now() + StdDuration::from_secs(30);
    loop {
        let (state,): (String,) = sqlx::query_as("SELECT pg_get_wal_replay_pause_state()")
            .fetch_one(&mut *replica)
            .await
            .unwrap();
        if state == "paused" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replay did not pause: {state}"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

async fn search(client: &reqwest::Client, base: &str, token: &str, afm: &str) -> Value {
    let response = client
        .get(format!("{base}/api/v1/employees"))
        .query(&[("afm", afm)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "search for {afm}");
    response.json().await.unwrap()
}

async fn cancel(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    application_id: i64,
) -> reqwest::Response {
    client
        .post(format!(
            "{base}/api/v1/applications/{application_id}/cancel"
        ))
        .bearer_auth(token)
        .json(&json!({"reason": "Μετακίνηση του υπαλλήλου σε άλλον φορέα"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a PostgreSQL primary and replica: scripts/test runs it with --include-ignored"]
async fn searches_read_the_replica_and_decisions_the_primary() {
    let replica_server = replica_server();
    let _turn = REPLAY.lock().await;
    let db = PgTestDatabase::create().await;
    let mut installation = Installation::new(db.url()).await;
    let mut people = installation.employees(2).await;
    let (waiting_id, waiting) = people.remove(0);
    let application_id = installation
        .application_in(
            waiting_id,
            &waiting,
            Status::AwaitingApproval,
            Utc::now() - Duration::days(1),
        )
        .await;
    let replica_url = db.url_on(&replica_server);
    let mut primary = connect(db.url()).await;
    let mut replica = connect(&replica_server).await;
    resume_replay(&mut replica).await;
    wait_for_replay(&mut primary, &mut replica).await;

    let mut servers = Servers::start(&["R"], db.url(), &["--read-db", &replica_url]).await;
    let base = servers.base(0).to_owned();
    let client = client();
    let token = login(&client, &base).await;
    let afm = waiting.afm.as_str();
    let found = search(&client, &base, &token, afm).await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["status"], "awaiting_approval", "{found}");

    // From here on the replica stands still.
    pause_replay(&mut replica).await;
    let response = cancel(&client, &base, &token, application_id).await;
    assert_eq!(response.status(), StatusCode::OK);
    // The guard reads the primary: the application is no longer pending.
    let again = cancel(&client, &base, &token, application_id).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    // The details read the primary: rejected, with who cancelled it.
    let details = card(&client, &base, &token, waiting_id).await;
    assert_eq!(details["status"], "rejected", "{details}");
    let history = details["application"]["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["action"], "cancelled", "{details}");
    assert_eq!(history.last().unwrap()["actor"], ADMIN_NAME, "{details}");
    // A login writes its session on the primary and is checked there: the new token works at
    // once, though the replica has never seen it.
    let second_token = login(&client, &base).await;
    // The search reads the replica, which has not replayed the cancellation.
    let lagging = search(&client, &base, &second_token, afm).await;
    assert_eq!(
        lagging["items"][0]["status"], "awaiting_approval",
        "{lagging}"
    );
    // Nor an employee added since.
    let (added_id, added) = installation.employees(1).await.remove(0);
    let unseen = search(&client, &base, &token, added.afm.as_str()).await;
    assert_eq!(unseen["total"], 0, "{unseen}");
    // ... whom the primary knows.
    assert_eq!(card(&client, &base, &token, added_id).await["id"], added_id);

    // The replay resumes: the search catches up.
    resume_replay(&mut replica).await;
    wait_for_replay(&mut primary, &mut replica).await;
    let caught_up = search(&client, &base, &token, afm).await;
    assert_eq!(caught_up["items"][0]["status"], "rejected", "{caught_up}");
    let seen = search(&client, &base, &token, added.afm.as_str()).await;
    assert_eq!(seen["total"], 1, "{seen}");
    assert_eq!(seen["items"][0]["id"], added_id, "{seen}");

    // The replica's pool is shown beside the primary's.
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("pool=\"replica\""), "{metrics}");
    servers.assert_all_up(&client).await;
    drop(servers);
    let _ = replica.close().await;
    let _ = primary.close().await;
}

/// A TCP relay in front of the replica, which the test can cut as a network would: every
/// connection through it closed, new ones refused.
struct Relay {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(target: &str) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = target.to_owned();
        let task = tokio::spawn(async move {
            // Dropped with the task: its connections go with it.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { port, task }
    }

    async fn cut(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// `url` with its host and port replaced by 127.0.0.1:`port`.
fn through_port(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"));
    format!(
        "{scheme}://{}127.0.0.1:{port}/{path}",
        user.unwrap_or_default()
    )
}

/// The host and port of a URL, as `host:port`.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split(['/', '?']).next().unwrap();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a PostgreSQL primary and replica: scripts/test runs it with --include-ignored"]
async fn a_replica_that_goes_away_sends_the_searches_to_the_primary() {
    let replica_server = replica_server();
    let _turn = REPLAY.lock().await;
    let db = PgTestDatabase::create().await;
    let mut installation = Installation::new(db.url()).await;
    let (_, employee) = installation.employees(1).await.remove(0);
    let replica_url = db.url_on(&replica_server);
    let mut primary = connect(db.url()).await;
    let mut replica = connect(&replica_server).await;
    resume_replay(&mut replica).await;
    wait_for_replay(&mut primary, &mut replica).await;
    let relay = Relay::to(&host_port(&replica_url)).await;
    let relayed = through_port(&replica_url, relay.port);
    let mut servers = Servers::start(&["R"], db.url(), &["--read-db", &relayed]).await;
    let base = servers.base(0).to_owned();
    let client = client();
    let token = login(&client, &base).await;
    // Through the relay, the replica answers (with the replay paused, it shows its own view).
    pause_replay(&mut replica).await;
    let (_, unseen) = installation.employees(1).await.remove(0);
    let lagging = search(&client, &base, &token, unseen.afm.as_str()).await;
    assert_eq!(lagging["total"], 0, "the replica answers: {lagging}");
    assert_eq!(
        search(&client, &base, &token, employee.afm.as_str()).await["total"],
        1
    );

    // The network to the replica goes: every search still answers, from the primary.
    relay.cut().await;
    for _ in 0..3 {
        let found = search(&client, &base, &token, unseen.afm.as_str()).await;
        assert_eq!(found["total"], 1, "answered by the primary: {found}");
    }
    let log = servers.servers[0].log();
    assert!(
        log.contains("the read replica cannot be reached"),
        "the server says why the searches went to the primary:\n{log}"
    );
    resume_replay(&mut replica).await;
    servers.assert_all_up(&client).await;
    drop(servers);
    let _ = replica.close().await;
    let _ = primary.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs a PostgreSQL primary and replica: scripts/test runs it with --include-ignored"]
async fn a_replica_unreachable_at_start_stops_the_server() {
    let db = PgTestDatabase::create().await;
    let _installation = Installation::new(db.url()).await;
    // A port nobody listens on (the relay's, once cut).
    let relay = Relay::to("127.0.0.1:9").await;
    let nowhere = through_port(db.url(), relay.port);
    relay.cut().await;
    let logs = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(
        "R",
        db.url(),
        &["--read-db", &nowhere],
        logs.path().join("r.log"),
    );
    let status = server.wait_for_exit(StdDuration::from_secs(30));
    assert!(!status.success(), "the server stopped with an error");
    let log = server.log();
    assert!(log.contains("the read replica cannot be reached"), "{log}");
}

#[test]
fn urls_are_sent_through_the_relay() {
    assert_eq!(
        through_port("postgres://postgres@127.0.0.1:5433/db", 9),
        "postgres://postgres@127.0.0.1:9/db"
    );
    assert_eq!(host_port("postgres://u:p@10.0.0.1/db"), "10.0.0.1:5432");
    assert_eq!(host_port("postgres://u@h:6543/db?x=1"), "h:6543");
}
