//! `/Sign/Api`: RequestOTP, Certificates and SignBuffer as a document system calls them; the
//! signature verifies with openssl against the leaf certificate that `Certificates` returned;
//! a used or wrong code, a bad digest and a revoked certificate are refused in the service's
//! error shape, and every signature is in the signing log.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_domain::Status;
use certdesk_domain::remote_signing::SigningClient;
use reqwest::header::ACCEPT_LANGUAGE;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::portal::code_in;

async fn call(app: &TestApp, operation: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/Sign/Api/{operation}")))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The code of the latest email of application `id`.
async fn emailed_code(app: &TestApp, id: i64) -> String {
    let email = app.store.outbox(id).await.unwrap().pop().expect("an email");
    code_in(&email.body_text)
}

#[tokio::test]
async fn a_document_system_signs_a_digest_that_openssl_verifies() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let username = format!("benef{id}");
    let login = json!({"Username": username, "Password": PASSWORD});

    let status = app
        .client
        .get(app.url("/Sign/Api/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);

    let (code, chain) = call(&app, "Certificates", &login).await;
    assert_eq!(code, 200, "{chain}");
    let chain: Vec<Vec<u8>> = chain["Certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(chain.len(), 3, "leaf, issuing CA, root");
    let pem = |der: &[u8]| certdesk_ca::certificate_pem(der);
    let verified =
        certdesk_testkit::pki::openssl_verify(&pem(&chain[2]), &[&pem(&chain[1])], &pem(&chain[0]));
    assert!(verified.is_ok(), "{verified:?}");

    // The email channel: RequestOTP sends a code.
    let (code, otp) = call(&app, "RequestOTP", &login).await;
    assert_eq!((code, otp["Outcome"].as_str()), (200, Some("0")), "{otp}");
    let one_time = emailed_code(&app, id).await;

    let document = "Απόφαση 42/2026: έγκριση δαπάνης".as_bytes();
    let digest = STANDARD.encode(Sha256::digest(document));
    let sign = |code: &str| json!({"Username": username, "Password": PASSWORD, "SignPassword": code, "BufferToSign": digest});
    let (code, signed) = call(&app, "SignBuffer", &sign(&one_time)).await;
    assert_eq!(code, 200, "{signed}");
    assert_eq!(signed["Success"], "true");
    let signature = STANDARD
        .decode(signed["Signature"].as_str().unwrap())
        .unwrap();
    let checked =
        certdesk_testkit::pki::openssl_verify_signature(&pem(&chain[0]), document, &signature);
    assert!(checked.is_ok(), "{checked:?}");

    // The signing log has it, with the digest and the client.
    let log = app.store.signatures_of(id, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].client, SigningClient::SignBuffer);
    assert_eq!(log[0].digest, hex::encode(Sha256::digest(document)));
    assert_eq!(log[0].address.as_deref(), Some("127.0.0.1"));

    // A code counts once.
    let (code, again) = call(&app, "SignBuffer", &sign(&one_time)).await;
    assert_eq!(code, 422, "{again}");
    assert_eq!(
        (again["Success"].as_str(), again["Outcome"].as_str()),
        (Some("false"), Some("9"))
    );
    assert_eq!(again["Field"], "otp");
    assert!(has_greek(again["Description"].as_str().unwrap()), "{again}");
    assert_eq!(app.store.signatures_of(id, 10).await.unwrap().len(), 1);

    // After a revocation, nothing signs.
    call(&app, "RequestOTP", &login).await;
    let fresh = emailed_code(&app, id).await;
    let token = app.token().await;
    let revoked = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/revoke")))
        .bearer_auth(&token)
        .json(&json!({"category": "employee_request"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let (code, refused) = call(&app, "SignBuffer", &sign(&fresh)).await;
    assert_eq!(code, 403, "{refused}");
    assert_eq!(refused["Code"], "certificate_revoked");
    let (code, _) = call(&app, "Certificates", &login).await;
    assert_eq!(code, 403);
    assert_eq!(app.store.signatures_of(id, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn wrong_credentials_bad_digests_and_guesses_are_refused_clearly() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let username = format!("benef{id}");

    // A wrong password and an unknown username get the same answer.
    for (who, password) in [(username.as_str(), "λάθος"), ("nobody.here", PASSWORD)] {
        let (code, body) = call(
            &app,
            "Certificates",
            &json!({"Username": who, "Password": password}),
        )
        .await;
        assert_eq!(code, 401, "{who}: {body}");
        assert_eq!(body["Code"], "invalid_credentials");
        assert_eq!(body["Outcome"], "9");
    }
    // Missing fields and a digest that is not 32 bytes of base64 name the field.
    let (code, body) = call(&app, "RequestOTP", &json!({})).await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["Field"], "username");
    let bad_digest = json!({"Username": username, "Password": PASSWORD, "SignPassword": "123456", "BufferToSign": STANDARD.encode([1u8; 20])});
    let (code, body) = call(&app, "SignBuffer", &bad_digest).await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["Field"], "hash");
    // In English when asked.
    let english = app
        .client
        .post(app.url("/Sign/Api/SignBuffer"))
        .header(ACCEPT_LANGUAGE, "en")
        .json(&bad_digest)
        .send()
        .await
        .unwrap();
    let body: Value = english.json().await.unwrap();
    assert!(
        body["Description"].as_str().unwrap().contains("SHA-256"),
        "{body}"
    );
    // Not JSON at all.
    let garbled = app
        .client
        .post(app.url("/Sign/Api/SignBuffer"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 400);

    // Wrong codes are limited like the portal's, together with the wrong password above: five
    // wrong guesses in all, then a pause.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let guess = json!({"Username": username, "Password": PASSWORD, "SignPassword": "000000", "BufferToSign": STANDARD.encode([1u8; 32])});
        statuses.push(call(&app, "SignBuffer", &guess).await.0);
    }
    assert_eq!(statuses, [422, 422, 422, 422, 429, 429], "{statuses:?}");
    assert!(app.store.signatures_of(id, 10).await.unwrap().is_empty());
}
