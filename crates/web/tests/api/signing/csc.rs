//! The CSC API (`/csc/v1`, `/csc/v2`) as a signing client calls it: HTTP Basic login, the one
//! credential and its chain, a one-time code that authorizes exactly the hashes about to be
//! signed, and signatures that openssl verifies against the leaf. A SAD signs only its hashes,
//! each once (even when two requests race), and not after it expires; a code counts once and
//! wrong codes are throttled; a revocation stops signing at once, a SAD granted before it
//! included; errors have CSC's
//! shape and name the parameter. Every signature is in the signing log.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_domain::Status;
use certdesk_domain::otp::{TotpSecret, step_at};
use certdesk_domain::remote_signing::SigningClient;
use chrono::Duration;
use reqwest::header::{ACCEPT_LANGUAGE, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::account::MovingClock;
use crate::helpers::*;
use crate::portal::code_in;

pub(super) const V1: &str = "/csc/v1";
pub(super) const V2: &str = "/csc/v2";

/// A CSC client of one version, logged in or not.
pub(super) struct Client<'a> {
    pub(super) app: &'a TestApp,
    pub(super) base: &'static str,
    pub(super) token: Option<String>,
    pub(super) english: bool,
}

impl<'a> Client<'a> {
    pub(super) fn new(app: &'a TestApp, base: &'static str) -> Client<'a> {
        Client {
            app,
            base,
            token: None,
            english: false,
        }
    }

    pub(super) async fn call(&self, method: &str, body: &Value) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .post(self.app.url(&format!("{}/{method}", self.base)))
            .json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if self.english {
            request = request.header(ACCEPT_LANGUAGE, "en");
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `auth/login` with HTTP Basic.
    pub(super) async fn login(&mut self, username: &str, password: &str) -> (u16, Value) {
        let response = self
            .app
            .client
            .post(self.app.url(&format!("{}/auth/login", self.base)))
            .basic_auth(username, Some(password))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        if status == 200 {
            self.token = Some(body["access_token"].as_str().unwrap().to_owned());
        }
        (status, body)
    }

    pub(super) async fn logged_in(app: &'a TestApp, base: &'static str, id: i64) -> Client<'a> {
        let mut client = Client::new(app, base);
        let (status, body) = client.login(&format!("benef{id}"), PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        client
    }

    /// `credentials/authorize` in v1's words.
    pub(super) async fn authorize<S: AsRef<str>>(
        &self,
        id: i64,
        otp: &str,
        hashes: &[S],
    ) -> (u16, Value) {
        let hashes: Vec<&str> = hashes.iter().map(AsRef::as_ref).collect();
        self.call(
            "credentials/authorize",
            &json!({"credentialID": id.to_string(), "numSignatures": hashes.len(),
                    "hash": hashes, "OTP": otp}),
        )
        .await
    }

    pub(super) async fn sign_hash<S: AsRef<str>>(
        &self,
        id: i64,
        sad: &str,
        hashes: &[S],
    ) -> (u16, Value) {
        let hashes: Vec<&str> = hashes.iter().map(AsRef::as_ref).collect();
        self.call(
            "signatures/signHash",
            &json!({"credentialID": id.to_string(), "SAD": sad, "hash": hashes,
                    "hashAlgo": "2.16.840.1.101.3.4.2.1", "signAlgo": "1.2.840.10045.4.3.2"}),
        )
        .await
    }

    /// Sends a code by email and reads it.
    pub(super) async fn emailed_code(&self, id: i64) -> String {
        let (status, body) = self
            .call(
                "credentials/sendOTP",
                &json!({"credentialID": id.to_string()}),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        let email = self
            .app
            .store
            .outbox(id)
            .await
            .unwrap()
            .pop()
            .expect("an email");
        code_in(&email.body_text)
    }
}

pub(super) fn hash_of(document: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(document))
}

pub(super) fn description(body: &Value) -> &str {
    body["error_description"].as_str().unwrap_or_default()
}

/// A CSC error: the code, and the description naming `parameter`.
#[track_caller]
pub(super) fn assert_error(answer: &(u16, Value), status: u16, code: &str, parameter: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(description(body).contains(parameter), "{parameter}: {body}");
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(2),
        "only error and error_description: {body}"
    );
}

pub(super) async fn revoke(app: &TestApp, id: i64) {
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
}

#[tokio::test]
async fn an_email_holder_signs_two_documents_with_one_code_and_openssl_verifies_them() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;

    // info, by GET and by POST, without a token.
    let info = app
        .client
        .get(app.url("/csc/v1/info"))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["specs"], "1.0.4.0");
    assert_eq!(info["authType"], json!(["basic"]));
    let (status, posted) = Client::new(&app, V1).call("info", &json!({})).await;
    assert_eq!((status, &posted["specs"]), (200, &json!("1.0.4.0")));
    assert!(has_greek(posted["description"].as_str().unwrap()));

    let client = Client::logged_in(&app, V1, id).await;
    let (status, list) = client.call("credentials/list", &json!({})).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["credentialIDs"], json!([id.to_string()]));

    let (status, credential) = client
        .call(
            "credentials/info",
            &json!({"credentialID": id.to_string(), "certificates": "chain", "certInfo": true}),
        )
        .await;
    assert_eq!(status, 200, "{credential}");
    assert_eq!(credential["key"]["status"], "enabled");
    assert_eq!(credential["key"]["len"], 256);
    let algorithms = credential["key"]["algo"].as_array().unwrap();
    assert!(
        algorithms.contains(&json!("1.2.840.10045.4.3.2")),
        "{credential}"
    );
    assert!(
        algorithms.contains(&json!("1.2.840.10045.2.1")),
        "{credential}"
    );
    assert_eq!(credential["authMode"], "explicit");
    assert_eq!(credential["SCAL"], "2");
    assert_eq!(credential["multisign"], 100, "an integer");
    assert_eq!(credential["OTP"]["presence"], "true");
    assert_eq!(credential["OTP"]["type"], "online", "the email channel");
    assert_eq!(credential["OTP"]["format"], "N");
    assert!(has_greek(credential["OTP"]["label"].as_str().unwrap()));
    assert_eq!(credential["cert"]["status"], "valid");
    let stored = app
        .store
        .certificate(&certdesk_store::Scope::Everything, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credential["cert"]["serialNumber"], stored.serial);
    assert!(
        credential["cert"]["subjectDN"]
            .as_str()
            .unwrap()
            .contains("Πέτρος"),
        "{credential}"
    );
    assert!(
        credential["cert"]["issuerDN"]
            .as_str()
            .unwrap()
            .contains("certdesk"),
        "{credential}"
    );
    assert_eq!(
        credential["cert"]["validTo"],
        stored.not_after.format("%Y%m%d%H%M%SZ").to_string()
    );
    let chain: Vec<Vec<u8>> = credential["cert"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(chain.len(), 3, "signer, issuing CA, root");
    assert_eq!(chain[0], stored.der, "signer first");
    let pem = |der: &[u8]| certdesk_ca::certificate_pem(der);
    let verified =
        certdesk_testkit::pki::openssl_verify(&pem(&chain[2]), &[&pem(&chain[1])], &pem(&chain[0]));
    assert!(verified.is_ok(), "{verified:?}");
    // `single` (the default) is the signer's certificate alone.
    let (_, single) = client
        .call("credentials/info", &json!({"credentialID": id.to_string()}))
        .await;
    assert_eq!(single["cert"]["certificates"].as_array().unwrap().len(), 1);
    assert!(single["cert"].get("serialNumber").is_none());

    // One code authorizes two documents; each is signed in its own call.
    let documents: [&[u8]; 2] = ["Απόφαση 42/2026".as_bytes(), "Απόφαση 43/2026".as_bytes()];
    let hashes: Vec<String> = documents.iter().map(|d| hash_of(d)).collect();
    let code = client.emailed_code(id).await;
    let (status, granted) = client.authorize(id, &code, &hashes).await;
    assert_eq!(status, 200, "{granted}");
    assert_eq!(granted["expiresIn"], 300);
    let sad = granted["SAD"].as_str().unwrap().to_owned();
    for (document, hash) in documents.iter().zip(&hashes) {
        let (status, signed) = client.sign_hash(id, &sad, std::slice::from_ref(hash)).await;
        assert_eq!(status, 200, "{signed}");
        let signatures = signed["signatures"].as_array().unwrap();
        assert_eq!(signatures.len(), 1);
        let signature = STANDARD.decode(signatures[0].as_str().unwrap()).unwrap();
        assert_eq!(signature[0], 0x30, "a DER ECDSA-Sig-Value, not r||s");
        let checked =
            certdesk_testkit::pki::openssl_verify_signature(&pem(&chain[0]), document, &signature);
        assert!(checked.is_ok(), "{checked:?}");
    }

    // The signing log has both, for the CSC client at this address.
    let log = app.store.signatures_of(id, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    for entry in &log {
        assert_eq!(entry.client, SigningClient::Csc);
        assert_eq!(entry.address.as_deref(), Some("127.0.0.1"));
    }
    assert_eq!(log[0].digest, hex::encode(Sha256::digest(documents[1])));

    // Nothing twice: not the SAD on a hash it signed, not the code.
    let again = client.sign_hash(id, &sad, &hashes[..1]).await;
    assert_error(&again, 400, "invalid_request", "hash");
    let reused = client.authorize(id, &code, &hashes).await;
    assert_error(&reused, 400, "invalid_otp", "OTP");
    assert_eq!(app.store.signatures_of(id, 10).await.unwrap().len(), 2);

    // A revoked token is refused; auth/revoke answers 204.
    let (status, _) = client.call("auth/revoke", &json!({})).await;
    assert_eq!(status, 204);
    let after = client.call("credentials/list", &json!({})).await;
    assert_error(&after, 401, "invalid_token", "auth/login");
}

#[tokio::test]
async fn a_sad_signs_only_its_hashes_each_once_and_only_while_fresh() {
    let clock = MovingClock::default();
    let app = spawn_app_with(|app| app.clock = clock.clock()).await;
    // Issued a minute before the clock stood still (the certificates' validity starts then).
    let issued_at = clock.now() - Duration::minutes(1);
    let (_, id) = app.application_in_at(Status::Issued, issued_at).await;
    let client = Client::logged_in(&app, V1, id).await;
    let [h1, h2, h3] = ["α", "β", "γ"].map(|d| hash_of(d.as_bytes()));

    let code = client.emailed_code(id).await;
    let (status, granted) = client.authorize(id, &code, &[&h1, &h2]).await;
    assert_eq!(status, 200, "{granted}");
    let sad = granted["SAD"].as_str().unwrap().to_owned();

    // Another hash, or one of its own with another: refused, and nothing is spent.
    let other = client.sign_hash(id, &sad, &[&h3]).await;
    assert_error(&other, 400, "invalid_request", "hash");
    let mixed = client.sign_hash(id, &sad, &[&h1, &h3]).await;
    assert_error(&mixed, 400, "invalid_request", "hash");
    // The same hash twice in one call is two signatures of it.
    let twice = client.sign_hash(id, &sad, &[&h1, &h1]).await;
    assert_error(&twice, 400, "invalid_request", "hash");
    assert!(app.store.signatures_of(id, 10).await.unwrap().is_empty());

    // Two calls racing for the same hash: one signs.
    let only_h1 = [&h1];
    let (a, b) = tokio::join!(
        client.sign_hash(id, &sad, &only_h1),
        client.sign_hash(id, &sad, &only_h1)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "{a:?} {b:?}");
    // Both of its hashes signed, the SAD signs no more: numSignatures was 2.
    let (status, body) = client.sign_hash(id, &sad, &[&h2]).await;
    assert_eq!(status, 200, "{body}");
    let beyond = client.sign_hash(id, &sad, &[&h2]).await;
    assert_error(&beyond, 400, "invalid_request", "hash");
    assert_eq!(app.store.signatures_of(id, 10).await.unwrap().len(), 2);

    // A SAD expires after five minutes.
    let code = client.emailed_code(id).await;
    let (status, granted) = client.authorize(id, &code, &[&h3]).await;
    assert_eq!(status, 200, "{granted}");
    let late = granted["SAD"].as_str().unwrap().to_owned();
    clock.advance(Duration::minutes(5));
    let expired = client.sign_hash(id, &late, &[&h3]).await;
    assert_error(&expired, 400, "invalid_request", "SAD");
    // The worker's sweep tidies it away: then it is unknown.
    assert!(app.store.purge_expired_sessions(clock.now()).await.unwrap() >= 1);
    let tidied = client.sign_hash(id, &late, &[&h3]).await;
    assert_error(&tidied, 400, "invalid_request", "SAD");
    assert_ne!(tidied.1, expired.1, "expired, then unknown");

    // Another holder's SAD, or a made-up one, is unknown to this credential.
    let (_, other_id) = app.application_in_at(Status::Issued, issued_at).await;
    let other_client = Client::logged_in(&app, V1, other_id).await;
    let code = other_client.emailed_code(other_id).await;
    let (_, theirs) = other_client.authorize(other_id, &code, &[&h3]).await;
    let theirs = theirs["SAD"].as_str().unwrap().to_owned();
    for sad in [theirs.as_str(), "made-up"] {
        let unknown = client.sign_hash(id, sad, &[&h3]).await;
        assert_error(&unknown, 400, "invalid_request", "SAD");
    }
    // ... and this credential is not theirs to name.
    let wrong_credential = other_client.sign_hash(id, &theirs, &[&h3]).await;
    assert_error(&wrong_credential, 400, "invalid_request", "credentialID");
    assert_eq!(app.store.signatures_of(id, 10).await.unwrap().len(), 2);
    assert!(
        app.store
            .signatures_of(other_id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let client = Client::logged_in(&app, V1, id).await;
    let hash = hash_of(b"document");

    // Five wrong codes, then a pause even for a right one.
    let fresh = client.emailed_code(id).await;
    let wrong = if fresh == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let answer = client.authorize(id, wrong, &[&hash]).await;
        if answer.0 == 400 {
            assert_error(&answer, 400, "invalid_otp", "OTP");
        }
        statuses.push(answer.0);
    }
    let right = client.authorize(id, &fresh, &[&hash]).await;
    statuses.push(right.0);
    assert_eq!(statuses, [400, 400, 400, 400, 400, 429], "{right:?}");
    assert_eq!(right.1["error"], "too_many_attempts");
    assert!(app.store.signatures_of(id, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_revocation_stops_signing_at_once() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let client = Client::logged_in(&app, V1, id).await;
    let hash = hash_of(b"document");
    // A SAD granted before the revocation, not yet spent.
    let code = client.emailed_code(id).await;
    let (status, granted) = client.authorize(id, &code, &[&hash]).await;
    assert_eq!(status, 200, "{granted}");
    let sad = granted["SAD"].as_str().unwrap().to_owned();

    revoke(&app, id).await;
    let refused = client.sign_hash(id, &sad, &[&hash]).await;
    assert_error(&refused, 403, "access_denied", "ανακληθεί");
    let listed = client.call("credentials/list", &json!({})).await;
    assert_error(&listed, 403, "access_denied", "ανακληθεί");
    let mut again = Client::new(&app, V1);
    let login = again.login(&format!("benef{id}"), PASSWORD).await;
    assert_error(&login, 403, "access_denied", "ανακληθεί");
    assert!(app.store.signatures_of(id, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn errors_have_the_csc_shape_and_name_the_parameter() {
    let app = spawn_app().await;
    let (_, id) = app.application_in(Status::Issued).await;
    let username = format!("benef{id}");

    // No token, a made-up token: 401 with a Bearer challenge.
    let response = app
        .client
        .post(app.url("/csc/v1/credentials/list"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let mut anonymous = Client::new(&app, V1);
    anonymous.token = Some("made-up".to_owned());
    let made_up = anonymous.call("credentials/info", &json!({})).await;
    assert_error(&made_up, 401, "invalid_token", "auth/login");

    // A login without Basic credentials, with a wrong password, of nobody.
    let bare = app
        .client
        .post(app.url("/csc/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
    assert!(
        bare.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let body: Value = bare.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    for (who, password) in [(username.as_str(), "λάθος"), ("nobody.here", PASSWORD)] {
        let answer = Client::new(&app, V1).login(who, password).await;
        assert_error(&answer, 400, "invalid_grant", "υπογραφής");
    }

    let client = Client::logged_in(&app, V1, id).await;
    let credential = id.to_string();
    let hash = hash_of(b"x");
    let cases = [
        ("credentials/info", json!({}), "credentialID"),
        (
            "credentials/info",
            json!({"credentialID": "999999"}),
            "credentialID",
        ),
        (
            "credentials/info",
            json!({"credentialID": credential, "certificates": "all"}),
            "certificates",
        ),
        (
            "credentials/authorize",
            json!({"credentialID": credential, "hash": [hash], "OTP": "123456"}),
            "numSignatures",
        ),
        (
            "credentials/authorize",
            json!({"credentialID": credential, "numSignatures": 2, "hash": [hash], "OTP": "123456"}),
            "numSignatures",
        ),
        (
            "credentials/authorize",
            json!({"credentialID": credential, "numSignatures": "one", "hash": [hash], "OTP": "123456"}),
            "numSignatures",
        ),
        (
            "credentials/authorize",
            json!({"credentialID": credential, "numSignatures": 1, "hash": ["not base64!"], "OTP": "123456"}),
            "hash",
        ),
        (
            "credentials/authorize",
            json!({"credentialID": credential, "numSignatures": 1, "hash": [hash],
                   "hashAlgo": "1.3.14.3.2.26", "OTP": "123456"}),
            "hashAlgo",
        ),
        (
            "credentials/authorize",
            json!({"credentialID": credential, "numSignatures": 1, "hash": [hash]}),
            "OTP",
        ),
        (
            "signatures/signHash",
            json!({"credentialID": credential, "hash": [hash], "signAlgo": "1.2.840.10045.4.3.2"}),
            "SAD",
        ),
        (
            "signatures/signHash",
            json!({"credentialID": credential, "SAD": "x", "hash": [hash]}),
            "signAlgo",
        ),
        (
            "signatures/signHash",
            json!({"credentialID": credential, "SAD": "x", "hash": [hash],
                   "signAlgo": "1.2.840.113549.1.1.11"}),
            "signAlgo",
        ),
        (
            "signatures/signHash",
            json!({"credentialID": credential, "SAD": "x", "signAlgo": "1.2.840.10045.4.3.2"}),
            "hash",
        ),
    ];
    for (method, body, parameter) in &cases {
        let answer = client.call(method, body).await;
        assert_error(&answer, 400, "invalid_request", parameter);
        assert!(
            has_greek(description(&answer.1)),
            "{method}: {:?}",
            answer.1
        );
    }

    // In English when asked.
    let english = Client {
        english: true,
        ..Client::logged_in(&app, V1, id).await
    };
    let answer = english
        .call(
            "credentials/authorize",
            &json!({"credentialID": credential, "numSignatures": 1, "hash": ["AAAA"], "OTP": "123456"}),
        )
        .await;
    assert_error(&answer, 400, "invalid_request", "SHA-256");
    assert!(!has_greek(description(&answer.1)), "{:?}", answer.1);

    // Not JSON; not a method; not POST.
    let garbled = app
        .client
        .post(app.url("/csc/v1/credentials/list"))
        .bearer_auth(client.token.as_deref().unwrap())
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 400);
    let body: Value = garbled.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let unknown = client.call("signatures/timestamp", &json!({})).await;
    assert_eq!(
        (unknown.0, &unknown.1["error"]),
        (404, &json!("invalid_request"))
    );
    let get = app
        .client
        .get(app.url("/csc/v1/signatures/signHash"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    assert!(app.store.signatures_of(id, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn v2_names_are_served_under_csc_v2_for_an_authenticator_holder() {
    let app = spawn_app().await;
    let secret = TotpSecret::from_bytes(*b"csc-v2-totp-secret!!");
    let (_, id) = app
        .application_in_with(Status::Issued, &Channel::Totp(secret.clone()))
        .await;
    let (status, info) = Client::new(&app, V2).call("info", &json!({})).await;
    assert_eq!((status, &info["specs"]), (200, &json!("2.0.0.2")));

    let client = Client::logged_in(&app, V2, id).await;
    let credential = id.to_string();
    let (status, described) = client
        .call(
            "credentials/info",
            &json!({"credentialID": credential, "certificates": "chain"}),
        )
        .await;
    assert_eq!(status, 200, "{described}");
    assert_eq!(described["OTP"]["type"], "offline", "the authenticator app");
    assert_eq!(described["auth"]["mode"], "explicit");
    assert_eq!(described["auth"]["objects"][0]["id"], "OTP");
    // An offline code is not sent.
    let not_sent = client
        .call("credentials/sendOTP", &json!({"credentialID": credential}))
        .await;
    assert_error(&not_sent, 400, "invalid_request", "offline");

    // Errors name v2's parameters.
    let bad = client
        .call(
            "credentials/authorize",
            &json!({"credentialID": credential, "numSignatures": 1, "hashes": ["AAAA"],
                    "authData": [{"id": "OTP", "value": "123456"}]}),
        )
        .await;
    assert_error(&bad, 400, "invalid_request", "hashes");

    let document = b"v2 document";
    let hash = hash_of(document);
    let code = secret.code_at(step_at(chrono::Utc::now()));
    let (status, granted) = client
        .call(
            "credentials/authorize",
            &json!({"credentialID": credential, "numSignatures": 1, "hashes": [hash],
                    "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
                    "authData": [{"id": "OTP", "value": code}]}),
        )
        .await;
    assert_eq!(status, 200, "{granted}");
    // The same TOTP code again: once only.
    let replayed = client
        .call(
            "credentials/authorize",
            &json!({"credentialID": credential, "numSignatures": 1, "hashes": [hash],
                    "authData": [{"id": "OTP", "value": code}]}),
        )
        .await;
    assert_error(&replayed, 400, "invalid_otp", "authData");
    let (status, signed) = client
        .call(
            "signatures/signHash",
            &json!({"credentialID": credential, "SAD": granted["SAD"], "hashes": [hash],
                    "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
                    "signAlgo": "1.2.840.10045.2.1", "operationMode": "S"}),
        )
        .await;
    assert_eq!(status, 200, "{signed}");
    let leaf = STANDARD
        .decode(described["cert"]["certificates"][0].as_str().unwrap())
        .unwrap();
    let signature = STANDARD
        .decode(signed["signatures"][0].as_str().unwrap())
        .unwrap();
    let checked = certdesk_testkit::pki::openssl_verify_signature(
        &certdesk_ca::certificate_pem(&leaf),
        document,
        &signature,
    );
    assert!(checked.is_ok(), "{checked:?}");
    let log = app.store.signatures_of(id, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].client, SigningClient::Csc);
}

#[tokio::test]
async fn each_version_documents_exactly_what_it_serves() {
    let app = spawn_app().await;
    for (base, version) in [
        (V1, certdesk_web::csc::Version::V1),
        (V2, certdesk_web::csc::Version::V2),
    ] {
        let response = app
            .client
            .get(app.url(&format!("{base}/openapi.json")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let document: Value = response.json().await.unwrap();
        assert_eq!(
            document,
            serde_json::to_value(certdesk_web::csc::openapi(version)).unwrap()
        );
        let mut operations: Vec<String> = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                operations.push(format!("{method} {path}"));
            }
        }
        let mut ids: Vec<&str> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|operation| operation["operationId"].as_str().unwrap())
            .collect();
        ids.sort();
        let count = ids.len();
        ids.dedup();
        assert_eq!(
            ids.len(),
            count,
            "{base}: operation ids are unique: {ids:?}"
        );
        operations.sort();
        let mut expected: Vec<String> = [
            "get /info",
            "post /info",
            "post /auth/login",
            "post /auth/revoke",
            "post /credentials/list",
            "post /credentials/info",
            "post /credentials/sendOTP",
            "post /credentials/authorize",
            "post /signatures/signHash",
        ]
        .iter()
        .map(|o| o.replacen(' ', &format!(" {base}"), 1))
        .collect();
        if version == certdesk_web::csc::Version::V2 {
            expected.push(format!("post {base}/signatures/signDoc"));
        }
        expected.sort();
        assert_eq!(
            operations, expected,
            "{base}: signDoc under v2 only, nothing undocumented"
        );
        let sign_hash = &document["paths"][format!("{base}/signatures/signHash")]["post"];
        let properties = &sign_hash["requestBody"]["content"]["application/json"]["schema"];
        assert!(
            properties.to_string().contains("SignHashRequest"),
            "{properties}"
        );
        let schemas = &document["components"]["schemas"];
        for name in [
            "ServiceInfo",
            "CredentialInfo",
            "AuthorizeRequest",
            "ErrorAnswer",
        ] {
            assert!(schemas.get(name).is_some(), "{base}: {name}");
        }
        if version == certdesk_web::csc::Version::V2 {
            let sign_doc = &schemas["SignDocRequest"]["properties"];
            for field in ["credentialID", "SAD", "documents", "operationMode"] {
                assert!(
                    sign_doc.get(field).is_some(),
                    "signDoc's {field} documented"
                );
            }
            let document = &schemas["DocumentToSign"]["properties"];
            for field in [
                "document",
                "signature_format",
                "conformance_level",
                "signAlgo",
                "signed_envelope_property",
            ] {
                assert!(
                    document.get(field).is_some(),
                    "signDoc's {field} documented"
                );
            }
            let answer = &schemas["SignDocAnswer"]["properties"];
            assert!(answer.get("DocumentWithSignature").is_some(), "{answer}");
            assert!(answer.get("SignatureObject").is_some(), "{answer}");
        } else {
            assert!(
                schemas.get("SignDocRequest").is_none(),
                "{base}: no signDoc"
            );
        }
        let schema = &schemas["SignHashRequest"]["properties"];
        for field in [
            "hash",
            "hashes",
            "hashAlgo",
            "hashAlgorithmOID",
            "SAD",
            "signAlgo",
        ] {
            assert!(schema.get(field).is_some(), "{base}: {field} documented");
        }
    }
}
