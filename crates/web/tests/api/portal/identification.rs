//! Identification against the Police record, and the username and signing password it sets.

use certdesk_domain::{Action, Status};
use certdesk_store::Scope;

use super::{
    SIGNING_PASSWORD, application_id, identification_form, portal_app, portal_app_with, portal_get,
    portal_page, portal_post, status_of, text_of, up_to_identification,
};
use crate::helpers::*;

#[tokio::test]
async fn a_police_record_that_does_not_match_rejects_with_the_reason_in_the_history() {
    // The Police know another father's name.
    let (app, person) = portal_app_with(",,Κωνσταντίνος,", None).await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let answered = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(answered.status(), 303);
    let page = portal_page(&app, &session).await;
    assert_eq!(text_of(&page, "status"), REJECTED_EL);
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(last.action, Action::IdentificationFailed);
    let reason = last.reason.unwrap();
    assert!(reason.contains("Όνομα Πατρός"), "{reason}");
    assert!(
        !reason.contains("ΑΔΤ") && !reason.contains("Επώνυμο"),
        "only what differs: {reason}"
    );
    assert!(page.contains(&reason));
    assert!(app.store.reserved_username(id).await.unwrap().is_none());
    assert!(
        app.store
            .signing_credentials(&Scope::Everything, id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn each_username_rule_and_a_taken_username_get_a_clear_message_and_nothing_is_written() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    // Someone else holds "taken.name".
    let other = app.add_employee("Πετρίδης", "Άρης").await;
    let other_id = app
        .drive_application(&other, Status::AwaitingSignature)
        .await;
    let taken = app
        .store
        .reserved_username(other_id)
        .await
        .unwrap()
        .unwrap();

    let session = up_to_identification(&app, &person).await;
    for (username, expected) in [
        ("", "Όνομα χρήστη: είναι υποχρεωτικό πεδίο"),
        ("abcd", "Όνομα χρήστη: απαιτούνται τουλάχιστον 5 χαρακτήρες"),
        (
            "a23456789012345678901",
            "Όνομα χρήστη: επιτρέπονται έως 20 χαρακτήρες",
        ),
        (
            "1abcde",
            "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα",
        ),
        (
            "abcde.",
            "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα",
        ),
        ("ελένη", "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα"),
        (
            "e_karagianni",
            "Όνομα χρήστη: επιτρέπονται μόνο λατινικά γράμματα",
        ),
        (taken.as_str(), "Όνομα χρήστη: χρησιμοποιείται ήδη"),
    ] {
        let refused = portal_post(
            &app,
            &session,
            "/portal/identification",
            &identification_form(username, "email"),
        )
        .await;
        assert_eq!(refused.status(), 422, "{username:?}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(expected), "{username:?}: {html}");
    }
    // The other fields have their own messages, all shown at once.
    let refused = portal_post(
        &app,
        &session,
        "/portal/identification",
        &[
            ("username", "ok.name"),
            ("password", "short"),
            ("password_confirm", "short"),
            ("otp_channel", "sms"),
        ],
    )
    .await;
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Κωδικός υπογραφής: απαιτούνται τουλάχιστον 10 χαρακτήρες"),
        "{html}"
    );
    assert!(html.contains("Τρόπος λήψης κωδικού μίας χρήσης"), "{html}");
    let refused = portal_post(
        &app,
        &session,
        "/portal/identification",
        &[
            ("username", "ok.name"),
            ("password", SIGNING_PASSWORD),
            ("password_confirm", "κάτι άλλο εντελώς"),
            ("otp_channel", "email"),
        ],
    )
    .await;
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Επιβεβαίωση κωδικού υπογραφής: δεν είναι ίδιος")
    );

    assert_eq!(
        status_of(&app, &person).await,
        Status::AwaitingIdentification
    );
    assert!(app.store.reserved_username(id).await.unwrap().is_none());
    // Started, the email proven, data confirmed, approved: nothing of the refused forms.
    assert_eq!(app.history(id).await.len(), 4);
}

#[tokio::test]
async fn a_police_registry_that_does_not_answer_gets_a_clear_message_and_nothing_is_written() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let (app, person) = portal_app_with(",,,", Some(address)).await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification(&app, &person).await;
    let answered = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(answered.status(), 503);
    let html = answered.text().await.unwrap();
    assert!(
        html.contains("δεν απαντά") && html.contains("δοκιμάστε ξανά"),
        "{html}"
    );
    assert_eq!(
        status_of(&app, &person).await,
        Status::AwaitingIdentification
    );
    assert!(app.store.reserved_username(id).await.unwrap().is_none());
    assert!(
        app.store
            .signing_credentials(&Scope::Everything, id)
            .await
            .unwrap()
            .is_none()
    );
    // The server keeps serving.
    assert_eq!(portal_get(&app, &session, "/portal").await.status(), 200);
}
