//! The demo's relaxation (SPEC §7): its accounts log in with a password alone, and the console
//! says so on their pages, in Greek and in English.

use chrono::Duration;

use super::*;

#[tokio::test]
async fn a_relaxed_account_sees_the_notice_in_both_languages() {
    let app = spawn_app().await;
    let session = app.console_login(&app.admin).await;
    for path in ["/employees", "/account", "/applications/new"] {
        let html = app.console_get(&session, path).await.text().await.unwrap();
        assert!(html.contains("id=\"demo-relaxation\""), "{path}");
        assert!(
            html.contains("Λειτουργία επίδειξης: αυτός ο λογαριασμός συνδέεται μόνο με κωδικό"),
            "{path}"
        );
    }
    let english = app
        .client
        .get(app.url("/employees"))
        .header(
            reqwest::header::COOKIE,
            format!(
                "{}; {}=en",
                app.session_cookie(&session),
                app.cookie_name("certdesk_lang")
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Demo mode: this account logs in with a password alone"));
}

#[tokio::test]
async fn an_account_that_requires_the_second_factor_sees_no_notice() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let admin = app.add_new_admin("new.dpp@mindigital.gr").await;
    let enrolled = app.set_up_account(&admin, clock.now()).await;
    let html = app
        .console_get(&enrolled.session, "/employees")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("demo-relaxation"), "{html}");
    clock.advance(Duration::seconds(1));
}

#[tokio::test]
async fn a_relaxed_account_may_still_enrol_and_then_needs_its_code() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let session = app.console_login(&app.admin).await;
    let html = app
        .console_get(&session, "/account/totp")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"totp-forced\""));
    let secret =
        certdesk_domain::otp::TotpSecret::from_base32(&element_text(&html, "totp-secret").unwrap())
            .unwrap();
    let code = secret.code_at(certdesk_domain::otp::step_at(clock.now()));
    let done = app
        .console_post(
            &session,
            "/account/totp",
            &[("csrf", &hidden_csrf(&html)), ("code", &code)],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert_error(
        app.login(&app.admin.username, PASSWORD).await,
        401,
        "otp_required",
    )
    .await;
}
