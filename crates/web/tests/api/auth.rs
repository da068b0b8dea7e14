//! Logging in to the API, and refusing callers without a valid bearer token (SPEC §7, §9).

use certdesk_domain::Status;
use certdesk_domain::throttle::ThrottleKey;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn login_gives_a_token_that_opens_the_api() {
    let app = spawn_app().await;
    let response = app.login(&app.admin.username, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 32, "a long random token: {token}");
    let expires_at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap())
        .expect("expires_at is RFC 3339");
    assert!(expires_at > chrono::Utc::now());
    assert_eq!(app.search(token, &[]).await.status(), 200);

    // Two logins, two different tokens.
    let other = app.token().await;
    assert_ne!(other, token);
}

#[tokio::test]
async fn wrong_credentials_get_401_invalid_credentials() {
    let app = spawn_app().await;
    let wrong_password = assert_error(
        app.login(&app.admin.username, "λάθος κωδικός").await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown_user = assert_error(
        app.login("nobody@example.gr", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    // The answer does not tell which of the two was wrong.
    assert_eq!(wrong_password, unknown_user);
    assert!(has_greek(wrong_password["message"].as_str().unwrap()));

    let english = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Accept-Language", "en-GB,en;q=0.9")
        .json(&json!({ "username": app.admin.username, "password": "wrong" }))
        .send()
        .await
        .unwrap();
    let error = assert_error(english, 401, "invalid_credentials").await;
    assert!(!has_greek(error["message"].as_str().unwrap()), "{error}");
}

#[tokio::test]
async fn calls_without_a_valid_token_get_401_in_the_error_format() {
    let app = spawn_app().await;
    let (employee, id) = app.application_in(Status::AwaitingApproval).await;
    let real_token = app.token().await;
    let search = app.url("/api/v1/employees?q=test");
    let card = app.url(&format!("/api/v1/employees/{}", employee.id));
    let cancel = app.url(&format!("/api/v1/applications/{id}/cancel"));

    let bad_headers: [Option<String>; 6] = [
        None,
        Some("Bearer not-a-token".to_owned()),
        Some("Bearer ".to_owned()),
        Some(format!("Basic {real_token}")),
        Some(real_token.clone()),
        Some(format!("Bearer {}x", real_token)),
    ];
    for header in &bad_headers {
        for (method, url) in [("GET", &search), ("GET", &card), ("POST", &cancel)] {
            let mut request = match method {
                "GET" => app.client.get(url),
                _ => app.client.post(url),
            };
            if let Some(value) = header {
                request = request.header(AUTHORIZATION, value);
            }
            let response = request.send().await.unwrap();
            let error = assert_error(response, 401, "unauthorized").await;
            assert!(
                error.get("field").is_none(),
                "{method} {url} with {header:?}: {error}"
            );
        }
    }

    // None of that changed anything; the real token still works.
    let stored = app.application(id).await;
    assert_eq!(stored.status, Status::AwaitingApproval);
    assert_eq!(app.history(id).await.len(), 2);
    assert_eq!(app.card(&real_token, employee.id).await.status(), 200);
}

#[tokio::test]
async fn a_console_session_is_not_an_api_token() {
    let app = spawn_app().await;
    let session = app.console_login(&app.admin).await;
    assert_error(app.search(&session, &[]).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn an_administrator_of_two_organisations_sees_both() {
    let app = spawn_app().await;
    let (other_org, _) = app.add_organisation_with_admin("SECOND").await;
    app.store
        .add_administrator_to_organisation(app.admin.id, other_org)
        .await
        .unwrap();
    let here = app.add_employee("Πρώτου", "Άννα").await;
    let there = app
        .add_employee_to(other_org, "Δευτέρου", "Άννα", "Γραμματεία")
        .await;
    let token = app.token().await;
    let found = app.search_ok(&token, &[("q", "Άννα")]).await;
    let mut ids: Vec<i64> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![here.id, there.id]);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let now = chrono::Utc::now();
    for (token, expires_at) in [
        ("expired-token", now - chrono::Duration::minutes(1)),
        ("valid-token", now + chrono::Duration::hours(1)),
    ] {
        app.store
            .create_session(&certdesk_store::NewSession {
                token_hash: certdesk_app::tokens::token_hash(token),
                administrator_id: app.admin.id,
                kind: certdesk_store::SessionKind::Api,
                csrf_token: "unused".to_owned(),
                // Used recently (not idle), so that only the expiry decides.
                created_at: now - chrono::Duration::minutes(5),
                expires_at,
            })
            .await
            .unwrap();
    }
    assert_error(app.search("expired-token", &[]).await, 401, "unauthorized").await;
    assert_eq!(app.search("valid-token", &[]).await.status(), 200);
}

#[tokio::test]
async fn repeated_wrong_passwords_pause_the_account_for_a_while() {
    let app = spawn_app().await;
    let other = app
        .add_admin(app.org_id, "other@example.gr", "Άλλος Διαχειριστής")
        .await;
    let allowed = ThrottleKey::administrator_login(&app.admin.username)
        .policy()
        .max_attempts;
    for _ in 0..allowed {
        assert_error(
            app.login(&app.admin.username, "λάθος").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // Now even the right password is refused, with a clear answer.
    let paused = assert_error(
        app.login(&app.admin.username, PASSWORD).await,
        429,
        "too_many_attempts",
    )
    .await;
    assert!(
        paused["message"].as_str().unwrap().contains("15 λεπτά"),
        "{paused}"
    );
    // Other accounts are not affected.
    assert_eq!(app.login(&other.username, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn old_failures_and_a_successful_login_do_not_count() {
    let app = spawn_app().await;
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(20);
    let key = ThrottleKey::administrator_login(&app.admin.username);
    for _ in 0..10 {
        app.store.take_attempt(&key, long_ago).await.unwrap();
    }
    let allowed = key.policy().max_attempts;
    for _ in 0..allowed - 1 {
        assert_eq!(app.login(&app.admin.username, "λάθος").await.status(), 401);
    }
    assert_eq!(app.login(&app.admin.username, PASSWORD).await.status(), 200);
    // The success cleared the count: four more mistakes are still allowed.
    for _ in 0..allowed - 1 {
        assert_eq!(app.login(&app.admin.username, "λάθος").await.status(), 401);
    }
    assert_eq!(app.login(&app.admin.username, PASSWORD).await.status(), 200);
}
