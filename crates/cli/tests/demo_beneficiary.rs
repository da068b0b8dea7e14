//! `certdesk serve --demo` prints a beneficiary who has finished the journey (issue 11, item 7):
//! `beneficiary-username`, `beneficiary-password` and `beneficiary-totp-secret` after the
//! operator's lines. With them, and a code of that secret, the public sector's signing API of
//! the running server signs, and openssl verifies the signature.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certdesk_domain::otp::{TotpSecret, step_at};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_demo_beneficiary_signs_through_the_signing_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("certdesk.db").display());
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .args(["serve", "--demo", "--db", &db, "--listen", &listen])
        .env("CERTDESK_DEMO_PASSWORD", "demo-password-for-tests")
        .env_remove("CERTDESK_DB")
        .env_remove("CERTDESK_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("certdesk serve --demo starts");
    let stdout = child.stdout.take().unwrap();
    let _serving = Serving(child);

    // The printed lines, up to the beneficiary's last.
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("beneficiary-afm: ");
        lines.push(line);
        if done {
            break;
        }
    }
    let operator = lines
        .iter()
        .position(|l| l.starts_with("operator-password: "))
        .expect("the operator's lines");
    let value = |key: &str| {
        let line = &lines[operator + 1..]
            .iter()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key} in {lines:?}"));
        line[key.len()..].to_owned()
    };
    assert!(
        lines[operator + 1].starts_with("beneficiary-username: "),
        "{lines:?}"
    );
    assert!(
        lines[operator + 2].starts_with("beneficiary-password: "),
        "{lines:?}"
    );
    assert!(
        lines[operator + 3].starts_with("beneficiary-totp-secret: "),
        "{lines:?}"
    );
    let username = value("beneficiary-username: ");
    let password = value("beneficiary-password: ");
    assert_eq!(password, "demo-password-for-tests");
    let secret = TotpSecret::from_base32(&value("beneficiary-totp-secret: ")).expect("base32");

    let client = reqwest::Client::new();
    let base = format!("http://{listen}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let post = |operation: &str, body: Value| {
        let request = client
            .post(format!("{base}/Sign/Api/{operation}"))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let login = json!({"Username": username, "Password": password});
    let (status, otp) = post("RequestOTP", login.clone()).await;
    assert_eq!(
        (status, otp["Outcome"].as_str()),
        (200, Some("1")),
        "the authenticator app"
    );
    let (status, chain) = post("Certificates", login).await;
    assert_eq!(status, 200, "{chain}");
    let leaf = STANDARD
        .decode(chain["Certificates"][0].as_str().unwrap())
        .unwrap();

    let document = b"demo document";
    let code = secret.code_at(step_at(chrono::Utc::now()));
    let (status, signed) = post(
        "SignBuffer",
        json!({
            "Username": username,
            "Password": password,
            "SignPassword": code,
            "BufferToSign": STANDARD.encode(Sha256::digest(document)),
        }),
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    let signature = STANDARD
        .decode(signed["Signature"].as_str().unwrap())
        .unwrap();
    let verified = certdesk_testkit::pki::openssl_verify_signature(
        &certdesk_ca::certificate_pem(&leaf),
        document,
        &signature,
    );
    assert!(verified.is_ok(), "{verified:?}");
}
