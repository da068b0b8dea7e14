//! The first login in the console (SPEC §9): the password change, then the TOTP enrolment, and
//! nothing else of the console before both; then logins with a code.

use certdesk_domain::otp::step_at;
use chrono::Duration;

use super::*;

#[tokio::test]
async fn the_first_login_forces_the_password_change_then_the_enrolment() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    let admin = app.add_new_admin("new.dpp@mindigital.gr").await;
    let response = app
        .console_login_form(&admin.username, PASSWORD, "", None)
        .await;
    assert_eq!(location(&response), "/account/password");
    let session = cookie_value(&response, &app.cookie_name("certdesk_session")).unwrap();

    // Nothing else of the console is open yet.
    for path in ["/employees", "/applications/new", "/employees/1"] {
        let page = app.console_get(&session, path).await;
        assert_eq!(page.status(), 303, "{path}");
        assert_eq!(location(&page), "/account/password", "{path}");
    }
    let page = app.console_get(&session, "/account/password").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"password-forced\""), "{html}");
    let csrf = hidden_csrf(&html);

    let attempt = |current: &'static str, new: &'static str, again: &'static str| {
        let (app, session, csrf) = (&app, session.clone(), csrf.clone());
        async move {
            app.console_post(
                &session,
                "/account/password",
                &[
                    ("csrf", csrf.as_str()),
                    ("current_password", current),
                    ("new_password", new),
                    ("new_password_confirm", again),
                ],
            )
            .await
        }
    };
    for (current, new, again, expected) in [
        (
            "λάθος κωδικός",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "Κωδικός: δεν είναι σωστός",
        ),
        (
            PASSWORD,
            "κοντός",
            "κοντός",
            "Νέος κωδικός: απαιτούνται τουλάχιστον 12 χαρακτήρες",
        ),
        (
            PASSWORD,
            "Password1234",
            "Password1234",
            "Νέος κωδικός: είναι από τους πιο συνηθισμένους κωδικούς",
        ),
        (
            PASSWORD,
            "NEW.DPP@mindigital.gr",
            "NEW.DPP@mindigital.gr",
            "Νέος κωδικός: δεν επιτρέπεται να είναι ίδιος με το όνομα χρήστη",
        ),
        (
            PASSWORD,
            NEW_PASSWORD,
            "κάτι άλλο εντελώς",
            "Επανάληψη νέου κωδικού: δεν είναι ίδιος",
        ),
    ] {
        let response = attempt(current, new, again).await;
        assert_eq!(response.status(), 422, "{new}");
        let html = response.text().await.unwrap();
        assert!(html.contains(expected), "{expected} in {html}");
    }
    let response = attempt(PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<p class=\"govgr-notification-banner__heading\">Η αλλαγή κωδικού πραγματοποιήθηκε με επιτυχία</p>"));
    assert!(
        html.contains("href=\"/account/totp\""),
        "continue to the enrolment"
    );
    let events = app.store.security_events(None, 0, 100).await.unwrap();
    assert!(
        events.iter().any(
            |e| e.kind == certdesk_domain::SecurityEventKind::PasswordChanged
                && e.subject.as_deref() == Some(admin.username.as_str())
        ),
        "the owner's password change is in the security log: {events:?}"
    );

    // Now the second factor, still before anything else.
    let page = app.console_get(&session, "/employees").await;
    assert_eq!(location(&page), "/account/totp");
    let page = app.console_get(&session, "/account/totp").await;
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code inline");
    assert!(html.contains("id=\"totp-forced\""));
    let key = element_text(&html, "totp-secret").unwrap();
    let secret = certdesk_domain::otp::TotpSecret::from_base32(&key).unwrap();
    // Reloading shows the same key (the session keeps it until confirmed).
    let again = app
        .console_get(&session, "/account/totp")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(element_text(&again, "totp-secret").unwrap(), key);
    let csrf = hidden_csrf(&html);
    let wrong = app
        .console_post(
            &session,
            "/account/totp",
            &[("csrf", &csrf), ("code", "12345")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Κωδικός μίας χρήσης: πρέπει να αποτελείται από 6 ψηφία")
    );
    let code = secret.code_at(step_at(clock.now()));
    let done = app
        .console_post(
            &session,
            "/account/totp",
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(done.status(), 200);
    let codes = recovery_codes(&done.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    // Shown once: the enrolment page no longer offers a key.
    let page = app.console_get(&session, "/account/totp").await;
    assert_eq!(location(&page), "/account");
    let account = app
        .console_get(&session, "/account")
        .await
        .text()
        .await
        .unwrap();
    assert!(!account.contains(&codes[0]));
    assert!(account.contains("Η εφαρμογή επαλήθευσης είναι ενεργή"));
    assert_eq!(app.console_get(&session, "/employees").await.status(), 200);

    // The next console login needs the code; the old password is gone.
    clock.advance(Duration::seconds(30));
    let refused = app
        .console_login_form(&admin.username, NEW_PASSWORD, "", None)
        .await;
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Απαιτείται σωστός κωδικός μίας χρήσης")
    );
    let old = app
        .console_login_form(&admin.username, PASSWORD, &code, None)
        .await;
    assert_eq!(old.status(), 401);
    let code = secret.code_at(step_at(clock.now()));
    let ok = app
        .console_login_form(&admin.username, NEW_PASSWORD, &code, None)
        .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), "/employees");
}

#[tokio::test]
async fn the_password_change_reads_in_english_too() {
    let app = spawn_app().await;
    let admin = app.add_new_admin("new.dpp@mindigital.gr").await;
    let response = app
        .console_login_form(&admin.username, PASSWORD, "", None)
        .await;
    let session = cookie_value(&response, &app.cookie_name("certdesk_session")).unwrap();
    let csrf = app.console_csrf(&session, "/account/password").await;
    let changed = app
        .client
        .post(app.url("/account/password"))
        .header(
            reqwest::header::COOKIE,
            format!(
                "{}; {}=en",
                app.session_cookie(&session),
                app.cookie_name("certdesk_lang")
            ),
        )
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert!(
        changed
            .text()
            .await
            .unwrap()
            .contains("Your password was changed successfully")
    );
}
