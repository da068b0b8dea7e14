//! `POST /api/v1/auth/login` with a second factor (SPEC §7): `otp_required` after a right
//! password only, `account_setup_required` until the console's setup is done, codes used once,
//! and failed codes throttled with the passwords.

use certdesk_domain::otp::step_at;
use certdesk_domain::throttle::ThrottleKey;
use chrono::Duration;
use serde_json::Value;

use super::*;
use crate::backend::{Backend, backend};

#[tokio::test]
async fn an_account_to_set_up_is_sent_to_the_console() {
    let app = spawn_app().await;
    let admin = app.add_new_admin("new.dpp@mindigital.gr").await;
    let error = assert_error(
        app.login(&admin.username, PASSWORD).await,
        403,
        "account_setup_required",
    )
    .await;
    assert_eq!(
        error["message"],
        "Ολοκληρώστε τη ρύθμιση του λογαριασμού σας στην κονσόλα (/login) πριν χρησιμοποιήσετε το API."
    );
    // A wrong password is still just a wrong password.
    assert_error(
        app.login(&admin.username, "λάθος κωδικός").await,
        401,
        "invalid_credentials",
    )
    .await;
    let english = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Accept-Language", "en")
        .json(&serde_json::json!({ "username": admin.username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let error = assert_error(english, 403, "account_setup_required").await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("console (/login)")
    );
}

#[tokio::test]
async fn with_a_second_factor_the_api_needs_a_code_used_once() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let admin = app.add_new_admin("new.dpp@mindigital.gr").await;
    let enrolled = app.set_up_account(&admin, clock.now()).await;

    // No code, or a wrong one, after the right password: otp_required.
    let missing = assert_error(
        app.login(&admin.username, NEW_PASSWORD).await,
        401,
        "otp_required",
    )
    .await;
    assert!(has_greek(missing["message"].as_str().unwrap()));
    assert_error(
        app.api_login_with_otp(&admin.username, NEW_PASSWORD, "000000x")
            .await,
        401,
        "otp_required",
    )
    .await;
    // The code of the enrolment's step was used by the enrolment.
    let used = enrolled.secret.code_at(step_at(clock.now()));
    assert_error(
        app.api_login_with_otp(&admin.username, NEW_PASSWORD, &used)
            .await,
        401,
        "otp_required",
    )
    .await;
    // A wrong password with a right code says nothing of the code.
    clock.advance(Duration::seconds(30));
    let code = enrolled.secret.code_at(step_at(clock.now()));
    assert_error(
        app.api_login_with_otp(&admin.username, "λάθος κωδικός", &code)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    let ok = app
        .api_login_with_otp(&admin.username, NEW_PASSWORD, &code)
        .await;
    assert_eq!(ok.status(), 200);
    let token: Value = ok.json().await.unwrap();
    assert_eq!(
        app.search(token["token"].as_str().unwrap(), &[])
            .await
            .status(),
        200
    );
    // The same code, again: refused.
    assert_error(
        app.api_login_with_otp(&admin.username, NEW_PASSWORD, &code)
            .await,
        401,
        "otp_required",
    )
    .await;
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let admin = app.add_new_admin("new.dpp@mindigital.gr").await;
    let enrolled = app.set_up_account(&admin, clock.now()).await;
    assert_eq!(enrolled.recovery_codes.len(), 10);
    let distinct: std::collections::HashSet<_> = enrolled.recovery_codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    let code = &enrolled.recovery_codes[3];
    let ok = app
        .api_login_with_otp(&admin.username, NEW_PASSWORD, &code.to_uppercase())
        .await;
    assert_eq!(ok.status(), 200, "typed in capitals: the same code");
    assert_error(
        app.api_login_with_otp(&admin.username, NEW_PASSWORD, code)
            .await,
        401,
        "otp_required",
    )
    .await;
    // The others still work, and the codes are stored only hashed.
    let ok = app
        .api_login_with_otp(&admin.username, NEW_PASSWORD, &enrolled.recovery_codes[4])
        .await;
    assert_eq!(ok.status(), 200);
    let stored = database_text(&app).await;
    assert!(stored.contains(&admin.username), "the database was read");
    for code in &enrolled.recovery_codes {
        assert!(
            !stored.contains(code.as_str()),
            "a recovery code in the database"
        );
        assert!(
            !stored.contains(&code.replace('-', "")),
            "a recovery code in the database"
        );
    }
    // Nor is the TOTP secret there in the clear: it is sealed by the KEK.
    let base32 = enrolled.secret.to_base32();
    assert!(!stored.contains(&base32), "the secret in the clear");
}

/// Everything the test's database holds, as (lossy) text.
async fn database_text(app: &TestApp) -> String {
    match backend() {
        Backend::Sqlite => {
            let file = app
                .database
                .url()
                .trim_start_matches("sqlite://")
                .to_owned();
            let mut bytes = std::fs::read(&file).unwrap();
            if let Ok(wal) = std::fs::read(format!("{file}-wal")) {
                bytes.extend(wal);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Backend::Postgres => app
            .probe
            .every_row_as_text()
            .await
            .into_iter()
            .map(|(_, row)| row)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[tokio::test]
async fn failed_codes_count_against_the_login_throttle() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let admin = app.add_new_admin("new.dpp@mindigital.gr").await;
    let enrolled = app.set_up_account(&admin, clock.now()).await;
    let allowed = ThrottleKey::administrator_login(&admin.username)
        .policy()
        .max_attempts;
    for _ in 0..allowed {
        assert_error(
            app.api_login_with_otp(&admin.username, NEW_PASSWORD, "123456")
                .await,
            401,
            "otp_required",
        )
        .await;
    }
    clock.advance(Duration::seconds(30));
    let code = enrolled.secret.code_at(step_at(clock.now()));
    assert_error(
        app.api_login_with_otp(&admin.username, NEW_PASSWORD, &code)
            .await,
        429,
        "too_many_attempts",
    )
    .await;
}
