//! The PKI over HTTP (issue 5, SPEC §6): the CRL and the OCSP responder of the issuing CA and
//! the CA certificates, checked by openssl (signatures, statuses, the nonce) and pkilint (RFC 5280
//! CRL, RFC 6960 response). The test CA writes `http://pki.certdesk.gr` in its certificates: the
//! tests ask this test server (`app.address`) instead.

use std::path::Path;
use std::process::{Command, Stdio};

use certdesk_app::worker::run_one_job;
use certdesk_domain::Status;
use certdesk_store::Scope;
use certdesk_testkit::pki::{
    openssl_crl_text, openssl_ocsp_status, pkilint_crl, pkilint_ocsp_response, skip_requested,
};
use serde_json::json;

use crate::helpers::*;

/// An application issued by the real job, with the test CA: its id and its certificate (PEM).
async fn issued(app: &TestApp) -> (i64, String) {
    let (_, id) = app.application_in(Status::AwaitingIssuance).await;
    assert!(
        run_one_job(
            app.store.as_ref(),
            &app.issuing_worker(),
            chrono::Utc::now()
        )
        .await
        .unwrap()
    );
    let certificate = app
        .store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    (id, certdesk_ca::certificate_pem(&certificate.der))
}

async fn serial_of(app: &TestApp, id: i64) -> String {
    app.store
        .certificate(&Scope::Everything, id)
        .await
        .unwrap()
        .unwrap()
        .serial
}

fn issuing_pem() -> String {
    certdesk_ca::certificate_pem(&test_ca_record().issuing_der)
}

/// The CA file of a relying party: the root and the issuing CA.
fn chain_pem() -> String {
    let record = test_ca_record();
    certdesk_ca::certificate_pem(&record.root_der)
        + &certdesk_ca::certificate_pem(&record.issuing_der)
}

async fn revoke(app: &TestApp, token: &str, id: i64, category: &str) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/revoke")))
        .bearer_auth(token)
        .json(&json!({ "category": category }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn get_der(app: &TestApp, path: &str, content_type: &str) -> Vec<u8> {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], content_type, "{path}");
    response.bytes().await.unwrap().to_vec()
}

async fn post_ocsp(app: &TestApp, request: &[u8]) -> Vec<u8> {
    let response = app
        .client
        .post(app.url("/pki/ocsp"))
        .header("content-type", "application/ocsp-request")
        .body(request.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/ocsp-response"
    );
    response.bytes().await.unwrap().to_vec()
}

/// RFC 6960 appendix A.1: base64, percent-encoded (`+`, `/` and `=` all escaped).
async fn get_ocsp(app: &TestApp, request: &[u8]) -> Vec<u8> {
    let encoded: String = base64(request)
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_owned(),
            '/' => "%2F".to_owned(),
            '=' => "%3D".to_owned(),
            c => c.to_string(),
        })
        .collect();
    get_der(
        app,
        &format!("/pki/ocsp/{encoded}"),
        "application/ocsp-response",
    )
    .await
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `openssl ARGS` in `dir`; panics unless it succeeds. Returns standard output and error.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs (scripts/test installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "openssl {args:?}:\n{text}");
    text
}

/// What an OCSP request asks about: a certificate (PEM) or a bare serial number (hex).
enum Target<'a> {
    Certificate(&'a str),
    Serial(&'a str),
}

/// Asks, and reads answers, with `openssl ocsp` about one target of the issuing CA.
struct OcspClient {
    dir: tempfile::TempDir,
    target: Vec<String>,
}

impl OcspClient {
    fn new(target: Target) -> OcspClient {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("issuer.pem"), issuing_pem()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), chain_pem()).unwrap();
        let target = match target {
            Target::Certificate(pem) => {
                std::fs::write(dir.path().join("cert.pem"), pem).unwrap();
                vec!["-cert".to_owned(), "cert.pem".to_owned()]
            }
            Target::Serial(hex) => vec!["-serial".to_owned(), format!("0x{hex}")],
        };
        OcspClient { dir, target }
    }

    fn run(&self, args: &[&str]) -> String {
        let mut all = vec!["ocsp", "-issuer", "issuer.pem"];
        all.extend(self.target.iter().map(String::as_str));
        all.extend_from_slice(args);
        openssl(self.dir.path(), &all)
    }

    /// A request with a nonce (openssl adds one), in DER, and its nonce as openssl prints it.
    fn request(&self) -> (Vec<u8>, String) {
        self.run(&["-reqout", "request.der"]);
        let text = openssl(
            self.dir.path(),
            &["ocsp", "-reqin", "request.der", "-req_text", "-noverify"],
        );
        let nonce = nonce_line(&text).expect("openssl sends a nonce");
        let der = std::fs::read(self.dir.path().join("request.der")).unwrap();
        (der, nonce)
    }

    /// Reads `response`: verifies its signature with the root and issuing CA as the CA file
    /// (`Response verify OK`) and returns the text with the target's status line.
    fn read(&self, response: &[u8]) -> String {
        std::fs::write(self.dir.path().join("response.der"), response).unwrap();
        let text = self.run(&[
            "-respin",
            "response.der",
            "-resp_text",
            // The nonce of the request this is not: the caller compares the echo.
            "-no_nonce",
            "-no-CApath",
            "-no-CAstore",
            "-CAfile",
            "ca.pem",
        ]);
        assert!(
            text.lines().any(|l| l.trim() == "Response verify OK"),
            "{text}"
        );
        text
    }
}

/// The hex of the `OCSP Nonce:` extension in openssl's text (the line after it).
fn nonce_line(text: &str) -> Option<String> {
    let mut lines = text.lines();
    lines.find(|l| l.trim() == "OCSP Nonce:")?;
    Some(lines.next()?.trim().to_owned())
}

/// `openssl ocsp -url`, off the runtime's thread (the server answers on it).
async fn ask(certificate: &str, url: &str) -> String {
    let (certificate, url) = (certificate.to_owned(), url.to_owned());
    tokio::task::spawn_blocking(move || {
        openssl_ocsp_status(&issuing_pem(), &certificate, &url, &chain_pem())
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn openssl_gets_good_then_revoked_with_the_reason_verified_and_the_nonce_echoed() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (id, certificate) = issued(&app).await;
    let url = app.url("/pki/ocsp");

    let good = ask(&certificate, &url).await;
    if good != certdesk_testkit::pki::SKIPPED {
        assert!(good.contains("cert.pem: good"), "{good}");
        // openssl sends a nonce and checks the echo: a missing or different one is a warning.
        assert!(good.contains("OCSP Nonce:"), "{good}");
        assert!(!good.contains("WARNING"), "{good}");
        assert!(good.contains("Responder Id: "), "{good}");
        assert!(good.contains("ecdsa-with-SHA256"), "{good}");
    }

    revoke(&app, &token, id, "authority_decision").await;
    let revoked = ask(&certificate, &url).await;
    if revoked != certdesk_testkit::pki::SKIPPED {
        assert!(revoked.contains("cert.pem: revoked"), "{revoked}");
        // openssl 3.0 names the reasons up to removeFromCRL (8) only: 9 is privilegeWithdrawn.
        assert!(
            revoked.contains("Revocation Reason: (UNKNOWN) (0x9)"),
            "{revoked}"
        );
        assert!(revoked.contains("Revocation Time: "), "{revoked}");
        assert!(!revoked.contains("WARNING"), "{revoked}");
    }
}

#[tokio::test]
async fn ocsp_over_get_and_post_good_revoked_and_unknown_responses_pass_pkilint() {
    if skip_requested() {
        return;
    }
    let app = spawn_app().await;
    let token = app.token().await;
    let (id, certificate) = issued(&app).await;
    let client = OcspClient::new(Target::Certificate(&certificate));

    // GET (RFC 6960 appendix A.1), good, the nonce echoed.
    let (request, nonce) = client.request();
    let good = get_ocsp(&app, &request).await;
    let text = client.read(&good);
    assert!(text.contains("cert.pem: good"), "{text}");
    assert_eq!(nonce_line(&text), Some(nonce), "{text}");
    let lint = pkilint_ocsp_response(&good);
    assert!(lint.is_ok(), "{}", lint.unwrap_err());

    // POST, revoked by the employee's request: cessationOfOperation.
    revoke(&app, &token, id, "employee_request").await;
    let (request, _) = client.request();
    let revoked = post_ocsp(&app, &request).await;
    let text = client.read(&revoked);
    assert!(text.contains("cert.pem: revoked"), "{text}");
    assert!(text.contains("Reason: cessationOfOperation"), "{text}");
    let lint = pkilint_ocsp_response(&revoked);
    assert!(lint.is_ok(), "{}", lint.unwrap_err());

    // A serial the CA never issued (here), over GET and POST: unknown.
    let serial = serial_of(&app, id).await;
    let other = if serial.starts_with("7F") {
        "1".to_owned() + &serial[1..]
    } else {
        "7F".to_owned() + &serial[2..]
    };
    let client = OcspClient::new(Target::Serial(&other));
    let (request, _) = client.request();
    let unescaped = format!("/pki/ocsp/{}", base64(&request));
    for unknown in [
        get_ocsp(&app, &request).await,
        get_der(&app, &unescaped, "application/ocsp-response").await,
        post_ocsp(&app, &request).await,
    ] {
        let text = client.read(&unknown);
        assert!(text.contains(&format!("0x{other}: unknown")), "{text}");
    }
}

#[tokio::test]
async fn a_request_the_responder_cannot_read_is_answered_malformed_request() {
    let app = spawn_app().await;
    let malformed = [0x30, 0x03, 0x0a, 0x01, 0x01];
    assert_eq!(post_ocsp(&app, b"not an OCSP request").await, malformed);
    assert_eq!(post_ocsp(&app, b"").await, malformed);
    for path in [
        "/pki/ocsp/%%%",
        // Unescaped base64 has slashes, even two in a row: still the responder's.
        "/pki/ocsp/MAA//w+a/b==",
        "/pki/ocsp/bm90IGFuIE9DU1AgcmVxdWVzdA==",
        "/pki/ocsp/",
    ] {
        assert_eq!(
            get_der(&app, path, "application/ocsp-response").await,
            malformed,
            "{path}"
        );
    }
}

/// The CRL number in `openssl crl -text` (the line after its name), 0 when there is none.
fn crl_number(text: &str) -> u128 {
    let mut lines = text.lines();
    match lines.find(|l| l.trim() == "X509v3 CRL Number:") {
        Some(_) => lines.next().unwrap().trim().parse().unwrap(),
        None => 0,
    }
}

#[tokio::test]
async fn the_crl_lists_the_revoked_certificates_with_their_reasons_signed_by_the_issuing_ca() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (withdrawn, _) = issued(&app).await;
    let (ceased, _) = issued(&app).await;
    let (valid, _) = issued(&app).await;
    // Cancelled before its issuance job ran: no certificate, ever.
    let (_, cancelled) = app.application_in(Status::AwaitingIssuance).await;
    assert_eq!(app.cancel(&token, cancelled, None).await.status(), 200);
    assert!(
        !run_one_job(
            app.store.as_ref(),
            &app.issuing_worker(),
            chrono::Utc::now()
        )
        .await
        .unwrap()
    );
    assert!(
        app.store
            .certificate(&Scope::Everything, cancelled)
            .await
            .unwrap()
            .is_none()
    );

    let empty = get_der(&app, "/pki/crl", "application/pkix-crl").await;
    let text = openssl_crl_text(&empty, &issuing_pem()).unwrap_or_else(|e| panic!("{e}"));
    let empty_number = crl_number(&text);
    if text != certdesk_testkit::pki::SKIPPED {
        assert!(text.contains("No Revoked Certificates."), "{text}");
    }

    revoke(&app, &token, withdrawn, "authority_decision").await;
    revoke(&app, &token, ceased, "employee_request").await;
    let crl = get_der(&app, "/pki/crl", "application/pkix-crl").await;
    let lint = pkilint_crl(&crl);
    assert!(lint.is_ok(), "{}", lint.unwrap_err());
    let text = openssl_crl_text(&crl, &issuing_pem()).unwrap_or_else(|e| panic!("{e}"));
    if text == certdesk_testkit::pki::SKIPPED {
        return;
    }
    // Each entry: its serial, then its reason.
    let entry = |serial: &str| -> String {
        let start = text
            .find(&format!("Serial Number: {serial}"))
            .unwrap_or_else(|| panic!("{serial} is not listed:\n{text}"));
        let rest = &text[start + 1..];
        let end = rest.find("Serial Number: ").unwrap_or(rest.len());
        rest[..end].to_owned()
    };
    assert!(
        entry(&serial_of(&app, withdrawn).await).contains("Privilege Withdrawn"),
        "{text}"
    );
    assert!(
        entry(&serial_of(&app, ceased).await).contains("Cessation Of Operation"),
        "{text}"
    );
    assert!(!text.contains(&serial_of(&app, valid).await), "{text}");
    assert_eq!(text.matches("Serial Number: ").count(), 2, "{text}");
    assert!(text.contains("Authority Key Identifier"), "{text}");
    assert!(crl_number(&text) > empty_number, "{text}");
    assert!(text.contains("Next Update: "), "{text}");
}

#[tokio::test]
async fn the_ca_certificates_are_served_and_without_a_ca_every_pki_address_is_404() {
    let app = spawn_app().await;
    let record = test_ca_record();
    assert_eq!(
        get_der(&app, "/pki/issuing-ca.crt", "application/pkix-cert").await,
        record.issuing_der
    );
    assert_eq!(
        get_der(&app, "/pki/root-ca.crt", "application/pkix-cert").await,
        record.root_der
    );

    let bare = spawn_app_with(|app| app.ca = None).await;
    for path in [
        "/pki/crl",
        "/pki/ocsp/MAA%3D",
        "/pki/issuing-ca.crt",
        "/pki/root-ca.crt",
    ] {
        let response = bare.client.get(bare.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let response = bare
        .client
        .post(bare.url("/pki/ocsp"))
        .body(vec![0x30, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_root_crl_about_the_issuing_ca_is_served_where_the_issuing_ca_points_and_passes_pkilint()
 {
    let app = spawn_app().await;
    let record = test_ca_record();
    let crl = get_der(&app, "/pki/root-ca.crl", "application/pkix-crl").await;
    assert_eq!(Some(&crl), record.root_crl.as_ref());
    let lint = pkilint_crl(&crl);
    assert!(lint.is_ok(), "{}", lint.unwrap_err());
    let root = certdesk_ca::certificate_pem(&record.root_der);
    let text = openssl_crl_text(&crl, &root).unwrap_or_else(|e| panic!("{e}"));
    if text != certdesk_testkit::pki::SKIPPED {
        assert!(text.contains("No Revoked Certificates."), "{text}");
    }

    let bare = spawn_app_with(|app| app.ca = None).await;
    let response = bare
        .client
        .get(bare.url("/pki/root-ca.crl"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_pki_disclosure_statement_is_served_where_the_certificates_point() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/pki/pds-en")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("PKI disclosure statement"));
    assert!(text.contains("http://pki.certdesk.gr/pki/crl"), "{text}");
}
