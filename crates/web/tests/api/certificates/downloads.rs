//! Downloading a certificate: through the API and the card, only once issued, only in scope.

use certdesk_domain::Status;
use certdesk_store::Scope;
use serde_json::json;

use super::{der_of, issued};
use crate::helpers::*;

#[tokio::test]
async fn no_certificate_before_issuance_nor_for_another_organisation() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = issued(&app).await;
    // Awaiting issuance (its job not run): no certificate yet.
    let (_, pending) = app.application_in(Status::AwaitingIssuance).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/applications/{pending}/certificate")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;

    let (_, other_admin) = app.add_organisation_with_admin("OTHER").await;
    let other = app.token_for(&other_admin).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/applications/{id}/certificate")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "not_found").await;
    // Cancelling an issued application points to revocation.
    let refused = app.cancel(&token, id, Some(json!({}))).await;
    let error = assert_error(refused, 409, "not_cancellable").await;
    assert!(error["message"].as_str().unwrap().contains("Ανάκληση"));
}

#[tokio::test]
async fn the_card_shows_the_certificate_offers_downloads_and_revokes_it() {
    let app = spawn_app().await;
    let (employee, id) = issued(&app).await;
    let stored = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    let session = app.console_login(&app.admin).await;
    let card_path = format!("/employees/{}", employee.id);
    let card = app
        .console_get(&session, &card_path)
        .await
        .text()
        .await
        .unwrap();
    assert!(card.contains(&stored.serial), "the serial on the card");
    assert!(
        card.contains(&certdesk_ca::fingerprint(&stored.der)),
        "the SHA-256 fingerprint"
    );
    assert!(card.contains("Ανάκληση πιστοποιητικού"));
    assert!(card.contains("Μετά από αίτημα υπαλλήλου"));
    assert!(card.contains("Μετά από απόφαση του φορέα/ δικαστικής αρχής/ εποπτικής αρχής"));

    let der = app
        .console_get(&session, &format!("{card_path}/certificate.der"))
        .await;
    assert_eq!(der.status(), 200);
    assert_eq!(der.bytes().await.unwrap().to_vec(), stored.der);
    let pem = app
        .console_get(&session, &format!("{card_path}/certificate.pem"))
        .await
        .text()
        .await
        .unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(der_of(&pem), stored.der);

    // Another organisation's ΔΨΠ gets nothing.
    let (_, other_admin) = app.add_organisation_with_admin("OTHER").await;
    let other = app.console_login(&other_admin).await;
    let refused = app
        .console_get(&other, &format!("{card_path}/certificate.der"))
        .await;
    assert_eq!(refused.status(), 404);

    // «Επιβεβαίωση» without a category is refused, naming it; with one it revokes.
    let csrf = app.console_csrf(&session, &card_path).await;
    let revoke_path = format!("{card_path}/revoke");
    let missing = app
        .console_post(
            &session,
            &revoke_path,
            &[("csrf", &csrf), ("description", "λάθος")],
        )
        .await;
    assert_eq!(missing.status(), 422);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("Κατηγορία ανάκλησης: είναι υποχρεωτικό πεδίο")
    );
    let done = app
        .console_post(
            &session,
            &revoke_path,
            &[
                ("csrf", &csrf),
                ("category", "employee_request"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), format!("{card_path}?revoked=1"));
    let card = app
        .console_get(&session, &format!("{card_path}?revoked=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(card.contains("Το πιστοποιητικό ανακλήθηκε."));
    assert!(card.contains("Το πιστοποιητικό ανακλήθηκε από τον χρήστη"));
    assert!(!card.contains("id=\"revoke-form\""), "revoked once");
    assert_eq!(app.application(id).await.status, Status::Revoked);
}
