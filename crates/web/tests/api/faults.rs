//! Faults of the database under a running server (issue 3, "Bad input and faults"): losing the
//! connection to PostgreSQL answers 503 in the API's error format, quickly, writes nothing, and the
//! server reconnects by itself once the database is back.
//!
//! These tests take the database away, which only a server can do: they are PostgreSQL's, ignored
//! by default so that a SQLite run does not count them as passed; `scripts/test` runs them in its
//! PostgreSQL stage (`--include-ignored`), and on SQLite they fail, saying so.

use std::time::{Duration, Instant};

use certdesk_domain::Status;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE};
use serde_json::json;

use crate::backend::PgTestDatabase;
use crate::helpers::*;

/// Longest acceptable wait for an answer while the database is away.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// The test's PostgreSQL database; on SQLite, a failure that says why.
fn postgres_of<'a>(app: &'a TestApp, test: &str) -> &'a PgTestDatabase {
    app.database.postgres().unwrap_or_else(|| {
        panic!(
            "{test} cuts the running server off its PostgreSQL database: run it with \
             CERTDESK_TEST_STORE=postgres (scripts/test does, in its PostgreSQL stage); \
             on SQLite there is no database server to lose"
        )
    })
}

/// Sends a request with a hard limit, so that a hanging server fails the test instead of
/// hanging it; returns the response and how long it took.
async fn timed(request: reqwest::RequestBuilder) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    let response = tokio::time::timeout(ANSWER_WITHIN + Duration::from_secs(5), request.send())
        .await
        .expect("an answer, not a hang")
        .expect("the server answers");
    (response, started.elapsed())
}

#[tokio::test]
#[ignore = "PostgreSQL only: scripts/test runs them in its PostgreSQL stage (--include-ignored)"]
async fn losing_the_database_answers_503_and_the_server_reconnects() {
    let app = spawn_app().await;
    let pg = postgres_of(
        &app,
        "losing_the_database_answers_503_and_the_server_reconnects",
    );
    // Everything the calls need, made while the database is there.
    let token = app.token().await;
    let (employee, id) = app.application_in(Status::AwaitingApproval).await;
    let card_before = app.card_ok(&token, employee.id).await;
    let session = app.console_login(&app.admin).await;
    let card = || {
        app.client
            .get(app.url(&format!("/api/v1/employees/{}", employee.id)))
            .bearer_auth(&token)
    };

    pg.cut_connections().await;

    // A read, in Greek and in English.
    let (response, took) = timed(card()).await;
    assert!(took < ANSWER_WITHIN, "the 503 took {took:?}");
    let error = assert_error(response, 503, "unavailable").await;
    let message = error["message"].as_str().unwrap();
    assert!(has_greek(message), "a Greek message: {error}");
    let (response, took) = timed(card().header(ACCEPT_LANGUAGE, "en")).await;
    assert!(took < ANSWER_WITHIN, "the 503 took {took:?}");
    let error = assert_error(response, 503, "unavailable").await;
    assert!(!has_greek(error["message"].as_str().unwrap()), "{error}");

    // A write: refused the same way, and (checked below) nothing of it is stored.
    let (response, took) = timed(
        app.client
            .post(app.url(&format!("/api/v1/applications/{id}/cancel")))
            .bearer_auth(&token)
            .json(&json!({ "reason": "Μετακίνηση υπαλλήλου" })),
    )
    .await;
    assert!(took < ANSWER_WITHIN, "the 503 took {took:?}");
    assert_error(response, 503, "unavailable").await;

    // Logging in needs the database too: 503, not "wrong password".
    let (response, _) = timed(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "username": app.admin.username, "password": PASSWORD })),
    )
    .await;
    assert_error(response, 503, "unavailable").await;

    // The console says so on a page of its own, in Greek.
    let (response, took) = timed(
        app.client
            .get(app.url(&format!("/employees/{}", employee.id)))
            .header(COOKIE, format!("certdesk_session={session}")),
    )
    .await;
    assert!(took < ANSWER_WITHIN, "the 503 took {took:?}");
    assert_eq!(response.status(), 503);
    assert!(has_greek(&response.text().await.unwrap()));

    // The database comes back: the same call answers again, with no restart.
    pg.restore_connections().await;
    let (response, took) = timed(card()).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(
        status, 200,
        "after the database came back ({took:?}): {text}"
    );
    let card_after: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        card_after, card_before,
        "the refused cancellation left nothing behind"
    );
    assert_eq!(app.application(id).await.status, Status::AwaitingApproval);
    let page = app
        .console_get(&session, &format!("/employees/{}", employee.id))
        .await;
    assert_eq!(page.status(), 200, "the console's session survived");
    // And writes work again.
    assert_eq!(app.cancel(&token, id, None).await.status(), 200);
}

#[tokio::test]
#[ignore = "PostgreSQL only: scripts/test runs them in its PostgreSQL stage (--include-ignored)"]
async fn sessions_killed_under_the_server_are_replaced_without_an_error() {
    let app = spawn_app().await;
    let pg = postgres_of(
        &app,
        "sessions_killed_under_the_server_are_replaced_without_an_error",
    );
    let token = app.token().await;
    let (employee, _) = app.application_in(Status::AwaitingApproval).await;
    // Several pooled connections, all to be killed.
    let cards: Vec<_> = (0..4).map(|_| app.card(&token, employee.id)).collect();
    for response in futures::future::join_all(cards).await {
        assert_eq!(response.status(), 200);
    }

    // A restart or failover of the database ends every session; the database stays open.
    pg.terminate_sessions().await;

    for attempt in 1..=3 {
        let (response, took) = timed(
            app.client
                .get(app.url(&format!("/api/v1/employees/{}", employee.id)))
                .bearer_auth(&token),
        )
        .await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(
            status, 200,
            "call {attempt} after the sessions were killed ({took:?}): {text}"
        );
    }
}
