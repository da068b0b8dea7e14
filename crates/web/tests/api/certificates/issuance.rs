//! The issuance job with the test CA: the chain openssl and pkilint accept, and the issuance delay.

use certdesk_app::worker::run_one_job;
use certdesk_domain::Status;
use certdesk_store::Scope;

use super::{der_of, issued};
use crate::helpers::*;

fn pem_blocks(text: &str) -> Vec<String> {
    text.split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|b| b.contains("BEGIN CERTIFICATE"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn an_issued_certificate_is_served_as_a_chain_that_openssl_and_the_etsi_linter_accept() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (employee, id) = issued(&app).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/applications/{id}/certificate")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/pem-certificate-chain"
    );
    let chain = pem_blocks(&response.text().await.unwrap());
    assert_eq!(chain.len(), 3, "certificate, issuing CA, root");
    let verified =
        certdesk_testkit::pki::openssl_verify(&chain[2], &[chain[1].as_str()], &chain[0]);
    assert!(verified.is_ok(), "{verified:?}");
    let lint = certdesk_testkit::pki::pkilint_etsi_cert(
        &der_of(&chain[0]),
        certdesk_testkit::pki::ETSI_QUALIFIED_NATURAL_PERSON_QSCD,
    );
    assert!(lint.is_ok(), "{}", lint.unwrap_err());

    // The stored certificate is the one served, for this employee.
    let stored = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(der_of(&chain[0]), stored.der);
    let description = certdesk_ca::authority::describe(&stored.der);
    assert!(
        description
            .subject
            .contains(&format!("TINGR-{}", employee.afm)),
        "{description:?}"
    );
    assert_eq!(
        stored.not_after - stored.not_before,
        chrono::Duration::days(3 * 365)
    );

    // The history says so, and the employee was told.
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(last.action, certdesk_domain::Action::Issued);
    let outbox = app.store.outbox(id).await.unwrap();
    assert_eq!(
        outbox.last().unwrap().subject,
        "Ολοκλήρωση διαδικασίας έκδοσης ΨΠ"
    );
}

/// `serve --issuance-delay-minutes`: a signed application waits that long for its certificate, and
/// a ΔΨΠ can cancel it meanwhile.
#[tokio::test]
async fn with_an_issuance_delay_the_certificate_waits_and_can_still_be_cancelled() {
    let app = spawn_app_with_config(
        |config| config.issuance_delay = chrono::Duration::minutes(60),
        |_| {},
    )
    .await;
    let token = app.token().await;
    let (_, id) = app.application_in(Status::AwaitingIssuance).await;
    let (_, cancelled_id) = app.application_in(Status::AwaitingIssuance).await;
    let signed_at = app.application(id).await.updated_at;
    let jobs = app.store.pending_jobs(id).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].run_at, signed_at + chrono::Duration::minutes(60));

    // Within the hour nothing is issued, and a cancellation still works.
    let within = signed_at + chrono::Duration::minutes(59);
    assert!(
        !run_one_job(app.store.as_ref(), &app.issuing_worker(), within)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::AwaitingIssuance);
    assert_eq!(app.cancel(&token, cancelled_id, None).await.status(), 200);

    // After it, the job issues.
    let after = signed_at + chrono::Duration::minutes(61);
    assert!(
        run_one_job(app.store.as_ref(), &app.issuing_worker(), after)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::Issued);
    assert!(
        app.store
            .certificate(&Scope::Everything, cancelled_id)
            .await
            .unwrap()
            .is_none()
    );
}
