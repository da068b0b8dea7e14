//! Certificates made by the CA, checked by independent tools: `openssl verify` for the chain and
//! the extensions openssl prints.

use std::process::Command;

use certdesk_ca::authority::{self, beneficiary_key_context};
use certdesk_ca::{Authority, CaSettings, CertificateRequest, KeyEncryptionKey, certificate_pem};
use chrono::{Duration, Utc};

fn request() -> CertificateRequest {
    CertificateRequest {
        application_id: 42,
        given_name: "Ελένη".into(),
        surname: "Παπαδοπούλου".into(),
        afm: "010509832".into(),
        organisation: "Υπουργείο Ψηφιακής Διακυβέρνησης".into(),
        unit: "Διεύθυνση Πληροφορικής".into(),
        email: Some("e.papadopoulou@mindigital.gr".into()),
        validity: Duration::days(3 * 365),
    }
}

fn openssl(args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "openssl {args:?}: {text}");
    text
}

#[test]
fn an_issued_certificate_verifies_against_the_chain_and_carries_the_profile() {
    let (kek, _) = KeyEncryptionKey::generate();
    let now = Utc::now();
    let sealed =
        authority::create(&CaSettings::new("https://certdesk.example.gr/"), &kek, now).unwrap();
    let ca = Authority::open(sealed.clone(), &kek).unwrap();
    let issued = ca.issue(&request(), &kek, now).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(path("root.pem"), certificate_pem(&sealed.root_der)).unwrap();
    std::fs::write(path("issuing.pem"), certificate_pem(&sealed.issuing_der)).unwrap();
    std::fs::write(path("leaf.pem"), certificate_pem(&issued.der)).unwrap();
    let verified = openssl(&[
        "verify",
        "-x509_strict",
        "-CAfile",
        &path("root.pem"),
        "-untrusted",
        &path("issuing.pem"),
        &path("leaf.pem"),
    ]);
    assert!(verified.contains(": OK"), "{verified}");

    let text = openssl(&[
        "x509",
        "-in",
        &path("leaf.pem"),
        "-noout",
        "-text",
        "-nameopt",
        "utf8,sep_comma_plus_space",
    ]);
    for expected in [
        "C=GR",
        "GN=Ελένη",
        "SN=Παπαδοπούλου",
        "CN=Ελένη Παπαδοπούλου",
        "serialNumber=TINGR-010509832",
        "O=Υπουργείο Ψηφιακής Διακυβέρνησης",
        "OU=Διεύθυνση Πληροφορικής",
        "Digital Signature, Non Repudiation",
        "E-mail Protection",
        "1.3.6.1.5.5.7.3.36",
        "email:e.papadopoulou@mindigital.gr",
        "URI:https://certdesk.example.gr/pki/crl",
        "OCSP - URI:https://certdesk.example.gr/pki/ocsp",
        "CA Issuers - URI:https://certdesk.example.gr/pki/issuing-ca.crt",
        "Policy: 0.4.0.194112.1.2",
        "qcStatements",
        "ecdsa-with-SHA256",
        "CA:FALSE",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // The names are UTF8String (ETSI EN 319 412-2), the country and serialNumber PrintableString.
    let asn1 = openssl(&["asn1parse", "-in", &path("leaf.pem")]);
    // After the validity's two times comes the subject (the extensions are OCTET STRINGs).
    let subject = asn1.split("UTCTIME").last().unwrap_or_default();
    assert!(
        subject.matches("UTF8STRING").count() == 5,
        "O, OU, GN, SN, CN: {asn1}"
    );
    for name in [
        "Υπουργείο Ψηφιακής Διακυβέρνησης",
        "Διεύθυνση Πληροφορικής",
        "Ελένη",
        "Παπαδοπούλου",
        "Ελένη Παπαδοπούλου",
    ] {
        assert!(
            subject.contains(&format!("UTF8STRING        :{name}\n")),
            "{name}: {asn1}"
        );
    }
    assert!(
        asn1.contains("PRINTABLESTRING   :TINGR-010509832"),
        "{asn1}"
    );
    assert!(asn1.contains("PRINTABLESTRING   :GR"), "{asn1}");

    // Validity: three years from now; serial as on the certificate.
    assert_eq!(
        issued.not_after - issued.not_before,
        Duration::days(3 * 365)
    );
    let serial = openssl(&["x509", "-in", &path("leaf.pem"), "-noout", "-serial"]);
    assert_eq!(serial.trim(), format!("serial={}", issued.serial));

    // The beneficiary's key is sealed: it opens with the KEK for this application only.
    let pkcs8 = kek
        .open(&issued.sealed_key, &beneficiary_key_context(42))
        .unwrap();
    assert!(
        kek.open(&issued.sealed_key, &beneficiary_key_context(43))
            .is_err()
    );
    assert!(
        !issued
            .sealed_key
            .windows(pkcs8.len())
            .any(|w| w == pkcs8.as_slice())
    );
}

#[test]
fn a_wrong_key_encryption_key_cannot_open_the_ca() {
    let (kek, _) = KeyEncryptionKey::generate();
    let sealed =
        authority::create(&CaSettings::new("http://127.0.0.1:8080"), &kek, Utc::now()).unwrap();
    let (wrong, _) = KeyEncryptionKey::generate();
    let error = Authority::open(sealed, &wrong).unwrap_err().to_string();
    assert!(
        error.contains("is not the one the CA was created with"),
        "{error}"
    );
}

#[test]
fn an_rsa_3072_ca_issues_verifiable_certificates_too() {
    let (kek, _) = KeyEncryptionKey::generate();
    let mut settings = CaSettings::new("http://127.0.0.1:8080");
    settings.algorithm = certdesk_ca::Algorithm::Rsa3072;
    let now = Utc::now();
    let sealed = authority::create(&settings, &kek, now).unwrap();
    let ca = Authority::open(sealed.clone(), &kek).unwrap();
    let issued = ca.issue(&request(), &kek, now).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(path("root.pem"), certificate_pem(&sealed.root_der)).unwrap();
    std::fs::write(path("issuing.pem"), certificate_pem(&sealed.issuing_der)).unwrap();
    std::fs::write(path("leaf.pem"), certificate_pem(&issued.der)).unwrap();
    let verified = openssl(&[
        "verify",
        "-x509_strict",
        "-CAfile",
        &path("root.pem"),
        "-untrusted",
        &path("issuing.pem"),
        &path("leaf.pem"),
    ]);
    assert!(verified.contains(": OK"), "{verified}");
    let text = openssl(&["x509", "-in", &path("issuing.pem"), "-noout", "-text"]);
    assert!(text.contains("Public-Key: (3072 bit)"), "{text}");
}

#[test]
fn without_a_proven_email_the_certificate_names_no_address() {
    let (kek, _) = KeyEncryptionKey::generate();
    let now = Utc::now();
    let sealed =
        authority::create(&CaSettings::new("https://certdesk.example.gr/"), &kek, now).unwrap();
    let ca = Authority::open(sealed, &kek).unwrap();
    let request = CertificateRequest {
        email: None,
        ..request()
    };
    let issued = ca.issue(&request, &kek, now).unwrap();
    let needle = b"e.papadopoulou@mindigital.gr";
    assert!(!issued.der.windows(needle.len()).any(|w| w == needle));
    let dir = tempfile::tempdir().unwrap();
    let leaf = dir.path().join("leaf.pem");
    std::fs::write(&leaf, certificate_pem(&issued.der)).unwrap();
    let text = openssl(&["x509", "-in", leaf.to_str().unwrap(), "-noout", "-text"]);
    assert!(
        !text.contains("email:") && !text.contains("E-mail Protection"),
        "{text}"
    );
    assert!(
        text.contains("1.3.6.1.5.5.7.3.36"),
        "document signing stays: {text}"
    );
}
