//! Proving the work email before identification (issue 10): the «Έναρξη» link of the start
//! email, once; the code fallback, throttled; and the history of either.

use certdesk_domain::{Action, Status};
use reqwest::header::COOKIE;
use serde_json::json;

use super::{
    application_id, follow_start_link, identification_form, portal_app, portal_cookie,
    portal_login, portal_page, portal_post, start_link, status_of, up_to_identification_unproven,
};
use crate::helpers::*;

const NOT_PROVEN_EL: &str = "Πριν από την ταυτοποίηση πρέπει να επιβεβαιώσετε τη διεύθυνση email";
const LINK_REFUSED_EL: &str = "Ο σύνδεσμος επιβεβαίωσης του email δεν ισχύει";
const LINK_REFUSED_EN: &str = "The email confirmation link is not valid";
const PROVEN_EL: &str = "Η διεύθυνση email σας επιβεβαιώθηκε.";

fn proofs(history: &[certdesk_domain::HistoryEntry]) -> Vec<Action> {
    history
        .iter()
        .map(|h| h.action)
        .filter(|a| a.proves_email())
        .collect()
}

/// The six digits of the latest confirmation-code email of application `id`.
async fn sent_code(app: &TestApp, id: i64) -> String {
    let email = app.store.outbox(id).await.unwrap().pop().unwrap();
    assert!(
        email.subject.contains("κωδικός επιβεβαίωσης email"),
        "{}",
        email.subject
    );
    super::code_in(&email.body_text)
}

#[tokio::test]
async fn identification_is_refused_until_the_email_is_proven_whatever_the_channel() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification_unproven(&app, &person).await;
    let page = portal_page(&app, &session).await;
    assert!(page.contains("id=\"email-proof\"") && page.contains("Αποστολή κωδικού επιβεβαίωσης"));
    assert!(page.contains("τον σύνδεσμο «Έναρξη»"), "{page}");
    assert!(!page.contains("id=\"identification-form\""));
    for channel in ["totp", "email"] {
        let refused = portal_post(
            &app,
            &session,
            "/portal/identification",
            &identification_form("ekaragianni", channel),
        )
        .await;
        assert_eq!(refused.status(), 409, "{channel}");
        assert!(refused.text().await.unwrap().contains(NOT_PROVEN_EL));
    }
    assert_eq!(
        status_of(&app, &person).await,
        Status::AwaitingIdentification
    );
    assert!(app.store.reserved_username(id).await.unwrap().is_none());

    // The link proves it; identification goes on.
    let proven = follow_start_link(&app, &session, &start_link(&app, &person).await).await;
    assert_eq!(proven.status(), 200);
    let html = proven.text().await.unwrap();
    assert!(html.contains(PROVEN_EL) && html.contains("id=\"identification-form\""));
    let done = portal_post(
        &app,
        &session,
        "/portal/identification",
        &identification_form("ekaragianni", "email"),
    )
    .await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    assert_eq!(status_of(&app, &person).await, Status::AwaitingSignature);
    let history = app.history(id).await;
    assert_eq!(proofs(&history), [Action::EmailProvenByLink]);
    let entry = history.iter().find(|h| h.action.proves_email()).unwrap();
    assert!(
        entry
            .description
            .contains("Επιβεβαιώθηκε η διεύθυνση email")
    );
    assert!(entry.description.contains("«Έναρξη»"));
    assert_eq!(entry.actor_name, "ΕΛΕΝΗ ΚΑΡΑΓΙΑΝΝΗ");
    assert!(app.application(id).await.email_proof.is_some());
    assert!(certdesk_domain::history::verify_chain(&history).is_ok());
}

#[tokio::test]
async fn the_link_proves_once_and_forged_or_another_applications_tokens_prove_nothing() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    // Another employee's application, with its own start link.
    let other = app.add_employee("Πετρίδης", "Άρης").await;
    let token = app.token().await;
    let created = app
        .create_application(&token, &json!({"afm": other.afm, "email": other.email}))
        .await;
    assert_eq!(created.status(), 201);
    let other_id = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let other_text = app.store.outbox(other_id).await.unwrap()[0]
        .body_text
        .clone();
    let other_link = other_text
        .lines()
        .find_map(|l| l.strip_prefix("Έναρξη: "))
        .unwrap()
        .to_owned();
    assert!(other_link.contains("/portal/start?token="));

    let session = portal_login(&app, &person.afm).await;
    let forged = app.url(&format!("/portal/start?token={}", "0".repeat(64)));
    for link in [other_link.clone(), forged] {
        let refused = follow_start_link(&app, &session, &link).await;
        assert_eq!(refused.status(), 422, "{link}");
        assert!(refused.text().await.unwrap().contains(LINK_REFUSED_EL));
    }
    // Not a token at all: refused at once, in English with the switch.
    let malformed = app
        .client
        .get(app.url("/portal/start?token=%3Cscript%3E"))
        .header(
            COOKIE,
            format!(
                "{}; {}=en",
                portal_cookie(&app, &session),
                app.cookie_name("certdesk_lang")
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 422);
    assert!(malformed.text().await.unwrap().contains(LINK_REFUSED_EN));
    assert!(app.application(id).await.email_proof.is_none());
    assert!(app.application(other_id).await.email_proof.is_none());

    // Its own link proves it, once: following it again adds nothing.
    let link = start_link(&app, &person).await;
    for _ in 0..2 {
        assert_eq!(follow_start_link(&app, &session, &link).await.status(), 200);
    }
    assert_eq!(proofs(&app.history(id).await), [Action::EmailProvenByLink]);
    // The other application's link was not spent by the attempt.
    assert!(app.application(other_id).await.email_proof.is_none());
}

#[tokio::test]
async fn the_code_fallback_proves_the_email_and_wrong_codes_are_throttled() {
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification_unproven(&app, &person).await;

    let sent = portal_post(&app, &session, "/portal/email-code/send", &[]).await;
    assert_eq!(location(&sent), "/portal?done=email_code_sent");
    let code = sent_code(&app, id).await;
    let email = app.store.outbox(id).await.unwrap().pop().unwrap();
    assert_eq!(email.recipient, person.email);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = portal_post(
        &app,
        &session,
        "/portal/email-code",
        &[("email_code", wrong)],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Ο κωδικός επιβεβαίωσης δεν είναι σωστός")
    );
    let proven = portal_post(
        &app,
        &session,
        "/portal/email-code",
        &[("email_code", &code)],
    )
    .await;
    assert_eq!(location(&proven), "/portal?done=email_proven");
    let history = app.history(id).await;
    assert_eq!(proofs(&history), [Action::EmailProvenByCode]);
    assert!(
        history
            .iter()
            .any(|h| h.description.contains("με κωδικό επιβεβαίωσης"))
    );
    // The code is spent with the proof, and the link with it.
    let secrets = app
        .store
        .email_proof_secrets(&certdesk_store::Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    assert!(secrets.code_digest.is_none() && secrets.link_hash.is_none());
    let again = follow_start_link(&app, &session, &start_link(&app, &person).await).await;
    assert_eq!(again.status(), 200);
    assert_eq!(proofs(&app.history(id).await), [Action::EmailProvenByCode]);

    // Another application: five wrong codes, then even the right one is paused.
    let (app, person) = portal_app().await;
    let id = application_id(&app, &person).await;
    let session = up_to_identification_unproven(&app, &person).await;
    portal_post(&app, &session, "/portal/email-code/send", &[]).await;
    let code = sent_code(&app, id).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let refused = portal_post(
            &app,
            &session,
            "/portal/email-code",
            &[("email_code", wrong)],
        )
        .await;
        assert_eq!(refused.status(), 422);
    }
    let paused = portal_post(
        &app,
        &session,
        "/portal/email-code",
        &[("email_code", &code)],
    )
    .await;
    assert_eq!(paused.status(), 429);
    assert!(
        paused
            .text()
            .await
            .unwrap()
            .contains("Πολλές λανθασμένες προσπάθειες")
    );
    assert!(app.application(id).await.email_proof.is_none());
    // Sending codes is throttled too (one sent above).
    for _ in 0..4 {
        let sent = portal_post(&app, &session, "/portal/email-code/send", &[]).await;
        assert_eq!(sent.status(), 303);
    }
    let paused = portal_post(&app, &session, "/portal/email-code/send", &[]).await;
    assert_eq!(paused.status(), 429);
}
