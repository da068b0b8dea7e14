//! The card's cancellation form: its CSRF token, the message, a blank or too long reason, English;
//! and logging out.

use certdesk_domain::Status;

use crate::helpers::*;

#[tokio::test]
async fn cancelling_through_the_console() {
    let app = spawn_app().await;
    let (employee, id) = app.application_in(Status::AwaitingIdentification).await;
    let session = app.console_login(&app.admin).await;
    let card_path = format!("/employees/{}", employee.id);
    let cancel_path = format!("/employees/{}/cancel", employee.id);

    let response = app.console_get(&session, &card_path).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Αναμένεται η ταυτοποίηση του δικαιούχου"));
    assert!(
        html.contains("Ακύρωση διαδικασίας έκδοσης ΨΠ"),
        "the button"
    );
    let csrf = hidden_csrf(&html);
    assert!(csrf.len() >= 32);

    // A wrong CSRF token: 403, nothing changes.
    let before = app.application(id).await;
    for forged in ["", "forged", &csrf[..csrf.len() - 1]] {
        let response = app
            .console_post(&session, &cancel_path, &[("csrf", forged)])
            .await;
        assert_eq!(response.status(), 403, "csrf {forged:?}");
    }
    assert_eq!(app.application(id).await, before, "nothing changed");
    assert_eq!(app.history(id).await.len(), 3);

    // The right one: 303 to the card with the message.
    let response = app
        .console_post(
            &session,
            &cancel_path,
            &[("csrf", csrf.as_str()), ("reason", "")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let target = location(&response);
    assert_eq!(target, format!("/employees/{}?cancelled=1", employee.id));

    let response = app.console_get(&session, &target).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Η έκδοση του πιστοποιητικού ακυρώθηκε!"));
    assert!(html.contains(REJECTED_EL));
    assert!(html.contains(&cancelled_description(&app.admin.full_name)));
    assert!(
        !html.contains(r#"id="cancel-issuance""#),
        "no cancel button any more"
    );

    let stored = app.application(id).await;
    assert_eq!(stored.status, Status::Rejected);
    assert_eq!(stored.version, before.version + 1);
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(
        last.description,
        cancelled_description(&app.admin.full_name)
    );
    assert_eq!(last.actor_name, app.admin.full_name);
    assert_eq!(last.reason, None, "a blank reason is no reason");

    // The search page shows the new status.
    let html = app
        .console_get(&session, "/employees?q=%CE%B4%CE%BF%CE%BA%CE%B9%CE%BC")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(REJECTED_EL));

    // The plain card (no ?cancelled) does not repeat the message, and a second submission
    // changes nothing.
    let html = app
        .console_get(&session, &card_path)
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Η έκδοση του πιστοποιητικού ακυρώθηκε!"));
    let response = app
        .console_post(&session, &cancel_path, &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(app.history(id).await.len(), 4);
}

#[tokio::test]
async fn the_cancelled_message_shows_only_after_a_real_cancellation() {
    let app = spawn_app().await;
    let (employee, _) = app.application_in(Status::AwaitingApproval).await;
    let session = app.console_login(&app.admin).await;
    let html = app
        .console_get(&session, &format!("/employees/{}?cancelled=1", employee.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Η έκδοση του πιστοποιητικού ακυρώθηκε!"));
}

#[tokio::test]
async fn long_reasons_english_logout_and_no_open_redirect() {
    let app = spawn_app().await;
    let (employee, id) = app.application_in(Status::AwaitingDataCheck).await;
    let session = app.console_login(&app.admin).await;
    let card_path = format!("/employees/{}", employee.id);
    let cancel_path = format!("/employees/{}/cancel", employee.id);
    let csrf = app.console_csrf(&session, &card_path).await;

    // A reason over 500 characters: refused with the form again, nothing changes.
    let long = "λ".repeat(501);
    let response = app
        .console_post(
            &session,
            &cancel_path,
            &[("csrf", csrf.as_str()), ("reason", long.as_str())],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(app.application(id).await.status, Status::AwaitingDataCheck);

    // English by the switch; the switch only redirects to local paths.
    let response = app
        .console_get(&session, "/lang/en?next=//evil.example/x")
        .await;
    assert_eq!(location(&response), "/");
    let lang = cookie_value(&response, "certdesk_lang").unwrap();
    assert_eq!(lang, "en");
    let response = app
        .client
        .post(app.url(&cancel_path))
        .header(
            "Cookie",
            format!("certdesk_session={session}; certdesk_lang=en"),
        )
        .form(&[("csrf", csrf.as_str()), ("reason", "Wrong email")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let html = app
        .client
        .get(app.url(&location(&response)))
        .header(
            "Cookie",
            format!("certdesk_session={session}; certdesk_lang=en"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("The issuance of the certificate was cancelled!"));
    assert!(html.contains("Issuance application rejected"));
    // The history records the Greek words whatever the console's language.
    assert_eq!(
        app.history(id).await.pop().unwrap().description,
        cancelled_description(&app.admin.full_name)
    );

    // Logging out ends the session.
    let response = app
        .console_post(&session, "/logout", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    let response = app.console_get(&session, "/employees").await;
    assert_eq!(location(&response), "/login");
}
