//! A CA whose keys are in a PKCS#11 token: SoftHSM 2 stands in for the HSM. SoftHSM reads its
//! configuration (where the tokens are) from SOFTHSM2_CONF once, when the module is initialised,
//! and a test cannot set a variable of its own process (`std::env::set_var` is unsafe, and the
//! workspace forbids unsafe code): [`a_ca_in_a_softhsm_token`] makes a token in a temporary
//! directory and runs [`in_the_token`] in a child process of this test binary with SOFTHSM2_CONF
//! set. `CERTDESK_SOFTHSM_MODULE` names the module (Debian's by default); without softhsm2 the
//! test fails unless `CERTDESK_SKIP_PKI_TOOLS=1`.

use std::path::PathBuf;
use std::process::Command;

use certdesk_ca::authority::{self, beneficiary_key_context};
use certdesk_ca::crl::{DEFAULT_CRL_VALIDITY, RevokedCertificate};
use certdesk_ca::ocsp::{CertificateStatus, DEFAULT_OCSP_VALIDITY};
use certdesk_ca::pkcs11::{self, Token};
use certdesk_ca::{
    Authority, CaError, CaKey, CaSettings, CertificateRequest, KeyEncryptionKey, TokenConfig,
    TokenError, certificate_pem,
};
use certdesk_testkit::pki;
use chrono::{Duration, Utc};
use zeroize::Zeroizing;

const TOKEN_LABEL: &str = "certdesk-test";
const PIN: &str = "1234";
const SO_PIN: &str = "5678";
/// Set in the child process: where the token's directory is.
const CHILD_VAR: &str = "CERTDESK_PKCS11_TEST_TOKEN_DIR";

fn module() -> PathBuf {
    std::env::var_os("CERTDESK_SOFTHSM_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
}

fn config(pin: &str) -> TokenConfig {
    TokenConfig {
        module: module(),
        token_label: TOKEN_LABEL.to_owned(),
        pin: Zeroizing::new(pin.to_owned()),
    }
}

fn openssl(args: &[&str]) -> String {
    let output = Command::new("openssl").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "openssl {args:?}: {text}");
    text
}

fn request() -> CertificateRequest {
    CertificateRequest {
        application_id: 7,
        given_name: "Ελένη".into(),
        surname: "Παπαδοπούλου".into(),
        afm: "010509832".into(),
        organisation: "Υπουργείο Ψηφιακής Διακυβέρνησης".into(),
        unit: String::new(),
        email: Some("e.papadopoulou@mindigital.gr".into()),
        validity: Duration::days(365),
    }
}

#[test]
fn a_ca_in_a_softhsm_token() {
    let module = module();
    let util = Command::new("softhsm2-util").arg("--version").output();
    if !module.exists() || util.is_err() {
        if pki::skip_requested() {
            eprintln!("softhsm2 is missing: skipped ({}=1)", pki::SKIP_VAR);
            return;
        }
        panic!(
            "softhsm2 is missing (module {}: {}, softhsm2-util: {}): install Debian's softhsm2, \
             set CERTDESK_SOFTHSM_MODULE, or set {}=1 to skip",
            module.display(),
            if module.exists() {
                "found"
            } else {
                "not found"
            },
            if util.is_ok() { "found" } else { "not found" },
            pki::SKIP_VAR
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let init = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args([
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--pin",
            PIN,
            "--so-pin",
            SO_PIN,
        ])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "softhsm2-util --init-token: {}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );

    let child = Command::new(std::env::current_exe().unwrap())
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD_VAR, &tokens)
        .args(["in_the_token", "--exact", "--ignored", "--nocapture"])
        .output()
        .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(child.status.success(), "the test in the token:\n{output}");
    assert!(
        output.contains("1 passed"),
        "the test did not run:\n{output}"
    );
}

#[test]
#[ignore = "run by a_ca_in_a_softhsm_token, in a child process with SOFTHSM2_CONF set"]
fn in_the_token() {
    assert!(
        std::env::var_os(CHILD_VAR).is_some(),
        "run by a_ca_in_a_softhsm_token only"
    );
    let (kek, _) = KeyEncryptionKey::generate();
    let now = Utc::now();
    let settings = CaSettings::new("http://certdesk.example.gr");

    // A wrong PIN is a clear error (tried before any session is logged in: PKCS#11 logs in per
    // token, so a second session of a logged-in process would not check the PIN again).
    let error = authority::create_in_token(&settings, &config("0000"), &kek, now).unwrap_err();
    assert!(
        matches!(error, CaError::Token(TokenError::WrongPin { .. })),
        "{error:?}"
    );
    assert!(error.to_string().contains("wrong user PIN"), "{error}");
    let mut unknown = config(PIN);
    unknown.token_label = "no-such-token".to_owned();
    let error = authority::create_in_token(&settings, &unknown, &kek, now).unwrap_err();
    assert!(error.to_string().contains("no-such-token"), "{error}");

    let sealed = authority::create_in_token(&settings, &config(PIN), &kek, now).unwrap();
    assert_eq!(
        sealed.sealed_root_key,
        b"pkcs11:token=certdesk-test;object=certdesk-root"
    );
    assert_eq!(
        sealed.sealed_issuing_key,
        b"pkcs11:token=certdesk-test;object=certdesk-issuing"
    );
    assert_eq!(sealed.kek_fingerprint, kek.fingerprint());
    assert_eq!(
        sealed.token_key().map(|key| key.object),
        Some(pkcs11::ISSUING_KEY_LABEL.to_owned())
    );
    assert!(
        sealed.key_location().contains("\"certdesk-test\""),
        "{}",
        sealed.key_location()
    );

    // The labels are the CA's: a second CA in the same token is refused.
    let error = authority::create_in_token(&settings, &config(PIN), &kek, now).unwrap_err();
    assert!(
        matches!(error, CaError::Token(TokenError::KeyExists { .. })),
        "{error:?}"
    );

    // Without the token, the CA does not open, and says what it needs.
    let error = Authority::open(sealed.clone(), &kek).unwrap_err();
    assert!(error.to_string().contains("CERTDESK_PKCS11_PIN"), "{error}");
    // The KEK is still checked.
    let (other_kek, _) = KeyEncryptionKey::generate();
    let error =
        Authority::open_with_token(sealed.clone(), &other_kek, Some(&config(PIN))).unwrap_err();
    assert!(matches!(error, CaError::WrongKek { .. }), "{error:?}");

    let ca = Authority::open_with_token(sealed.clone(), &kek, Some(&config(PIN))).unwrap();
    let issued = ca.issue(&request(), &kek, now).unwrap();
    let root_pem = certificate_pem(&sealed.root_der);
    let issuing_pem = certificate_pem(&sealed.issuing_der);
    pki::openssl_verify(&root_pem, &[&issuing_pem], &certificate_pem(&issued.der)).unwrap();
    // The beneficiary's key is sealed by the KEK as for a sealed CA.
    kek.open(&issued.sealed_key, &beneficiary_key_context(7))
        .unwrap();

    // The keys cannot leave the token.
    let CaKey::Token(issuing_key) = ca.issuer().key() else {
        panic!("the issuing key is not in the token");
    };
    let root_key = Token::open(&config(PIN))
        .unwrap()
        .find_key(pkcs11::ROOT_KEY_LABEL)
        .unwrap();
    for key in [issuing_key, &root_key] {
        let protection = key.protection().unwrap();
        assert!(protection.sensitive, "{}: {protection:?}", key.key_label());
        assert!(
            !protection.extractable,
            "{}: {protection:?}",
            key.key_label()
        );
        assert!(
            protection.never_extractable,
            "{}: {protection:?}",
            key.key_label()
        );
        assert!(
            !protection.value_readable,
            "{}: {protection:?}",
            key.key_label()
        );
    }

    // A CRL signed by the token verifies with the issuing CA's certificate.
    let revoked = [RevokedCertificate {
        serial: issued.serial.clone(),
        revoked_at: now,
        reason: Some(1),
    }];
    let crl = ca.sign_crl(&revoked, now, DEFAULT_CRL_VALIDITY).unwrap();
    let text = pki::openssl_crl_text(&crl, &issuing_pem).unwrap();
    assert!(
        pki::skip_requested() || text.contains(&issued.serial),
        "{text}"
    );

    // An OCSP response signed by the token verifies (openssl makes the request and checks it).
    if !pki::skip_requested() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        std::fs::write(path("root.pem"), &root_pem).unwrap();
        std::fs::write(path("issuing.pem"), &issuing_pem).unwrap();
        std::fs::write(path("leaf.pem"), certificate_pem(&issued.der)).unwrap();
        openssl(&[
            "ocsp",
            "-issuer",
            &path("issuing.pem"),
            "-cert",
            &path("leaf.pem"),
            "-no_nonce",
            "-reqout",
            &path("request.der"),
        ]);
        let responder = ca.ocsp_responder().unwrap();
        let request = responder
            .parse_request(&std::fs::read(path("request.der")).unwrap())
            .unwrap();
        let response = responder
            .respond(
                &request,
                &[CertificateStatus::Good],
                now,
                DEFAULT_OCSP_VALIDITY,
            )
            .unwrap();
        std::fs::write(path("response.der"), response).unwrap();
        let text = openssl(&[
            "ocsp",
            "-no_nonce",
            "-respin",
            &path("response.der"),
            "-issuer",
            &path("issuing.pem"),
            "-cert",
            &path("leaf.pem"),
            "-no-CApath",
            "-no-CAstore",
            "-CAfile",
            &path("root.pem"),
        ]);
        assert!(text.contains("Response verify OK"), "{text}");
        assert!(text.contains(": good"), "{text}");
    }

    // The session is shared by threads.
    std::thread::scope(|scope| {
        for id in 0..4 {
            let ca = &ca;
            let kek = &kek;
            scope.spawn(move || {
                let mut request = request();
                request.application_id = id;
                ca.issue(&request, kek, now).unwrap();
            });
        }
    });
}
