//! A PDF signed here, checked by others: pyHanko validates the PDF's signature (intact,
//! trusted, PAdES, covering the whole file). The key and the certificate are the CA's, as for a
//! beneficiary.

use certdesk_ca::remote::sign_digests;
use certdesk_ca::{Authority, CaSettings, CertificateRequest, KeyEncryptionKey, certificate_pem};
use certdesk_pdf::{PdfError, SignatureOptions, Visible};
use certdesk_testkit::pdf::{hello_pdf, hello_pdf_with};
use certdesk_testkit::pyhanko::{Revocation, validate_pdf};
use chrono::{Duration, Utc};

struct Signer {
    kek: KeyEncryptionKey,
    root: Vec<u8>,
    issuing: Vec<u8>,
    leaf: Vec<u8>,
    sealed_key: Vec<u8>,
}

fn signer() -> Signer {
    let (kek, _) = KeyEncryptionKey::generate();
    let now = Utc::now();
    let sealed =
        certdesk_ca::authority::create(&CaSettings::new("https://certdesk.example.gr/"), &kek, now)
            .unwrap();
    let ca = Authority::open(sealed.clone(), &kek).unwrap();
    let issued = ca
        .issue(
            &CertificateRequest {
                application_id: 3,
                given_name: "Ελένη".into(),
                surname: "Καραγιάννη".into(),
                afm: "010509832".into(),
                organisation: "Υπουργείο Ψηφιακής Διακυβέρνησης".into(),
                unit: String::new(),
                email: None,
                validity: Duration::days(365),
            },
            &kek,
            now - Duration::minutes(5),
        )
        .unwrap();
    Signer {
        kek,
        root: sealed.root_der,
        issuing: sealed.issuing_der,
        leaf: issued.der,
        sealed_key: issued.sealed_key,
    }
}

fn sign(pdf: &[u8], signer: &Signer, visible: Option<Visible>) -> Result<Vec<u8>, PdfError> {
    let options = SignatureOptions {
        signer_name: "Ελένη Καραγιάννη".into(),
        reason: Some("Έγκριση".into()),
        signing_time: Utc::now().format("D:%Y%m%d%H%M%SZ").to_string(),
        visible,
    };
    let pending = certdesk_pdf::start(pdf, &signer.leaf, &options)?;
    let digest = pending.to_sign()?;
    let signature = sign_digests(&signer.kek, 3, &signer.sealed_key, &[digest])
        .unwrap()
        .remove(0);
    pending.finish(
        &signature,
        &[
            signer.leaf.clone(),
            signer.issuing.clone(),
            signer.root.clone(),
        ],
    )
}

fn validated(pdf: &[u8], signer: &Signer) -> Option<serde_json::Value> {
    let answer = validate_pdf(pdf, &certificate_pem(&signer.root), Revocation::Offline)
        .unwrap_or_else(|e| panic!("{e}"))?;
    Some(serde_json::from_str(&answer).unwrap())
}

#[test]
fn a_signed_pdf_is_intact_and_trusted_for_pyhanko() {
    let signer = signer();
    let original = hello_pdf("1.7");
    let signed = sign(&original, &signer, None).unwrap();
    assert!(
        signed.starts_with(&original),
        "an incremental update keeps the original bytes"
    );
    let Some(report) = validated(&signed, &signer) else {
        return;
    };
    let signature = &report["signatures"][0];
    assert_eq!(signature["intact"], true, "{report}");
    assert_eq!(signature["valid"], true, "{report}");
    assert_eq!(signature["trusted"], true, "{report}");
    assert_eq!(
        signature["coverage"], "SignatureCoverageLevel.ENTIRE_FILE",
        "{report}"
    );
    assert_eq!(signature["sub_filter"], "/ETSI.CAdES.detached", "{report}");
}

#[test]
fn a_pdf_with_a_cross_reference_stream_is_signed_too() {
    let signer = signer();
    let modern = hello_pdf_with("1.7", certdesk_testkit::pdf::XrefType::CrossReferenceStream);
    let signed = sign(&modern, &signer, None).unwrap();
    let Some(report) = validated(&signed, &signer) else {
        return;
    };
    assert_eq!(report["signatures"][0]["intact"], true, "{report}");
    assert_eq!(report["signatures"][0]["trusted"], true, "{report}");
}

#[test]
fn a_second_and_visible_signature_keeps_the_first_intact() {
    let signer = signer();
    let once = sign(&hello_pdf("1.4"), &signer, None).unwrap();
    let visible = Visible {
        page: 1,
        rect: [360.0, 60.0, 200.0, 50.0],
        lines: vec![
            "Psifiaka ypografi: Eleni Karagianni".into(),
            "2026-12-01".into(),
        ],
    };
    let twice = sign(&once, &signer, Some(visible)).unwrap();
    let Some(report) = validated(&twice, &signer) else {
        return;
    };
    let signatures = report["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 2, "{report}");
    for signature in signatures {
        assert_eq!(signature["intact"], true, "{report}");
        assert_eq!(signature["trusted"], true, "{report}");
    }
    assert_eq!(signatures[1]["field"], "Signature2");
}

#[test]
fn what_is_not_a_signable_pdf_is_refused() {
    let signer = signer();
    assert_eq!(
        sign(b"GIF89a....", &signer, None).err(),
        Some(PdfError::NotPdf)
    );
    let mut old = hello_pdf("1.4");
    assert!(old.starts_with(b"%PDF-1."), "a header to change");
    old[7] = b'3';
    assert_eq!(sign(&old, &signer, None).err(), Some(PdfError::TooOld));
    assert_eq!(
        sign(b"%PDF-1.7\n garbage", &signer, None).err(),
        Some(PdfError::Unreadable)
    );
    let on_page_9 = Visible {
        page: 9,
        rect: [0.0, 0.0, 10.0, 10.0],
        lines: Vec::new(),
    };
    assert_eq!(
        sign(&hello_pdf("1.7"), &signer, Some(on_page_9)).err(),
        Some(PdfError::NoSuchPage { page: 9, pages: 1 })
    );
}

#[test]
fn validation_data_is_added_after_the_signature_and_keeps_it_intact() {
    let signer = signer();
    let signed = sign(&hello_pdf("1.7"), &signer, None).unwrap();
    let data = certdesk_pdf::ValidationData {
        certificates: vec![signer.leaf.clone(), signer.issuing.clone()],
        ocsp_responses: Vec::new(),
        crls: Vec::new(),
    };
    let with_dss = certdesk_pdf::add_validation_data(&signed, &data).unwrap();
    assert!(with_dss.starts_with(&signed), "an incremental update");
    assert!(
        with_dss
            .windows(9)
            .any(|w| w == b"/Type/DSS" || w == b"Type /DSS"),
        "a DSS dictionary"
    );
    let Some(report) = validated(&with_dss, &signer) else {
        return;
    };
    assert_eq!(report["signatures"][0]["intact"], true, "{report}");
    assert_eq!(report["signatures"][0]["trusted"], true, "{report}");
}
