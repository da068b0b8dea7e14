//! The operator's and the auditor's accounts are guarded as a ΔΨΠ's (issue 10, section 2): made
//! by `certdesk operator create` / `auditor create`, they enrol a second factor at the first login
//! before any page of their role opens, and log in with a code from then on.

use certdesk_domain::Role;
use certdesk_domain::otp::step_at;
use chrono::Duration;

use super::*;

const OWN_PASSWORD: &str = "ένας μακρύς κωδικός 2026";

#[tokio::test]
async fn an_operator_and_an_auditor_enrol_a_second_factor_before_their_pages_open() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let desk = app.app.command_line_desk();

    // The same password policy as a ΔΨΠ's.
    let short = desk
        .create_account(Role::Operator, "op@example.gr", "Όλγα Παπά", "κοντός")
        .await;
    assert!(short.is_err(), "a short password is refused");

    // The role's own page, and where its logins land (an auditor starts from the employees).
    for (role, username, role_page, landing) in [
        (
            Role::Operator,
            "op@example.gr",
            "/operator/accounts",
            "/operator/accounts",
        ),
        (
            Role::Auditor,
            "audit@example.gr",
            "/audit/security-log",
            "/employees",
        ),
    ] {
        desk.create_account(role, username, "Όλγα Παπά", OWN_PASSWORD)
            .await
            .unwrap();
        let first = app
            .console_login_form(username, OWN_PASSWORD, "", None)
            .await;
        assert_eq!(location(&first), "/account/totp", "{username}");
        let session = cookie_value(&first, &app.cookie_name("certdesk_session")).unwrap();
        // The role's pages wait for the enrolment.
        let page = app.console_get(&session, role_page).await;
        assert_eq!(page.status(), 303, "{role_page}");
        assert_eq!(location(&page), "/account/totp", "{role_page}");
        // And the API gives no token before it.
        let token = app.login(username, OWN_PASSWORD).await;
        assert_error(token, 403, "account_setup_required").await;

        let html = app
            .console_get(&session, "/account/totp")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("id=\"totp-forced\""), "{html}");
        let secret = certdesk_domain::otp::TotpSecret::from_base32(
            &element_text(&html, "totp-secret").unwrap(),
        )
        .unwrap();
        let code = secret.code_at(step_at(clock.now()));
        let confirmed = app
            .console_post(
                &session,
                "/account/totp",
                &[("csrf", &hidden_csrf(&html)), ("code", &code)],
            )
            .await;
        assert_eq!(confirmed.status(), 200);
        assert_eq!(
            recovery_codes(&confirmed.text().await.unwrap()).len(),
            10,
            "recovery codes shown once"
        );
        assert_eq!(app.console_get(&session, role_page).await.status(), 200);

        // From now on a login needs a code, and a used code is not taken twice.
        let without = app
            .console_login_form(username, OWN_PASSWORD, "", None)
            .await;
        assert_eq!(without.status(), 401, "{username} without a code");
        clock.advance(Duration::seconds(30));
        let code = secret.code_at(step_at(clock.now()));
        let with = app
            .console_login_form(username, OWN_PASSWORD, &code, None)
            .await;
        assert_eq!(location(&with), landing);
        let again = app
            .console_login_form(username, OWN_PASSWORD, &code, None)
            .await;
        assert_eq!(again.status(), 401, "the same code twice");
    }
    let enrolled = app
        .store
        .security_events(None, 0, 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == certdesk_domain::SecurityEventKind::SecondFactorChanged)
        .count();
    assert_eq!(enrolled, 2, "both enrolments are in the security log");
}
