//! Signing with a beneficiary's sealed key (issue 11), checked by openssl: the DER signature of
//! a SHA-256 digest verifies with the public key of the certificate issued for that key.

use std::process::Command;

use certdesk_ca::authority;
use certdesk_ca::remote::sign_digests;
use certdesk_ca::{Authority, CaSettings, CertificateRequest, KeyEncryptionKey, certificate_pem};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

#[test]
fn a_digest_signed_with_the_sealed_key_verifies_with_the_certificate() {
    let (kek, _) = KeyEncryptionKey::generate();
    let now = Utc::now();
    let sealed =
        authority::create(&CaSettings::new("https://certdesk.example.gr/"), &kek, now).unwrap();
    let ca = Authority::open(sealed, &kek).unwrap();
    let request = CertificateRequest {
        application_id: 7,
        given_name: "Ελένη".into(),
        surname: "Καραγιάννη".into(),
        afm: "010509832".into(),
        organisation: "Υπουργείο Ψηφιακής Διακυβέρνησης".into(),
        unit: String::new(),
        email: None,
        validity: Duration::days(365),
    };
    let issued = ca.issue(&request, &kek, now).unwrap();

    let documents: [&[u8]; 2] = [b"first document", b"second document"];
    let digests: Vec<[u8; 32]> = documents.iter().map(|d| Sha256::digest(d).into()).collect();
    let signatures = sign_digests(&kek, 7, &issued.sealed_key, &digests).unwrap();
    assert_eq!(signatures.len(), 2);

    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(path("leaf.pem"), certificate_pem(&issued.der)).unwrap();
    let public = Command::new("openssl")
        .args(["x509", "-in", &path("leaf.pem"), "-pubkey", "-noout"])
        .output()
        .unwrap();
    std::fs::write(path("public.pem"), public.stdout).unwrap();
    for (i, (document, signature)) in documents.iter().zip(&signatures).enumerate() {
        std::fs::write(path(&format!("doc{i}")), document).unwrap();
        std::fs::write(path(&format!("sig{i}")), signature).unwrap();
        let verified = Command::new("openssl")
            .args(["dgst", "-sha256", "-verify", &path("public.pem")])
            .args([
                "-signature",
                &path(&format!("sig{i}")),
                &path(&format!("doc{i}")),
            ])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&verified.stdout);
        assert!(said.contains("Verified OK"), "document {i}: {said}");
    }

    // The key opens only under its own application's context.
    assert!(sign_digests(&kek, 8, &issued.sealed_key, &digests).is_err());
    let (other, _) = KeyEncryptionKey::generate();
    assert!(sign_digests(&other, 7, &issued.sealed_key, &digests).is_err());
}
