//! pyHanko signs a PDF through certdesk's CSC API, as any signing client would: its `CSCSigner`
//! with an authorization manager that calls `credentials/authorize` with the code of the
//! holder's authenticator app, computed here. The signature validates with pyHanko against
//! certdesk's root, revocation checked online at the OCSP and CRL addresses the certificate
//! names (this server's), failing hard: intact and trusted. After a revocation the same file
//! validates as revoked. The script is `tests/pyhanko/csc_sign.py`; the interpreter is
//! `certdesk_testkit::pyhanko::python()`.

use std::path::{Path, PathBuf};

use certdesk_domain::Status;
use certdesk_domain::otp::{TotpSecret, step_at};
use certdesk_domain::remote_signing::SigningClient;
use rand::Rng;
use serde_json::{Value, json};

use crate::helpers::*;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyhanko/csc_sign.py")
}

/// Runs the script off the test's runtime (the server under test runs on it) and reads its JSON.
async fn pyhanko(args: Vec<String>) -> Value {
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        certdesk_testkit::pyhanko::run_script(&script(), &args)
    })
    .await
    .unwrap();
    let stdout = output.unwrap_or_else(|failure| panic!("pyHanko failed:\n{failure}"));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn pyhanko_signs_a_pdf_through_csc_that_validates_until_the_certificate_is_revoked() {
    let serving = Serving {
        own_ca: true,
        ..Default::default()
    };
    let app = spawn_app_serving(serving, |_| {}, |_| {}).await;
    let secret = TotpSecret::from_bytes(rand::rng().random());
    let (_, id) = app
        .application_in_with(Status::Issued, &Channel::Totp(secret.clone()))
        .await;
    let ca = app.app.ca.clone().expect("the server's CA");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.der");
    std::fs::write(&root, &ca.authority.sealed().root_der).unwrap();
    let pdf = dir.path().join("signed.pdf");
    let path = |p: &Path| p.display().to_string();

    let code = secret.code_at(step_at(chrono::Utc::now()));
    let signed = pyhanko(vec![
        "sign".into(),
        "--service-url".into(),
        app.address.clone(),
        "--username".into(),
        format!("benef{id}"),
        "--password".into(),
        PASSWORD.into(),
        "--otp".into(),
        code,
        "--root".into(),
        path(&root),
        "--pdf".into(),
        path(&pdf),
    ])
    .await;
    assert_eq!(signed["credential_id"], id.to_string(), "{signed}");
    assert_eq!(signed["otp_type"], "offline", "{signed}");
    assert_eq!(signed["hash_pinning"], true, "SCAL 2: {signed}");
    assert_eq!(signed["chain"], 3, "{signed}");
    assert_eq!(
        signed["authorize_requests"][0]["numSignatures"], 1,
        "{signed}"
    );
    let validation = &signed["validation"];
    assert_eq!(validation["signatures"], 1, "{signed}");
    for check in ["intact", "valid", "trusted", "bottom_line"] {
        assert_eq!(validation[check], true, "{check}: {signed}");
    }
    assert_eq!(validation["revoked"], false, "{signed}");
    assert_eq!(validation["mechanism"], "sha256_ecdsa", "{signed}");
    assert!(
        validation["summary"]
            .as_str()
            .unwrap()
            .starts_with("INTACT:TRUSTED"),
        "{signed}"
    );

    // The signing log has pyHanko's signature, from the CSC client.
    let log = app.store.signatures_of(id, 10).await.unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].client, SigningClient::Csc);

    // Revoked over the API: the same file validates as revoked.
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
    let again = pyhanko(vec![
        "validate".into(),
        "--root".into(),
        path(&root),
        "--pdf".into(),
        path(&pdf),
    ])
    .await;
    let validation = &again["validation"];
    assert_eq!(validation["intact"], true, "{again}");
    assert_eq!(validation["revoked"], true, "{again}");
    assert_eq!(validation["trusted"], false, "{again}");
    assert_eq!(validation["bottom_line"], false, "{again}");
    assert!(
        validation["summary"]
            .as_str()
            .unwrap()
            .starts_with("INTACT:REVOKED"),
        "{again}"
    );
}
