//! Revoking a certificate through the API: its category, the key destroyed, the employee told.

use certdesk_domain::{RevocationReason, Status};
use certdesk_store::Scope;
use serde_json::json;

use super::{issued, revoke};
use crate::helpers::*;

#[tokio::test]
async fn a_revocation_marks_the_certificate_destroys_the_key_and_tells_the_employee() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = issued(&app).await;
    assert!(app.probe.has_key_material(id).await);

    let revoked = revoke(
        &app,
        &token,
        id,
        json!({"category": "authority_decision", "description": "Απόφαση του φορέα 12/2026"}),
    )
    .await;
    assert_eq!(revoked.status(), 200);
    let body: serde_json::Value = revoked.json().await.unwrap();
    assert_eq!(body["status"], "revoked");
    assert_eq!(body["status_label"], "Το πιστοποιητικό ανακλήθηκε");

    let certificate = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    assert!(certificate.revoked_at.is_some());
    assert_eq!(
        certificate.revocation_reason,
        Some(RevocationReason::PrivilegeWithdrawn)
    );
    assert_eq!(
        certificate.revocation_reason.map(RevocationReason::code),
        Some(9)
    );
    assert!(
        !app.probe.has_key_material(id).await,
        "the key is destroyed"
    );
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(last.action, certdesk_domain::Action::Revoked);
    assert_eq!(
        last.description,
        format!(
            "Το πιστοποιητικό ανακλήθηκε από τον χρήστη {}",
            app.admin.full_name
        )
    );
    assert_eq!(last.reason.as_deref(), Some("Απόφαση του φορέα 12/2026"));
    let email = app.store.outbox(id).await.unwrap().pop().unwrap();
    assert!(email.subject.contains("Το πιστοποιητικό ανακλήθηκε"));

    // Once only; and never before issuance.
    let again = revoke(&app, &token, id, json!({"category": "employee_request"})).await;
    assert_error(again, 409, "not_revocable").await;
    let (_, pending) = app.application_in(Status::AwaitingSignature).await;
    let early = revoke(
        &app,
        &token,
        pending,
        json!({"category": "employee_request"}),
    )
    .await;
    assert_error(early, 409, "not_revocable").await;
}

#[tokio::test]
async fn a_revocation_needs_a_known_category() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = issued(&app).await;
    for (body, problem) in [
        (json!({}), "υποχρεωτικό"),
        (json!({"category": "lost_it"}), "employee_request"),
    ] {
        let refused = revoke(&app, &token, id, body).await;
        let error = assert_error(refused, 422, "invalid_field").await;
        assert_eq!(error["field"], "category");
        assert!(
            error["message"].as_str().unwrap().contains(problem),
            "{error}"
        );
    }
    let too_long = revoke(
        &app,
        &token,
        id,
        json!({"category": "employee_request", "description": "α".repeat(501)}),
    )
    .await;
    let error = assert_error(too_long, 422, "invalid_field").await;
    assert_eq!(error["field"], "description");
    assert_eq!(
        error["message"],
        "Περιγραφή: επιτρέπονται έως 500 χαρακτήρες"
    );
    assert_eq!(app.application(id).await.status, Status::Issued);
    let employee_request = revoke(&app, &token, id, json!({"category": "employee_request"})).await;
    assert_eq!(employee_request.status(), 200);
    let certificate = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        certificate.revocation_reason,
        Some(RevocationReason::CessationOfOperation)
    );
    assert_eq!(
        certificate.revocation_reason.map(RevocationReason::code),
        Some(5)
    );
}
