//! Issued certificates (issue 5): the issuance job with the test CA, the chain served by the API
//! and checked by openssl and pkilint, and the private keys never in the database in clear.

use certdesk_domain::Status;
use certdesk_store::worker::{Issuing, WorkerConfig, run_one_job};
use serde_json::json;

use crate::backend::{Backend, backend};
use crate::helpers::*;

fn issuing_worker() -> WorkerConfig {
    WorkerConfig {
        issuer: Some(Issuing(test_ca())),
        ..Default::default()
    }
}

/// An application issued by the real job: returns the employee and the application id.
async fn issued(app: &TestApp) -> (Employee, i64) {
    let (employee, id) = app.application_in(Status::AwaitingIssuance).await;
    assert!(
        run_one_job(app.store.as_ref(), &issuing_worker(), chrono::Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::Issued);
    (employee, id)
}

fn pem_blocks(text: &str) -> Vec<String> {
    text.split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|b| b.contains("BEGIN CERTIFICATE"))
        .map(str::to_owned)
        .collect()
}

fn der_of(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64_decode(&body)
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => 0,
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().filter(|&&b| b != b'=').count();
        let v = chunk.iter().fold(0u32, |acc, &b| {
            (acc << 6) | if b == b'=' { 0 } else { value(b) }
        });
        let v = v << (6 * (4 - chunk.len() as u32));
        let all = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&all[..n.saturating_sub(1)]);
    }
    out
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
    let stored = app.store.certificate(id).await.unwrap().unwrap();
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

/// Issue 5: no private key bytes in the database in clear. The SQLite file (and its WAL) is
/// scanned for every key the test generated: the CA's two keys and each beneficiary's.
#[tokio::test]
async fn no_private_key_is_in_the_database_file_in_clear() {
    if backend() != Backend::Sqlite {
        // A file to scan is what SQLite has; the sealing code is the same on both stores.
        return;
    }
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(issued(&app).await.1);
    }
    let kek = certdesk_ca::KeyEncryptionKey::from_hex(TEST_KEK_HEX).unwrap();
    let ca = test_ca_record();
    let mut keys = vec![
        kek.open(&ca.sealed_root_key, "ca:root").unwrap().to_vec(),
        kek.open(&ca.sealed_issuing_key, "ca:issuing")
            .unwrap()
            .to_vec(),
    ];
    let pool = sqlx::SqlitePool::connect(app.database.url()).await.unwrap();
    for id in &ids {
        let sealed: Vec<u8> =
            sqlx::query_scalar("SELECT encrypted_key FROM key_material WHERE application_id = ?")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        let key = kek
            .open(
                &sealed,
                &certdesk_ca::authority::beneficiary_key_context(*id),
            )
            .unwrap();
        keys.push(key.to_vec());
    }
    pool.close().await;
    let file = app
        .database
        .url()
        .trim_start_matches("sqlite://")
        .to_owned();
    let mut bytes = std::fs::read(&file).unwrap();
    if let Ok(wal) = std::fs::read(format!("{file}-wal")) {
        bytes.extend(wal);
    }
    assert!(bytes.len() > 10_000, "the database file was read");
    for key in &keys {
        assert!(key.len() > 60, "a PKCS#8 key");
        // The whole DER, and its last 32 bytes (the EC public key part aside, the secret scalar
        // sits inside): neither may appear.
        assert!(!bytes.windows(key.len()).any(|w| w == key.as_slice()));
    }
}

async fn revoke(app: &TestApp, token: &str, id: i64, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/applications/{id}/revoke")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_revocation_marks_the_certificate_destroys_the_key_and_tells_the_employee() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = issued(&app).await;
    assert!(app.store.has_key_material(id).await.unwrap());

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

    let certificate = app.store.certificate(id).await.unwrap().unwrap();
    assert!(certificate.revoked_at.is_some());
    assert_eq!(certificate.revocation_reason, Some(9), "privilegeWithdrawn");
    assert!(
        !app.store.has_key_material(id).await.unwrap(),
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
    let certificate = app.store.certificate(id).await.unwrap().unwrap();
    assert_eq!(
        certificate.revocation_reason,
        Some(5),
        "cessationOfOperation"
    );
}

#[tokio::test]
async fn the_card_shows_the_certificate_offers_downloads_and_revokes_it() {
    let app = spawn_app().await;
    let (employee, id) = issued(&app).await;
    let stored = app.store.certificate(id).await.unwrap().unwrap();
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

#[tokio::test]
async fn holders_are_told_15_days_before_expiry_once_and_an_expired_certificate_shows_expired() {
    let app = spawn_app().await;
    let (employee, id) = issued(&app).await;
    let not_after = app.store.certificate(id).await.unwrap().unwrap().not_after;
    let store = app.store.as_ref();
    let sweep = certdesk_store::worker::sweep_certificates;

    // A month before: nothing yet.
    assert_eq!(
        sweep(store, not_after - chrono::Duration::days(30))
            .await
            .unwrap(),
        (0, 0)
    );
    // Within 15 days: one notice, once, even when swept again.
    let soon = not_after - chrono::Duration::days(14);
    assert_eq!(sweep(store, soon).await.unwrap(), (1, 0));
    assert_eq!(sweep(store, soon).await.unwrap(), (0, 0));
    let notices: Vec<_> = app
        .store
        .outbox(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.subject.contains("λήγει σύντομα"))
        .collect();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].body_text.contains(&employee.surname));
    assert!(
        notices[0]
            .body_text
            .contains(&not_after.format("%d/%m/%Y").to_string())
    );
    assert_eq!(app.application(id).await.status, Status::Issued);

    // Past notAfter: the application becomes expired, by the job, and the key goes.
    let after = not_after + chrono::Duration::seconds(1);
    assert_eq!(sweep(store, after).await.unwrap(), (0, 1));
    assert!(
        run_one_job(store, &WorkerConfig::default(), after)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::Expired);
    assert!(!app.store.has_key_material(id).await.unwrap());
    let last = app.history(id).await.pop().unwrap();
    assert_eq!(last.action, certdesk_domain::Action::CertificateExpired);
    assert_eq!(sweep(store, after).await.unwrap(), (0, 0), "expired once");
}

#[tokio::test]
async fn a_revoked_certificate_gets_no_expiry_notice() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = issued(&app).await;
    let not_after = app.store.certificate(id).await.unwrap().unwrap().not_after;
    assert_eq!(
        revoke(&app, &token, id, json!({"category": "employee_request"}))
            .await
            .status(),
        200
    );
    let soon = not_after - chrono::Duration::days(1);
    assert_eq!(
        certdesk_store::worker::sweep_certificates(app.store.as_ref(), soon)
            .await
            .unwrap(),
        (0, 0)
    );
}

/// `serve --issuance-delay-minutes`: a signed application waits that long for its certificate, and
/// a ΔΨΠ can cancel it meanwhile.
#[tokio::test]
async fn with_an_issuance_delay_the_certificate_waits_and_can_still_be_cancelled() {
    let app = spawn_app_with_store_options(
        |options| options.issuance_delay = chrono::Duration::minutes(60),
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
        !run_one_job(app.store.as_ref(), &issuing_worker(), within)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::AwaitingIssuance);
    assert_eq!(app.cancel(&token, cancelled_id, None).await.status(), 200);

    // After it, the job issues.
    let after = signed_at + chrono::Duration::minutes(61);
    assert!(
        run_one_job(app.store.as_ref(), &issuing_worker(), after)
            .await
            .unwrap()
    );
    assert_eq!(app.application(id).await.status, Status::Issued);
    assert!(app.store.certificate(cancelled_id).await.unwrap().is_none());
}
