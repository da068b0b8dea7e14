//! Throttling under attack (SPEC §9): attempts are taken before they are checked, so concurrent
//! guesses cannot all pass; an address that guesses many accounts is paused; an unknown
//! username is answered and counted like a wrong password; closed windows are purged.

use certdesk_domain::throttle::{self, ThrottleKey};
use serde_json::Value;

use crate::helpers::*;

async fn body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn concurrent_wrong_passwords_get_no_more_guesses_than_the_limit() {
    let app = spawn_app().await;
    let allowed = ThrottleKey::administrator_login(&app.admin.username)
        .policy()
        .max_attempts;
    let guesses = (0..4 * allowed).map(|i| {
        let app = &app;
        async move { app.login(&app.admin.username, &format!("guess-{i}")).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count() as u64;
    let paused = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert_eq!(checked, allowed, "only the limit is checked: {statuses:?}");
    assert_eq!(checked + paused, 4 * allowed, "{statuses:?}");
    assert_eq!(app.login(&app.admin.username, PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn an_address_that_guesses_many_accounts_is_paused() {
    let app = spawn_app().await;
    let per_address = throttle::Purpose::LoginFromAddress.policy().max_attempts;
    // Each username is tried fewer times than an account's limit: only the address counts.
    for i in 0..per_address {
        let answer = app
            .login(&format!("guess{}@example.gr", i % 10), "λάθος")
            .await;
        assert_eq!(answer.status(), 401, "attempt {i}");
    }
    let (status, error) = body(app.login(&app.admin.username, PASSWORD).await).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{error}"
    );
}

#[tokio::test]
async fn successful_logins_do_not_use_up_the_address() {
    let app = spawn_app().await;
    let per_address = throttle::Purpose::LoginFromAddress.policy().max_attempts;
    for _ in 0..per_address + 5 {
        assert_eq!(app.login(&app.admin.username, PASSWORD).await.status(), 200);
    }
}

#[tokio::test]
async fn an_unknown_username_is_answered_and_paused_like_a_known_one() {
    let app = spawn_app().await;
    let allowed = ThrottleKey::administrator_login("x").policy().max_attempts;
    let known = body(app.login(&app.admin.username, "λάθος").await).await;
    let unknown = body(app.login("nobody@example.gr", "λάθος").await).await;
    assert_eq!(
        known, unknown,
        "the answer does not tell whether the account exists"
    );
    for _ in 1..allowed {
        app.login(&app.admin.username, "λάθος").await;
        app.login("nobody@example.gr", "λάθος").await;
    }
    let known = body(app.login(&app.admin.username, "λάθος").await).await;
    let unknown = body(app.login("nobody@example.gr", "λάθος").await).await;
    assert_eq!(known.0, 429);
    assert_eq!(known, unknown, "both are paused alike");
}

#[tokio::test]
async fn closed_windows_are_purged_and_open_ones_kept() {
    let app = spawn_app().await;
    let now = chrono::Utc::now();
    let old = ThrottleKey::administrator_login("old@example.gr");
    let recent = ThrottleKey::administrator_login("recent@example.gr");
    app.store
        .take_attempt(&old, now - chrono::Duration::hours(2))
        .await
        .unwrap();
    app.store.take_attempt(&recent, now).await.unwrap();
    assert_eq!(
        app.store
            .purge_attempts(throttle::stale_before(now))
            .await
            .unwrap(),
        1
    );
    // The recent counter is still there: its next take is the second.
    assert_eq!(app.store.take_attempt(&recent, now).await.unwrap(), 2);
    assert_eq!(app.store.take_attempt(&old, now).await.unwrap(), 1);
}
